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

  function zoneLayer(map, spec, renderer) {
    var group = L.featureGroup();
    spec.features.forEach(function (f) {
      var style = {
        renderer: renderer, color: f.stroke || STYLE.zone_edge, weight: f.weight || 1, opacity: 0.9,
        fill: !!f.fill, fillColor: f.fill, fillOpacity: f.fill ? f.fill_opacity : 0,
        dashArray: f.dash || null
      };
      var layer = L.geoJSON(f.geometry, { style: function () { return style; } });
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

  // All points on one canvas, drawn in a single pass: no Leaflet object per incident, so tens of
  // thousands of incidents open and pan quickly. A click opens the popup of the nearest point.
  var PointsLayer = L.Layer.extend({
    initialize: function (spec, labels) { this.spec = spec; this.labels = labels; this.month = -1; },
    onAdd: function (map) {
      this._map = map;
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
      map.off("moveend zoomend resize", this._draw, this);
      map.off("zoomend", this._project, this);
      map.off("click", this._click, this);
      L.DomUtil.remove(this._canvas);
    },
    setMonth: function (month) { this.month = month; if (this._map) { this._draw(); } },
    _project: function () {
      var spec = this.spec, map = this._map, n = spec.lon.length;
      this._x = new Float64Array(n); this._y = new Float64Array(n);
      for (var i = 0; i < n; i++) {
        var p = map.project([spec.lat[i] / 1e5 + spec.origin[1], spec.lon[i] / 1e5 + spec.origin[0]], map.getZoom());
        this._x[i] = p.x; this._y[i] = p.y;
      }
    },
    _draw: function () {
      var map = this._map, size = map.getSize(), canvas = this._canvas, spec = this.spec;
      var topLeft = map.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(canvas, topLeft);
      canvas.width = size.x; canvas.height = size.y;
      var origin = map.getPixelOrigin().add(topLeft), ctx = canvas.getContext("2d");
      ctx.clearRect(0, 0, size.x, size.y);
      var dash = STYLE.coarse_dash.split(" ").map(Number);
      for (var i = 0; i < spec.lon.length; i++) {
        if (this.month >= 0 && spec.month[i] !== this.month) { continue; }
        var x = this._x[i] - origin.x, y = this._y[i] - origin.y;
        if (x < -20 || y < -20 || x > size.x + 20 || y > size.y + 20) { continue; }
        var color = spec.colors[spec.type[i]], r = 3 + 2 * Math.sqrt(spec.fatalities[i]);
        ctx.beginPath();
        ctx.arc(x, y, r, 0, 2 * Math.PI);
        if (spec.coarse[i] === 1) {
          // Known only to a commune or worse: a dashed ring, on a light under-stroke so it reads on dark fills.
          ctx.lineWidth = 3; ctx.strokeStyle = STYLE.incident_outline; ctx.stroke();
          ctx.setLineDash(dash); ctx.lineWidth = 1.5; ctx.strokeStyle = color; ctx.stroke(); ctx.setLineDash([]);
        } else {
          ctx.fillStyle = color; ctx.fill();
          ctx.lineWidth = 1; ctx.strokeStyle = STYLE.incident_outline; ctx.stroke();
        }
      }
    },
    _click: function (e) {
      var map = this._map, spec = this.spec, point = map.project(e.latlng, map.getZoom());
      var best = -1, bestDistance = Infinity;
      for (var i = 0; i < spec.lon.length; i++) {
        if (this.month >= 0 && spec.month[i] !== this.month) { continue; }
        var dx = this._x[i] - point.x, dy = this._y[i] - point.y, d = dx * dx + dy * dy;
        var r = 4 + 2 * Math.sqrt(spec.fatalities[i]);
        if (d <= r * r && d < bestDistance) { best = i; bestDistance = d; }
      }
      if (best >= 0) {
        L.popup().setLatLng([spec.lat[best] / 1e5 + spec.origin[1], spec.lon[best] / 1e5 + spec.origin[0]])
          .setContent(popup(spec, best, this.labels)).openOn(map);
      }
    }
  });

  function incidentLayer(map, spec, canvas, labels) {
    if (spec.mode === "points") {
      var points = new PointsLayer(spec, labels);
      var group = L.featureGroup([points]);
      group.katyeShow = function (month) { points.setMonth(month); };
      return group;
    }
    group = L.featureGroup();
    var squares = [];
    var currentMonth = -1;
    for (var c = 0; c < spec.cells.length; c++) {
      var cell = spec.cells[c];
      var square = L.rectangle([[cell[1] / 1e5 + spec.origin[1], cell[0] / 1e5 + spec.origin[0]],
                                [(cell[1] + spec.cell) / 1e5 + spec.origin[1], (cell[0] + spec.cell) / 1e5 + spec.origin[0]]], {
        renderer: canvas, weight: 0, fillColor: spec.color, fillOpacity: 0.2
      });
      square.katyeCell = c;
      square.bindPopup(function (m) { return cellPopup(spec, m.katyeCell, labels, currentMonth); });
      squares.push(square);
    }
    group.katyeShow = function (month) {
      currentMonth = month;
      group.clearLayers();
      squares.forEach(function (m) {
        var n = cellCount(spec, m.katyeCell, month);
        if (n > 0) {
          m.setStyle({ fillOpacity: Math.min(0.9, 0.15 + 0.1 * Math.log(1 + n)) });
          group.addLayer(m);
        }
      });
    };
    group.katyeShow(-1);
    return group;
  }

  function cellCount(spec, c, month) {
    var cell = spec.cells[c];
    if (month < 0) { return cell[2]; }
    var months = cell[4];
    for (var k = 0; k < months.length; k += 2) { if (months[k] === month) { return months[k + 1]; } }
    return 0;
  }

  function cellPopup(spec, c, labels, month) {
    var cell = spec.cells[c];
    var rows = [[labels.events, cellCount(spec, c, month)], [labels.fatalities, cell[3]]];
    cell[5].forEach(function (n, t) { if (n > 0) { rows.push([spec.types[t], n]); } });
    return card(labels.aggregated, rows);
  }

  function popup(spec, i, labels) {
    var t = spec.text;
    var rows = [
      [labels.date, spec.dates[i]],
      [labels.type, spec.types[spec.type[i]]],
      [labels.actors, t.actors[spec.actor1[i]] + (spec.actor2[i] >= 0 ? " / " + t.actors[spec.actor2[i]] : "")],
      [labels.location, t.locations[spec.location[i]]],
      [labels.fatalities, spec.fatalities[i]],
      [labels.precision, spec.precision_labels[spec.precision[i]] +
        (spec.basis && spec.basis[i] >= 0 ? " (" + spec.basis_labels[spec.basis[i]] + ")" : "")],
      [labels.source, t.sources[spec.source[i]]]
    ];
    if (spec.notes) { rows.push([labels.notes, spec.notes[i]]); }
    return card(spec.ids[i], rows);
  }

  function legend(spec) {
    var box = el("div", "katye-legend");
    box.setAttribute("data-layer", spec.key);
    box.appendChild(el("div", "katye-legend-title", spec.legend_title || spec.name));
    spec.legend.forEach(function (item) {
      if (item.note) { box.appendChild(el("div", "katye-legend-note", item.label)); return; }
      var row = el("div", "katye-legend-row");
      // The swatch is the colour as drawn (opacity included), in the shape drawn (see style.Swatch).
      var swatch = el("span", "katye-swatch katye-swatch-" + item.shape);
      if (item.shape === "fill") { swatch.style.background = item.color; }
      else if (item.shape !== "pattern") { swatch.style.borderColor = item.color; }
      row.appendChild(swatch);
      row.appendChild(el("span", null, item.label));
      box.appendChild(row);
    });
    return box;
  }

  function siteLayer(spec, renderer) {
    var group = L.featureGroup();
    spec.sites.forEach(function (s) {
      if (s.approximate) {
        // Where the site may be: a dashed outline of its uncertainty, and a hollow dashed marker.
        group.addLayer(L.circle([s.lat, s.lon], { renderer: renderer, radius: s.precision_m, color: STYLE.site, weight: 1, dashArray: "4 4", fill: false, interactive: false }));
      }
      s.rings.forEach(function (r) {
        group.addLayer(L.circle([s.lat, s.lon], { renderer: renderer, radius: r, color: STYLE.ring, weight: 1, dashArray: STYLE.ring_dash, fill: false, interactive: false }));
      });
      var point = s.approximate
        ? L.circleMarker([s.lat, s.lon], { renderer: renderer, radius: 6, color: STYLE.site, weight: 2, dashArray: "3 2", fill: true, fillColor: STYLE.halo, fillOpacity: 0.6 })
        : L.circleMarker([s.lat, s.lon], { renderer: renderer, radius: 6, color: STYLE.halo, weight: 2, fillColor: STYLE.site, fillOpacity: 1 });
      point.bindTooltip(card(s.name, s.rows));
      group.addLayer(point);
    });
    return group;
  }

  window.katyeDraw = function (map, data) {
    STYLE = data.style;
    // Set the view first and without animation, so every renderer draws at the final zoom.
    if (data.bounds) { map.fitBounds(data.bounds, { animate: false }); }
    // Incidents and sites get panes of their own above the zones, whatever order renderers start in.
    // Panes, bottom to top: land (under everything), zones (Leaflet's overlay pane, 400), the
    // density image (above the zones' fills, so it shows), incidents, sites.
    map.createPane("katyeLand").style.zIndex = 250;
    map.createPane("katyeDensity").style.zIndex = 420;
    map.createPane("katyeIncidents").style.zIndex = 450;
    map.createPane("katyeSites").style.zIndex = 460;
    map.createPane("katyeNames").style.zIndex = 470;  // above everything drawn, below popups (700)
    var canvas = L.canvas({ padding: 0.5, pane: "katyeIncidents" });
    var siteRenderer = L.svg({ pane: "katyeSites" });
    var labels = data.labels;
    var overlays = {};
    var legends = L.control({ position: "bottomright" });
    var legendBox = el("div", "katye-legends");
    legends.onAdd = function () { return legendBox; };
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

    var byKey = {};
    // One drawing function per layer kind; a new kind is one entry here and one writer in html.py.
    var DRAW = {
      zones: function (spec) { return zoneLayer(map, spec, null); },
      incidents: function (spec) { return incidentLayer(map, spec.incidents, canvas, labels); },
      image: function (spec) {
        return L.featureGroup([L.imageOverlay(spec.image, spec.bounds, { opacity: STYLE.density_opacity, pane: "katyeDensity", interactive: false })]);
      },
      names: function (spec) {
        var group = L.featureGroup();
        spec.names.forEach(function (n) {
          // The name goes in as text (textContent), never as HTML.
          var icon = L.divIcon({ className: "katye-name", html: el("span", null, n.name), iconSize: [0, 0] });
          group.addLayer(L.marker([n.lat, n.lon], { icon: icon, pane: "katyeNames", interactive: false, keyboard: false }));
        });
        return group;
      },
      sites: function (spec) { return siteLayer(spec, siteRenderer); }
    };
    data.layers.forEach(function (spec) {
      var group = DRAW[spec.kind](spec);
      group.katyeKey = spec.key;
      byKey[spec.key] = group;
      overlays[spec.name] = group;
      var box = legend(spec);
      legendBox.appendChild(box);
      if (!spec.legend || !spec.legend.length) { box.className += " katye-no-legend"; }
      box.style.display = spec.show ? "" : "none";
      if (spec.show) { group.addTo(map); }
    });

    map.on("overlayadd overlayremove", function (e) {
      var key = e.layer.katyeKey;
      var box = legendBox.querySelector('[data-layer="' + key + '"]');
      if (box) { box.style.display = e.type === "overlayadd" ? "" : "none"; }
    });

    var head = L.control({ position: "topleft" });
    head.onAdd = function () {
      var box = el("div", "katye-title");
      box.appendChild(el("div", "katye-title-main", data.title));
      box.appendChild(el("div", "katye-title-sub", data.subtitle));
      data.caveats.forEach(function (c) { box.appendChild(el("div", "katye-caveat", c)); });
      if (byKey.incidents && data.months.length) {
        var label = el("label", "katye-period", labels.period + " ");
        var select = el("select", "katye-month");
        var all = el("option", null, labels.all_months); all.value = "-1"; select.appendChild(all);
        data.months.forEach(function (m, i) { var o = el("option", null, m); o.value = String(i); select.appendChild(o); });
        select.addEventListener("change", function () { byKey.incidents.katyeShow(parseInt(select.value, 10)); });
        label.appendChild(select);
        box.appendChild(label);
        L.DomEvent.disableClickPropagation(box);
      }
      return box;
    };
    head.addTo(map);
    L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
    var credits = L.control({ position: "bottomleft" });
    credits.onAdd = function () {
      var box = el("div", "katye-credits");
      box.appendChild(el("div", "katye-credits-title", labels.credits));
      data.credits.forEach(function (c) { box.appendChild(el("div", null, c)); });
      return box;
    };
    credits.addTo(map);
    map.whenReady(function () { window.requestAnimationFrame(function () { window.katyeReady = performance.now(); }); });
  };
})();
