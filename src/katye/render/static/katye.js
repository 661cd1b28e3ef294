/* katye map runtime: draws the layers described by a JSON payload on a Leaflet map.
 * Every string from data is put in the page with textContent or as an attribute value set
 * through the DOM, never as HTML: nothing in the data can run as code. */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function table(rows) {
    var t = el("table", "katye-table");
    rows.forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("th", null, row[0]));
      tr.appendChild(el("td", null, row[1]));
      t.appendChild(tr);
    });
    return t;
  }

  function card(title, rows) {
    var box = el("div", "katye-card");
    if (title) { box.appendChild(el("div", "katye-card-title", title)); }
    box.appendChild(table(rows));
    return box;
  }

  // Colours, dashes and opacities come from the payload (katye/render/style.py): none are written here.
  var STYLE = {};
  var SHAPES = [];

  function addHatch(map) {
    var svg = map.getPanes().overlayPane.querySelector("svg");
    if (!svg || svg.querySelector("#katye-hatch")) { return; }
    var ns = "http://www.w3.org/2000/svg";
    var defs = document.createElementNS(ns, "defs");
    var pattern = document.createElementNS(ns, "pattern");
    pattern.setAttribute("id", "katye-hatch");
    pattern.setAttribute("patternUnits", "userSpaceOnUse");
    pattern.setAttribute("width", "8");
    pattern.setAttribute("height", "8");
    pattern.setAttribute("patternTransform", "rotate(45)");
    var back = document.createElementNS(ns, "rect");
    back.setAttribute("width", "8"); back.setAttribute("height", "8");
    back.setAttribute("fill", STYLE.stripes[0]);
    var line = document.createElementNS(ns, "rect");
    line.setAttribute("width", "3"); line.setAttribute("height", "8");
    line.setAttribute("fill", STYLE.stripes[1]);
    pattern.appendChild(back); pattern.appendChild(line);
    defs.appendChild(pattern);
    svg.insertBefore(defs, svg.firstChild);
  }

  // A feature's outline: its own, or (zones drawn by several layers) its place in the page's shapes.
  function shapeOf(f) { return f.geometry || SHAPES[f.shape]; }

  function zoneLayer(map, spec, renderer) {
    var group = L.featureGroup();
    // A zone drawn as an outline only (not significant, no exact event …) still answers the
    // pointer over its inside, through an invisible fill; a layer of lines_only (boundaries)
    // answers on its lines.
    var lines = !!spec.lines_only;
    spec.features.forEach(function (f) {
      var style = {
        renderer: renderer, color: f.stroke || STYLE.zone_edge, weight: f.weight || 1, opacity: 0.9,
        fill: !!f.fill || !lines, fillColor: f.fill || f.stroke || STYLE.zone_edge, fillOpacity: f.fill ? f.fill_opacity : 0,
        dashArray: f.dash || null
      };
      var layer = L.geoJSON(shapeOf(f), { style: function () { return style; } });
      layer.eachLayer(function (shape) {
        shape.katyeHatch = !!f.hatch;
        shape.bindTooltip(card(f.title, f.rows), { sticky: true });
        group.addLayer(shape);
      });
    });
    group.on("add", function () {
      addHatch(map);
      group.eachLayer(function (shape) {
        if (shape.katyeHatch && shape.getElement()) { shape.getElement().setAttribute("fill", "url(#katye-hatch)"); }
      });
    });
    return group;
  }

  // Road segments (corridors): each a polyline in its class's colour, width and dash, with a card.
  function lineLayer(spec) {
    var group = L.featureGroup();
    spec.features.forEach(function (f) {
      var look = { color: f.stroke, weight: f.weight, opacity: 0.95, dashArray: f.dash || null, lineCap: "round" };
      L.geoJSON(shapeOf(f), { style: function () { return look; } }).eachLayer(function (line) {
        line.bindTooltip(card(f.title, f.rows), { sticky: true });
        group.addLayer(line);
      });
    });
    return group;
  }

  // Incidents on one coordinate (and of one precision) form a stack: real exports put most events
  // on a few hundred points, and one dot for 37 events would make the worst places look quietest.
  function stacksOf(spec) {
    var index = {}, stacks = [];
    for (var i = 0; i < spec.lon.length; i++) {
      // One symbol per coordinate, whatever the precision: two counts on one spot would read as one number.
      var key = spec.lon[i] + "," + spec.lat[i];
      var s = index[key];
      if (s === undefined) { s = index[key] = stacks.length; stacks.push({ first: i, members: [] }); }
      stacks[s].members.push(i);
    }
    return stacks;
  }

  function stackRadius(n) { return Math.min(STYLE.stack_max, STYLE.stack_base + STYLE.stack_scale * Math.sqrt(n)); }

  function pointRadius(spec, i) { return Math.min(STYLE.stack_max, STYLE.fatal_base + STYLE.fatal_scale * Math.sqrt(spec.fatalities[i])); }

  // All points on one canvas, drawn in a single pass: no Leaflet object per incident, so tens of
  // thousands of incidents open and pan quickly. A click opens the popup of the stack under it.
  var PointsLayer = L.Layer.extend({
    initialize: function (spec, labels) {
      this.spec = spec; this.labels = labels; this.kind = null; this.period = -1; this.stacks = stacksOf(spec); this._shown = [];
    },
    onAdd: function (map) {
      this._map = map;
      map.katyeCounts = this._counts.bind(this);
      // Hidden while a zoom animates; drawn again at the new zoom when it ends.
      this._canvas = L.DomUtil.create("canvas", "katye-points leaflet-zoom-hide");
      map.getPane("katyeIncidents").appendChild(this._canvas);
      this._project();
      map.on("moveend zoomend resize", this._draw, this);
      map.on("zoomend", this._project, this);
      map.on("click", this._click, this);
      this._draw();
    },
    onRemove: function (map) {
      map.katyeCounts = null;
      map.off("moveend zoomend resize", this._draw, this);
      map.off("zoomend", this._project, this);
      map.off("click", this._click, this);
      L.DomUtil.remove(this._canvas);
    },
    // kind "month" or "week" and an index into that kind's periods; kind null: the whole period.
    setPeriod: function (kind, period) { this.kind = kind; this.period = period; if (this._map) { this._draw(); } },
    _project: function () {
      var spec = this.spec, map = this._map, n = this.stacks.length;
      this._x = new Float64Array(n); this._y = new Float64Array(n);
      for (var s = 0; s < n; s++) {
        var i = this.stacks[s].first;
        var p = map.project([spec.lat[i] / 1e5 + spec.origin[1], spec.lon[i] / 1e5 + spec.origin[0]], map.getZoom());
        this._x[s] = p.x; this._y[s] = p.y;
      }
    },
    // The stacks with events in the chosen period, largest first (drawn first, so small ones stay on top).
    _visible: function () {
      var spec = this.spec, of = this.kind ? spec[this.kind] : null, period = this.period, out = [];
      this.stacks.forEach(function (stack, s) {
        var members = of ? stack.members.filter(function (i) { return of[i] === period; }) : stack.members;
        if (members.length) { out.push({ s: s, members: members }); }
      });
      out.sort(function (a, b) { return b.members.length - a.members.length || a.s - b.s; });
      return out;
    },
    // Screen boxes (client coordinates) of the stacks drawn with a count.
    _counts: function () {
      var map = this._map, view = map.getContainer().getBoundingClientRect(), out = [];
      var origin = map.getPixelOrigin().add(map.containerPointToLayerPoint([0, 0]));
      var self = this;
      this._visible().forEach(function (shown) {
        if (shown.members.length < 2) { return; }
        var r = self._radius(shown), x = self._x[shown.s] - origin.x + view.left, y = self._y[shown.s] - origin.y + view.top;
        out.push({ left: x - r, right: x + r, top: y - r, bottom: y + r });
      });
      return out;
    },
    _radius: function (shown) {
      return shown.members.length > 1 ? stackRadius(shown.members.length) : pointRadius(this.spec, shown.members[0]);
    },
    _draw: function () {
      var map = this._map, size = map.getSize(), canvas = this._canvas, spec = this.spec;
      var topLeft = map.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(canvas, topLeft);
      canvas.width = size.x; canvas.height = size.y;
      var origin = map.getPixelOrigin().add(topLeft), ctx = canvas.getContext("2d");
      ctx.clearRect(0, 0, size.x, size.y);
      var dash = STYLE.coarse_dash.split(" ").map(Number);
      var shown = this._shown = this._visible();
      for (var k = 0; k < shown.length; k++) {
        var members = shown[k].members, n = members.length, i = members[0];
        var x = this._x[shown[k].s] - origin.x, y = this._y[shown[k].s] - origin.y, r = this._radius(shown[k]);
        if (x < -r || y < -r || x > size.x + r || y > size.y + r) { continue; }
        var color = spec.colors[n > 1 ? commonest(spec, members) : spec.type[i]];
        ctx.beginPath();
        ctx.arc(x, y, r, 0, 2 * Math.PI);
        // Hollow when every event there is located only approximately.
        if (members.every(function (m) { return spec.coarse[m] === 1; })) {
          // Known only to a commune or worse: a dashed ring in the type's colour over a dark ring (so pale
          // colours read on land) over a light halo (so dark ones read on dark fills).
          ctx.lineWidth = 4.5; ctx.strokeStyle = STYLE.incident_outline; ctx.stroke();
          ctx.lineWidth = 2; ctx.strokeStyle = STYLE.zone_edge; ctx.stroke();
          ctx.setLineDash(dash); ctx.lineWidth = 2; ctx.strokeStyle = color; ctx.stroke(); ctx.setLineDash([]);
        } else {
          ctx.fillStyle = color; ctx.fill();
          ctx.lineWidth = n > 1 ? 1.5 : 1; ctx.strokeStyle = STYLE.incident_outline; ctx.stroke();
        }
      }
      // The counts after every symbol, so no smaller symbol drawn later covers one; the largest last.
      for (k = shown.length - 1; k >= 0; k--) {
        n = shown[k].members.length;
        if (n < 2) { continue; }
        x = this._x[shown[k].s] - origin.x; y = this._y[shown[k].s] - origin.y;
        // Dark on a light halo: it reads on every type colour.
        ctx.font = "bold " + Math.min(14, 9 + Math.floor(Math.log(n))) + "px system-ui, sans-serif";
        ctx.textAlign = "center"; ctx.textBaseline = "middle";
        ctx.lineWidth = 3; ctx.strokeStyle = STYLE.halo; ctx.strokeText(String(n), x, y);
        ctx.fillStyle = STYLE.text; ctx.fillText(String(n), x, y);
      }
    },
    _click: function (e) {
      var map = this._map, spec = this.spec, point = map.project(e.latlng, map.getZoom());
      // Of the symbols under the pointer, the one whose centre (where its count is written) is nearest,
      // relative to its size: a click on a big stack's count opens that stack, not a dot at its edge.
      var hit = null, best = Infinity;
      for (var k = 0; k < this._shown.length; k++) {
        var dx = this._x[this._shown[k].s] - point.x, dy = this._y[this._shown[k].s] - point.y, r = this._radius(this._shown[k]) + 1;
        var d = Math.sqrt(dx * dx + dy * dy) / r;
        if (d <= 1 && d <= best) { hit = this._shown[k]; best = d; }
      }
      if (hit) {
        var i = hit.members[0];
        var content = hit.members.length > 1 ? stackPopup(spec, hit.members, this.labels) : popup(spec, i, this.labels);
        L.popup({ maxHeight: 360 }).setLatLng([spec.lat[i] / 1e5 + spec.origin[1], spec.lon[i] / 1e5 + spec.origin[0]])
          .setContent(content).openOn(map);
      }
    }
  });

  function commonest(spec, members) {
    var counts = {}, best = spec.type[members[0]];
    members.forEach(function (i) {
      var t = spec.type[i];
      counts[t] = (counts[t] || 0) + 1;
      if (counts[t] > counts[best] || (counts[t] === counts[best] && t < best)) { best = t; }
    });
    return best;
  }

  // A stack's events, a page at a time (newest first), with buttons to page through them.
  function stackPopup(spec, members, labels) {
    var size = 5, start = 0, box = el("div", "katye-stack");
    var order = members.slice().sort(function (a, b) { return spec.dates[b] < spec.dates[a] ? -1 : spec.dates[b] > spec.dates[a] ? 1 : a - b; });
    var title = el("div", "katye-card-title", labels.stack.replace("{n}", members.length));
    var list = el("div", "katye-stack-list");
    var pager = el("div", "katye-pager");
    var back = el("button", null, "‹"), forward = el("button", null, "›"), where = el("span");
    back.setAttribute("aria-label", labels.previous); forward.setAttribute("aria-label", labels.next);
    pager.appendChild(back); pager.appendChild(where); pager.appendChild(forward);
    function show() {
      list.textContent = "";
      order.slice(start, start + size).forEach(function (i) { list.appendChild(popup(spec, i, labels)); });
      where.textContent = labels.page.replace("{from}", start + 1).replace("{to}", Math.min(start + size, order.length)).replace("{n}", order.length);
      back.disabled = start === 0; forward.disabled = start + size >= order.length;
    }
    back.addEventListener("click", function () { start = Math.max(0, start - size); show(); });
    forward.addEventListener("click", function () { start += size; show(); });
    L.DomEvent.disableClickPropagation(box);
    box.appendChild(title); box.appendChild(pager); box.appendChild(list);
    show();
    return box;
  }

  function incidentLayer(map, spec, canvas, labels) {
    if (spec.mode === "points") {
      var points = new PointsLayer(spec, labels);
      var group = L.featureGroup([points]);
      group.katyeShow = function (kind, period) { points.setPeriod(kind, period); };
      return group;
    }
    group = L.featureGroup();
    var squares = [];
    var current = [null, -1];
    for (var c = 0; c < spec.cells.length; c++) {
      var cell = spec.cells[c];
      var square = L.rectangle([[cell[1] / 1e5 + spec.origin[1], cell[0] / 1e5 + spec.origin[0]],
                                [(cell[1] + spec.cell) / 1e5 + spec.origin[1], (cell[0] + spec.cell) / 1e5 + spec.origin[0]]], {
        renderer: canvas, weight: 0, fillColor: spec.color, fillOpacity: 0.2
      });
      square.katyeCell = c;
      square.bindPopup(function (m) { return cellPopup(spec, m.katyeCell, labels, current); });
      squares.push(square);
    }
    group.katyeShow = function (kind, period) {
      current = [kind, period];
      group.clearLayers();
      squares.forEach(function (m) {
        var n = cellCount(spec, m.katyeCell, current);
        if (n > 0) {
          m.setStyle({ fillOpacity: Math.min(0.9, 0.15 + 0.1 * Math.log(1 + n)) });
          group.addLayer(m);
        }
      });
    };
    group.katyeShow(null, -1);
    return group;
  }

  // A square's count in the period shown: [kind, index], kind null for the whole period.
  function cellCount(spec, c, shown) {
    var cell = spec.cells[c];
    if (!shown[0]) { return cell[2]; }
    var pairs = cell[shown[0] === "week" ? 6 : 4];
    for (var k = 0; k < pairs.length; k += 2) { if (pairs[k] === shown[1]) { return pairs[k + 1]; } }
    return 0;
  }

  function cellPopup(spec, c, labels, shown) {
    var cell = spec.cells[c];
    var rows = [[labels.events, cellCount(spec, c, shown)], [labels.fatalities, cell[3]]];
    cell[5].forEach(function (n, t) { if (n > 0) { rows.push([spec.types[t], n]); } });
    return card(labels.aggregated, rows);
  }

  function popup(spec, i, labels) {
    var t = spec.text;
    var rows = [
      [labels.date, (spec.date_text || t.dates)[spec.dates[i]]],
      [labels.type, spec.types[spec.type[i]]],
      [labels.sub_type, t.sub_types[spec.sub_type[i]]],
      [labels.actors, t.actors[spec.actor1[i]] + (spec.actor2[i] >= 0 ? " / " + t.actors[spec.actor2[i]] : "")],
      [labels.location, t.locations[spec.location[i]]],
      [labels.fatalities, spec.fatalities[i]],
      [labels.precision, spec.precision_labels[spec.precision[i]] +
        (spec.basis && spec.basis[i] >= 0 ? " (" + spec.basis_labels[spec.basis[i]] + ")" : "")],
      [labels.source, t.sources[spec.source[i]]]
    ];
    if (spec.notes) { rows.push([labels.notes, t.notes ? t.notes[spec.notes[i]] : spec.notes[i]]); }
    rows = rows.filter(function (row) { return row[0] !== labels.sub_type || row[1]; });  // no empty sub-type row
    return card(eventId(spec, i), rows);
  }

  // An event's id: as written, or (ids of one prefix and a number) the prefix and the number,
  // zero-padded to id_width digits when the ids are.
  function eventId(spec, i) {
    if (spec.ids) { return spec.ids[i]; }
    var number = String(spec.id_number[i]);
    while (number.length < spec.id_width) { number = "0" + number; }
    return spec.id_prefix + number;
  }

  function legend(spec, labels) {
    var box = el("div", "katye-legend");
    box.setAttribute("data-layer", spec.key);
    box.appendChild(el("div", "katye-legend-title", spec.legend_title || spec.name));
    if (spec.whole_period) {
      var period = el("div", "katye-legend-note katye-legend-period", labels.whole_period);
      period.style.display = "none";
      box.appendChild(period);
    }
    var rows = el("div", "katye-legend-rows");
    box.appendChild(rows);
    legendRows(rows, spec.legend);
    return box;
  }

  // An outlined zone's swatch: a square drawn with the zone's own line, dash and width.
  function strokeSwatch(item) {
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg"), rect = document.createElementNS(ns, "rect");
    svg.setAttribute("width", "16"); svg.setAttribute("height", "14"); svg.setAttribute("aria-hidden", "true");
    var inset = Math.max(item.width / 2, 1);
    rect.setAttribute("x", inset); rect.setAttribute("y", inset);
    rect.setAttribute("width", 16 - 2 * inset); rect.setAttribute("height", 14 - 2 * inset);
    rect.setAttribute("fill", "none"); rect.setAttribute("stroke", item.color); rect.setAttribute("stroke-width", item.width);
    if (item.dash) { rect.setAttribute("stroke-dasharray", item.dash); }
    svg.appendChild(rect);
    return svg;
  }

  function legendRows(box, items) {
    box.textContent = "";
    items.forEach(function (item) {
      if (item.note) { box.appendChild(el("div", "katye-legend-note", item.label)); return; }
      var row = el("div", "katye-legend-row");
      // The swatch is the colour as drawn (opacity included), in the shape drawn (see style.Swatch).
      var swatch = el("span", "katye-swatch katye-swatch-" + item.shape);
      if (item.shape === "fill" || item.shape === "diamond" || item.shape === "dot") { swatch.style.background = item.color; }
      else if (item.shape !== "pattern") { swatch.style.borderColor = item.color; }
      if (item.shape === "size") { swatch.style.width = swatch.style.height = (2 * item.radius) + "px"; }
      if (item.shape === "stroke") { swatch.appendChild(strokeSwatch(item)); }
      row.appendChild(swatch);
      row.appendChild(el("span", null, item.label));
      box.appendChild(row);
    });
  }

  // Place names in priority order (communes, then zones, largest first). After every move a name is
  // hidden when it would overlap a name already shown or is wider than its area on screen.
  // Where a name may go, best first (CSS transforms of the name's box from its point). A commune's
  // name may move aside to clear a count or a name; a site's sits right, left, above or below its marker.
  function placements(kind) {
    if (kind === "site") {
      var beside = [];
      [0, -16, 16, -30, 30].forEach(function (dy) {
        beside.push("translate(9px, calc(-50% + " + dy + "px))", "translate(calc(-100% - 9px), calc(-50% + " + dy + "px))");
      });
      return beside.concat(["translate(-50%, calc(-100% - 8px))", "translate(-50%, 8px)"]);
    }
    var offsets = kind === "commune"
      ? [[0, 0], [0, -20], [0, 20], [-50, 0], [50, 0], [0, -34], [0, 34], [-60, -20], [60, -20], [-60, 20], [60, 20], [0, -50], [0, 50]]
      : [[0, 0], [0, -14], [0, 14]];
    return offsets.map(function (o) { return "translate(calc(-50% + " + o[0] + "px), calc(-50% + " + o[1] + "px))"; });
  }

  function nameLayer(map, spec) {
    var group = L.featureGroup(), markers = [];
    spec.names.forEach(function (n) {
      // The name goes in as text (textContent), never as HTML.
      var icon = L.divIcon({ className: "katye-name katye-name-" + n.kind, html: el("span", null, n.name), iconSize: [0, 0] });
      var marker = L.marker([n.lat, n.lon], { icon: icon, pane: "katyeNames", interactive: false, keyboard: false });
      marker.katyeName = n;
      markers.push(marker);
      group.addLayer(marker);
    });
    function declutter() {
      // The panels (title, legends, credits, layer list) count as taken: no name hides under them.
      var shown = [], view = map.getContainer().getBoundingClientRect();
      map.getContainer().querySelectorAll(".leaflet-control").forEach(function (panel) {
        var box = panel.getBoundingClientRect();
        if (box.width > 0 && box.height > 0) { shown.push(box); }
      });
      // And the stacks whose count is written on the map, and the key sites' diamonds: a name covers neither.
      (map.katyeCounts ? map.katyeCounts() : []).forEach(function (box) { shown.push(box); });
      map.getContainer().querySelectorAll(".katye-site").forEach(function (site) {
        var box = site.getBoundingClientRect();
        if (box.width > 0) { shown.push(box); }
      });
      markers.forEach(function (marker) {
        var node = marker.getElement();
        if (!node) { return; }
        var span = node.firstChild, n = marker.katyeName;
        var west = map.latLngToContainerPoint([n.lat, n.west]), east = map.latLngToContainerPoint([n.lat, n.east]);
        var shifts = placements(n.kind), placed = false;
        for (var k = 0; k < shifts.length && !placed; k++) {
          span.style.transform = shifts[k];
          span.style.visibility = "";
          var box = span.getBoundingClientRect();
          // A site's name sits beside its point, so only the view limits it; an area's must fit the area.
          var fits = (n.kind === "site" || box.width <= Math.abs(east.x - west.x)) &&
            box.left >= view.left && box.right <= view.right && box.top >= view.top && box.bottom <= view.bottom;
          var clash = shown.some(function (o) {
            return box.left < o.right + 3 && o.left < box.right + 3 && box.top < o.bottom + 2 && o.top < box.bottom + 2;
          });
          if (fits && !clash) { shown.push(box); placed = true; }
        }
        if (!placed) { span.style.visibility = "hidden"; }
      });
    }
    group.on("add", function () { map.on("zoomend moveend katyelayout", declutter); declutter(); });
    group.on("remove", function () { map.off("zoomend moveend katyelayout", declutter); });
    return group;
  }

  function siteLayer(spec, renderer) {
    var group = L.featureGroup();
    spec.sites.forEach(function (s) {
      if (s.approximate && s.precision_m > 0) {
        // Where the site may be: a dashed outline of its uncertainty, and a hollow dashed marker.
        group.addLayer(L.circle([s.lat, s.lon], { renderer: renderer, radius: s.precision_m, color: STYLE.site, weight: 1, dashArray: "4 4", fill: false, interactive: false }));
      }
      s.rings.forEach(function (r) {
        group.addLayer(L.circle([s.lat, s.lon], { renderer: renderer, radius: r, color: STYLE.ring, weight: 1, dashArray: STYLE.ring_dash, fill: false, interactive: false }));
      });
      // A diamond, as on the printed map: unlike the incidents' circles. Hollow and dashed when approximate.
      var icon = L.divIcon({ className: "katye-site" + (s.approximate ? " katye-site-approximate" : ""), iconSize: [12, 12] });
      // Clicks pass on to the map, so a stack drawn over the site still opens its list.
      var point = L.marker([s.lat, s.lon], { icon: icon, pane: "katyeSites", keyboard: false, bubblingMouseEvents: true });
      point.bindTooltip(card(s.name, s.rows));
      group.addLayer(point);
    });
    return group;
  }

  // A small map of Haiti with the area in view outlined, redrawn as the map moves.
  function locator(map, spec, labels) {
    var ns = "http://www.w3.org/2000/svg", width = 120, height = 70;
    var west = spec.bounds[0], south = spec.bounds[1], east = spec.bounds[2], north = spec.bounds[3];
    var scale = Math.min(width / (east - west), height / (north - south));
    function x(lon) { return (lon - west) * scale; }
    function y(lat) { return (north - lat) * scale; }
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", String(width)); svg.setAttribute("height", String(height));
    svg.setAttribute("class", "katye-locator");
    svg.setAttribute("role", "img"); svg.setAttribute("aria-label", labels.country);
    spec.rings.forEach(function (ring) {
      var path = document.createElementNS(ns, "path");
      path.setAttribute("d", "M" + ring.map(function (p) { return x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1); }).join("L") + "Z");
      path.setAttribute("fill", spec.fill); path.setAttribute("stroke", spec.stroke); path.setAttribute("stroke-width", "0.5");
      svg.appendChild(path);
    });
    var box = document.createElementNS(ns, "rect");
    box.setAttribute("fill", "none"); box.setAttribute("stroke", spec.box); box.setAttribute("stroke-width", "1.5");
    svg.appendChild(box);
    function update() {
      var b = map.getBounds();
      box.setAttribute("x", x(b.getWest()).toFixed(1)); box.setAttribute("y", y(b.getNorth()).toFixed(1));
      box.setAttribute("width", Math.max(2, (b.getEast() - b.getWest()) * scale).toFixed(1));
      box.setAttribute("height", Math.max(2, (b.getNorth() - b.getSouth()) * scale).toFixed(1));
    }
    var control = L.control({ position: "topright" });
    control.onAdd = function () {
      var panel = el("div", "katye-locator-panel");
      panel.style.background = spec.sea;
      panel.appendChild(svg);
      map.on("moveend zoomend", update);
      update();
      return panel;
    };
    return control;
  }

  // The payload: JSON text, or gzip in base64 for large maps (inflated with the browser's own
  // DecompressionStream: nothing is fetched).
  function bytesOf(text) {
    var binary = window.atob(text), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes;
  }

  // Columns of integers travel as {"i8" | "i16" | "i32": base64 of little-endian bytes}, each named in
  // the incidents' "packed" list: read as typed arrays.
  var WIDTHS = { i8: 1, i16: 2, i32: 4 };
  function unpack(value) {
    var kind = Object.keys(value)[0], width = WIDTHS[kind], bytes = bytesOf(value[kind]);
    var view = new DataView(bytes.buffer), out = new Int32Array(bytes.length / width);
    for (var i = 0; i < out.length; i++) {
      out[i] = width === 1 ? view.getInt8(i) : width === 2 ? view.getInt16(2 * i, true) : view.getInt32(4 * i, true);
    }
    return out;
  }

  function unpackAll(data) {
    (data.layers || []).forEach(function (layer) {
      var spec = layer.incidents;
      if (spec && spec.packed) { spec.packed.forEach(function (key) { spec[key] = unpack(spec[key]); }); }
    });
    return data;
  }

  window.katyeLoad = function (node) {
    var parse = function (text) { return unpackAll(JSON.parse(text)); };
    if (node.getAttribute("data-encoding") !== "gzip-base64") { return Promise.resolve(parse(node.textContent)); }
    var stream = new Blob([bytesOf(node.textContent.trim())]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(parse);
  };

  window.katyeDraw = function (map, data) {
    STYLE = data.style;
    SHAPES = data.shapes || [];
    var words = data.labels;
    if (map.zoomControl) {
      map.zoomControl.remove();
      L.control.zoom({ zoomInTitle: words.zoom_in, zoomOutTitle: words.zoom_out }).addTo(map);
    }
    map.on("popupopen", function (e) {
      var close = e.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) { close.setAttribute("aria-label", words.close); close.setAttribute("title", words.close); }
    });
    // Set the view first and without animation, so every renderer draws at the final zoom.
    if (data.bounds) { map.fitBounds(data.bounds, { animate: false }); }
    // Incidents and sites get panes of their own above the zones, whatever order renderers start in.
    // Panes, bottom to top: land (under everything), zones (Leaflet's overlay pane, 400), the
    // density image (above the zones' fills, so it shows), sites, incidents (a stack's count is
    // never hidden under a site marker), names.
    map.createPane("katyeLand").style.zIndex = 250;
    map.createPane("katyeDensity").style.zIndex = 420;
    map.createPane("katyeSites").style.zIndex = 440;
    map.createPane("katyeIncidents").style.zIndex = 450;
    map.createPane("katyeNames").style.zIndex = 470;  // above everything drawn, below popups (700)
    var canvas = L.canvas({ padding: 0.5, pane: "katyeIncidents" });
    var siteRenderer = L.svg({ pane: "katyeSites" });
    var labels = data.labels;
    var overlays = {};
    // On a narrow screen (a phone, a small embed) the panels start folded behind buttons, so the
    // map stays visible; the synthetic and illustrative banners stay in view either way.
    var narrow = map.getContainer().clientWidth < 900;
    function toggler(label, content) {
      var button = el("button", "katye-toggle", label);
      function set(open) {
        content.style.display = open ? "" : "none";
        button.setAttribute("aria-expanded", String(open));
      }
      set(!narrow);
      button.addEventListener("click", function () { set(content.style.display === "none"); map.fire("katyelayout"); });
      L.DomEvent.disableClickPropagation(button);
      if (!narrow) { button.style.display = "none"; }
      return button;
    }
    var legends = L.control({ position: "bottomright" });
    var legendBox = el("div", "katye-legends");
    var legendPanel = el("div", "katye-legend-panel");
    legendPanel.appendChild(toggler(labels.legend_button, legendBox));
    legendPanel.appendChild(legendBox);
    legends.onAdd = function () { return legendPanel; };
    legends.addTo(map);

    if (data.basemap) {
      if (data.sea) { map.getContainer().style.background = data.sea; }
      var base = L.featureGroup();
      data.basemap.forEach(function (f) {
        L.geoJSON(f.geometry, { interactive: false, pane: "katyeLand", style: function () { return { color: f.stroke, weight: f.weight, fillColor: f.fill, fillOpacity: 1 }; } })
          .eachLayer(function (s) { base.addLayer(s); });
      });
      base.addTo(map);  // in its own pane under the zones: no bringToBack, which would reverse the land
    }

    if (data.watermark) {
      // The words as text (textContent): a screenshot or a print of any part of the map keeps them.
      var mark = el("div", "katye-watermark"), grid = el("div", "katye-watermark-grid");
      for (var w = 0; w < 24; w++) { grid.appendChild(el("span", null, data.watermark)); }
      mark.appendChild(grid);
      mark.setAttribute("aria-hidden", "true");
      map.getContainer().appendChild(mark);
    }

    var byKey = {};
    // One drawing function per layer kind; a new kind is one entry here and one writer in html.py.
    var DRAW = {
      zones: function (spec) { return zoneLayer(map, spec, null); },
      lines: function (spec) { return lineLayer(spec); },
      incidents: function (spec) { return incidentLayer(map, spec.incidents, canvas, labels); },
      image: function (spec) {
        return L.featureGroup([L.imageOverlay(spec.image, spec.bounds, { opacity: STYLE.density_opacity, pane: "katyeDensity", interactive: false })]);
      },
      names: function (spec) { return nameLayer(map, spec); },
      sites: function (spec) { return siteLayer(spec, siteRenderer); }
    };
    data.layers.forEach(function (spec) {
      var group = DRAW[spec.kind](spec);
      group.katyeKey = spec.key;
      byKey[spec.key] = group;
      overlays[spec.name] = group;
      var box = legend(spec, labels);
      legendBox.appendChild(box);
      if (!spec.legend || !spec.legend.length) { box.className += " katye-no-legend"; }
      box.style.display = spec.show ? "" : "none";
      if (spec.show) { group.addTo(map); }
    });

    map.on("overlayadd overlayremove", function (e) {
      var key = e.layer.katyeKey;
      var box = legendBox.querySelector('[data-layer="' + key + '"]');
      if (box) { box.style.display = e.type === "overlayadd" ? "" : "none"; }
      map.fire("katyelayout");  // the legends changed size: names may have to move out of their way
    });

    var head = L.control({ position: "topleft" });
    head.onAdd = function () {
      var box = el("div", "katye-title");
      box.appendChild(el("div", "katye-title-main", data.title));
      var subtitle = el("div", "katye-title-sub", data.subtitle);
      box.appendChild(subtitle);
      if (narrow) { data.banners.forEach(function (b) { box.appendChild(el("div", "katye-caveat", b)); }); }
      var notes = el("div", "katye-notes");
      function showNotes(caveats) {
        notes.textContent = "";
        caveats.forEach(function (c) { notes.appendChild(el("div", "katye-caveat", c)); });
      }
      showNotes(data.caveats);
      box.appendChild(toggler(labels.notes_button.replace("{n}", data.caveats.length), notes));
      box.appendChild(notes);
      if (byKey.incidents && data.periods.length) {
        var label = el("label", "katye-period", labels.period + " ");
        // Options: the whole period, then each month, then each ACLED week ("month:3", "week:12").
        var select = el("select", "katye-month");
        var all = el("option", null, labels.all_periods); all.value = ""; select.appendChild(all);
        var byKind = {};
        data.periods.forEach(function (p) {
          byKind[p.kind] = p;
          var group = el("optgroup"); group.label = p.group;
          p.labels.forEach(function (text, i) { var o = el("option", null, text); o.value = p.kind + ":" + i; group.appendChild(o); });
          select.appendChild(group);
        });
        var incidentsLegend = legendBox.querySelector('[data-layer="incidents"] .katye-legend-rows');
        var incidentsSpec = data.layers.filter(function (l) { return l.key === "incidents"; })[0];
        select.addEventListener("change", function () {
          var parts = select.value.split(":"), kind = parts[0] || null, i = kind ? parseInt(parts[1], 10) : -1;
          byKey.incidents.katyeShow(kind, i);
          subtitle.textContent = kind ? byKind[kind].subtitles[i] : data.subtitle;
          // The caveats count what is shown; so does the size key of stacks.
          showNotes(kind ? byKind[kind].caveats[i] : data.caveats);
          if (incidentsLegend && incidentsSpec.period_legends) {
            legendRows(incidentsLegend, kind ? incidentsSpec.period_legends[kind][i] : incidentsSpec.legend);
          }
          // Layers computed for the whole period say so while one month or week is shown.
          legendBox.querySelectorAll(".katye-legend-period").forEach(function (note) { note.style.display = kind ? "" : "none"; });
          map.fire("katyelayout");
        });
        label.appendChild(select);
        // Play: step through the months (or the weeks, when a week is chosen), one every 1.5 s; stop on the last.
        var play = el("button", "katye-play", "▶"), timer = null;
        play.setAttribute("aria-label", labels.play);
        function stop() {
          window.clearInterval(timer); timer = null;
          play.textContent = "▶"; play.classList.remove("katye-playing"); play.setAttribute("aria-label", labels.play);
        }
        var playing = null;  // the kind of period played: the one chosen, else months
        function step() {
          var parts = select.value.split(":");
          var next = parts[0] === playing ? parseInt(parts[1], 10) + 1 : 0;
          if (next >= byKind[playing].labels.length) { stop(); return; }
          select.value = playing + ":" + next;
          select.dispatchEvent(new Event("change"));
        }
        play.addEventListener("click", function () {
          if (timer) { stop(); return; }
          var parts = select.value.split(":");
          playing = parts[0] || data.periods[0].kind;
          if (parts[0] && parseInt(parts[1], 10) >= byKind[playing].labels.length - 1) { select.value = ""; }
          // Two bars drawn in CSS: the pause sign is missing from common fonts.
          play.textContent = ""; play.classList.add("katye-playing"); play.setAttribute("aria-label", labels.pause);
          step();
          timer = window.setInterval(step, 1500);
        });
        label.appendChild(play);
        box.appendChild(label);
        L.DomEvent.disableClickPropagation(box);
      }
      return box;
    };
    head.addTo(map);
    var layerList = L.control.layers(null, overlays, { collapsed: narrow, position: "topright" }).addTo(map);
    var toggle = layerList.getContainer().querySelector(".leaflet-control-layers-toggle");
    if (toggle) { toggle.setAttribute("title", labels.layers); toggle.setAttribute("aria-label", labels.layers); }
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
    if (data.locator && !narrow) { locator(map, data.locator, labels).addTo(map); }
    var credits = L.control({ position: "bottomleft" });
    credits.onAdd = function () {
      var box = el("div", "katye-credits"), list = el("div");
      box.appendChild(toggler(labels.credits, list));
      list.appendChild(el("div", "katye-credits-title", labels.credits));
      data.credits.forEach(function (c) { list.appendChild(el("div", null, c)); });
      list.appendChild(el("div", "katye-disclaimer", data.disclaimer));
      box.appendChild(list);
      return box;
    };
    credits.addTo(map);
    if (narrow && data.bounds) {
      // The title panel takes the top left of a small screen: fit the study area in the rest.
      var title = map.getContainer().querySelector(".katye-title");
      map.fitBounds(data.bounds, { animate: false, paddingTopLeft: [title ? title.offsetWidth + 10 : 0, 0] });
    }
    map.fire("katyelayout");
    map.whenReady(function () { window.requestAnimationFrame(function () { window.katyeReady = performance.now(); }); });
  };
})();
