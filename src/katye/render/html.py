"""The HTML map: one folium.Map whose layers katye's own small runtime draws from a JSON payload.

Why not folium's layer classes: folium links its scripts from CDNs, gives elements random ids,
and puts data strings into HTML and JavaScript unescaped. Here the map is a folium.Map (so it
displays in a notebook and saves like any other), but every script and stylesheet is inlined
from installed packages, element ids are fixed, and all data travels as one JSON document that
the runtime reads and puts on the page as text only.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import io
import json
import math
import os
import re
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import ClassVar, Unpack

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement, Template
from pyproj import Transformer
from shapely.ops import polylabel

from katye import geodata
from katye.crs import METRIC_CRS
from katye.dates import ACLED_WEEK, period_index, periods_between
from katye.emerging import require_result
from katye.errors import UsageError
from katye.kde import bilinear
from katye.labels import LABELS, count_text, day_text, localised, month_text, number_text, percent_text, week_text
from katye.mapdata import MapData, MapOptions, as_map_data
from katye.output import atomic_path
from katye.render import assets, style
from katye.scoring import range_text

PRECISION_ORDER = ("exact", "near", "commune", "region", "unknown")
BASIS_ORDER = ("geo_precision", "missing", "declared", "admin_name", "commune_centre")
TREND_ARROWS = {
    "large increase": "↑↑",
    "moderate increase": "↑",
    "limited change": "→",
    "large decrease": "↓",
    "low baseline": "·",
    "new activity": "↑",
}
SHOWN_SITE_KINDS = {"airport", "security_base", "site", "neighbourhood", "town_centre", "village"}
TILES = {
    "osm": ("OpenStreetMap", "© OpenStreetMap contributors (ODbL)"),
    "cartodb": ("CartoDB positron", "© OpenStreetMap contributors, © CARTO"),
}


#: Layers that do not follow the month selector (they are computed for the whole period).
WHOLE_PERIOD = frozenset({"control", "risk", "density", "hotspots", "emerging", "corridors"})

PLACEHOLDER = "@@katye-payload@@"
#: Stands for the inlined scripts and stylesheets until the page is rendered (see _head).
HEAD_PLACEHOLDER = "@@katye-head@@"


class KatyeMap(folium.Map):
    """A folium.Map that links nothing from a CDN: katye inlines what the page needs."""

    #: The prepared data the map draws (set by make_map), for the notebook's PNG.
    katye_data: MapData | None = None
    # folium declares these per instance; katye empties them for every map, hence class-level.
    default_js: ClassVar[list] = []  # type: ignore[misc]
    default_css: ClassVar[list] = []  # type: ignore[misc]

    def render_html(self) -> str:
        """The whole page as one string."""
        # The inlined scripts and the payload are spliced in after templating: branca compiles
        # each element's rendered text as a template, and lexing Leaflet or megabytes of JSON
        # costs far more than these replacements.
        html = self.get_root().render()
        for child in self._children.values():
            if isinstance(child, _Payload):
                html = html.replace(HEAD_PLACEHOLDER, _head(), 1).replace(PLACEHOLDER, child.payload, 1)
        return html

    def save(self, outfile, **kwargs):
        """Write the page to ``outfile`` atomically (folium's ``close_file`` and other options do not apply)."""
        save_map(self, outfile)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The interactive map, and the same map as a PNG for exported notebooks (PDF, Quarto, Word).

        Exports that cannot run the page's script keep the picture instead of an empty frame.
        """
        bundle = {"text/html": self._repr_html_()}
        data = self.katye_data
        if data is not None:
            from katye.render.figure import png_bytes

            bundle["image/png"] = base64.b64encode(png_bytes(data)).decode("ascii")
        return bundle

    def _repr_html_(self, **kwargs):
        frame = escape(self.render_html())
        return (
            '<div style="width:100%;"><div style="position:relative;width:100%;height:0;padding-bottom:60%;">'
            f'<iframe srcdoc="{frame}" style="position:absolute;width:100%;height:100%;left:0;top:0;'
            'border:none !important;" allowfullscreen></iframe></div></div>'
        )


class _Payload(MacroElement):
    """Inline assets in the head, the data as a JSON script block, and the call that draws it."""

    _template = Template("""
{% macro header(this, kwargs) %}{{ this.head }}{% endmacro %}
{% macro html(this, kwargs) %}
<script type="{{ this.media_type }}" id="katye-data" data-encoding="{{ this.encoding }}">{{ this.placeholder }}</script>
{% endmacro %}
{% macro script(this, kwargs) %}
katyeLoad(document.getElementById("katye-data"))
  .then(function (data) { katyeDraw({{ this._parent.get_name() }}, data); });
{% endmacro %}
""")

    def __init__(self, payload: dict):
        super().__init__()
        self._name = "KatyePayload"
        self.encoding, self.payload = encode_payload(payload)
        self.media_type = "application/json" if self.encoding == "json" else "application/octet-stream"
        self.placeholder = PLACEHOLDER
        self.head = HEAD_PLACEHOLDER


@lru_cache(maxsize=1)
def _head() -> str:
    """The stylesheets and scripts every page inlines (the same for every map)."""
    return "\n".join(
        [
            assets.style(assets.leaflet_css()),
            assets.style(style.css_variables()),
            assets.style(assets.katye_css()),
            assets.script(assets.leaflet_js()),
            assets.script(assets.katye_js()),
        ]
    )


#: Above this many characters of JSON, the payload travels gzip-compressed (decoded by the browser).
COMPRESS_OVER = 100_000


def encode_payload(payload: dict) -> tuple[str, str]:
    """The payload as it sits in the page: ``("json", text)``, or ``("gzip-base64", text)`` when large.

    Large maps are mostly numbers, which compress about tenfold; the page inflates them with the
    browser's own ``DecompressionStream``. The gzip header carries no time, so the bytes are stable.
    """
    shapes = payload.get("shapes")
    if shapes:
        # The outlines' JSON is written once per process (see _Shape), then set in its place: the
        # token is the first string of the page's JSON, since "shapes" comes first.
        text = safe_json({"shapes": SHAPES_TOKEN} | {k: v for k, v in payload.items() if k != "shapes"})
        text = text.replace(f'"{SHAPES_TOKEN}"', "[" + ",".join(map(_shape_json, shapes)) + "]", 1)
    else:
        text = safe_json(payload)
    if len(text) <= COMPRESS_OVER:
        return "json", text
    # Level 1: on a 50,000-incident map 10 % larger than level 4 and 4.5 times faster than level 6
    # (0.017 s against 0.029 s and 0.079 s); the page is still a dozen times smaller than explore's.
    packed = gzip.compress(text.encode("utf-8"), compresslevel=1, mtime=0)
    return "gzip-base64", base64.b64encode(packed).decode("ascii")


def share_shapes(payload: dict) -> dict:
    """The payload with each outline its layers' features draw written once, in ``shapes``.

    The control, risk, hot-spot and emerging layers draw the same zones: a feature names its
    outline's place in ``shapes`` (``"shape": i``) instead of carrying a copy, which made up a
    quarter of a 50,000-incident page's data. Outlines are told apart by identity: the
    geometries come from a cache that returns one object per outline (see :func:`_geometry`).
    """
    shapes: list[dict] = []
    seen: dict[int, int] = {}

    def shared(feature: dict) -> dict:
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict):
            return feature
        if id(geometry) not in seen:
            seen[id(geometry)] = len(shapes)
            shapes.append(geometry)
        return {
            ("shape" if key == "geometry" else key): (seen[id(geometry)] if key == "geometry" else value)
            for key, value in feature.items()
        }

    layers = [
        {**layer, "features": [shared(f) for f in layer["features"]]} if layer.get("features") else layer
        for layer in payload.get("layers", [])
    ]
    return {**payload, "layers": layers, "shapes": shapes}


def read_payload(html: str) -> dict:
    """The data of a saved katye map page (the inverse of :func:`encode_payload`), for tests and tools.

    Packed integer columns (see :func:`_packed_array`) come back as lists of numbers, and each
    feature's outline sits in it again as ``geometry`` (see :func:`share_shapes`).
    """
    found = re.search(r'<script type="[^"]+" id="katye-data" data-encoding="([^"]+)">(.*?)</script>', html, re.S)
    if found is None:
        raise ValueError("not a katye map page: no katye-data block")
    encoding, text = found.groups()
    if encoding == "gzip-base64":
        text = gzip.decompress(base64.b64decode(text)).decode("utf-8")
    payload = json.loads(text)
    shapes = payload.pop("shapes", [])
    for layer in payload.get("layers", []):
        spec = layer.get("incidents") or {}
        for key in spec.get("packed", []):
            spec[key] = _unpacked(spec[key])
        if "id_number" in spec:
            width = spec.pop("id_width")
            spec["ids"] = [f"{spec['id_prefix']}{n:0{width}d}" for n in spec.pop("id_number")]
            del spec["id_prefix"]
        for feature in layer.get("features") or []:
            if "shape" in feature:
                feature["geometry"] = shapes[feature.pop("shape")]
    return payload


#: Packed integer columns: the key that names each width, and its little-endian NumPy type.
PACKED = {"i8": "<i1", "i16": "<i2", "i32": "<i4"}


def _packed_array(value) -> dict:
    """A NumPy array of integers as the page carries it: ``{"i8" | "i16" | "i32": base64 of the bytes}``.

    Fifty thousand numbers written out as JSON cost more to write, compress and parse than all the
    rest of a map's data; as bytes they cost next to nothing, and the runtime reads a typed array.
    Each column takes the narrowest little-endian width its values fit. The incidents' ``packed``
    list names the columns sent so: only those are read back as numbers, whatever other data holds.
    """
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "iub":
        raise TypeError(f"not JSON: {type(value).__name__}")
    low, high = (int(value.min()), int(value.max())) if value.size else (0, 0)
    for key, dtype in PACKED.items():
        limits = np.iinfo(np.dtype(dtype))
        if limits.min <= low and high <= limits.max:
            return {key: base64.b64encode(value.astype(dtype).tobytes()).decode("ascii")}
    raise ValueError("a column of the page's data goes beyond 32-bit integers")


def _unpacked(value: dict) -> list[int]:
    ((key, text),) = value.items()
    return np.frombuffer(base64.b64decode(text), dtype=PACKED[key]).tolist()


def safe_json(value) -> str:
    """JSON that can sit inside a <script> element: ``<``, ``>``, ``&`` and line separators escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_packed_array)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        if raw in text:  # a search costs a third of a replacement, and most are not needed
            text = text.replace(raw, escaped)
    return text


#: Stands for the outlines in the page's JSON until their text, written once, takes its place.
SHAPES_TOKEN = "katye:shapes"


class _Shape(dict):
    """A GeoJSON geometry that keeps its JSON text once written: the same outlines recur on every map."""

    text: str | None = None


def _shape_json(shape: dict) -> str:
    if not isinstance(shape, _Shape):
        return safe_json(shape)
    if shape.text is None:
        shape.text = safe_json(dict(shape))
    return shape.text


def _geometry(geom, digits: int = 5) -> dict:
    return _geometry_cached(geom.wkb, digits)


@lru_cache(maxsize=4096)
def _geometry_cached(wkb: bytes, digits: int) -> _Shape:
    """GeoJSON of a geometry on a 10^-digits degree grid (cached: the shipped layers recur on every map)."""
    geom = shapely.from_wkb(wkb)
    # GEOS snaps each coordinate to k / 10^digits, the double nearest that decimal, which is what
    # round(value, digits) gives (tested): the coordinates need no second pass in Python.
    mapped = shapely.geometry.mapping(shapely.set_precision(geom, 10**-digits))
    return _Shape(type=mapped["type"], coordinates=mapped["coordinates"])


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _fix_ids(element, counter=None) -> None:
    """Replace folium's random element ids with sequential ones: same map, same bytes."""
    counter = counter if counter is not None else iter(range(10**9))
    element._id = f"katye{next(counter)}"
    for child in element._children.values():
        _fix_ids(child, counter)


def _zone_features(zones: gpd.GeoDataFrame, rows_of, style_of, names: dict | None = None) -> list[dict]:
    """Each zone's outline, popup rows and look; ``names`` overrides the titles (the map's zone names)."""
    names = names or {}
    features = []
    for zone in zones.itertuples(index=False):
        features.append(
            {
                "geometry": _geometry(zone.geometry),
                "title": names.get(zone.zone_id, zone.name),
                "rows": [[a, _text(b)] for a, b in rows_of(zone)],
                **style_of(zone),
            }
        )
    return features


def _incidents_payload(incidents: gpd.GeoDataFrame, periods: dict[str, list[str]], max_points: int) -> dict:
    """The incidents as the runtime draws them, with each one's month and ACLED week (indexes into ``periods``)."""
    type_codes, types = _sorted_codes(incidents["event_type"])
    colors = style.type_colors(types)
    lon = incidents.geometry.x.to_numpy()
    lat = incidents.geometry.y.to_numpy()
    origin = (
        [round(float(np.floor(lon.min() * 100) / 100), 2), round(float(np.floor(lat.min() * 100) / 100), 2)]
        if len(incidents)
        else [-72.5, 18.4]
    )
    period_of = {kind: period_index(incidents["event_date"], kind, keys) for kind, keys in periods.items()}
    fatalities = incidents["fatalities"].to_numpy().astype(int)
    coarse = (incidents["assignment"] == "coarse").to_numpy().astype(int)
    levels = list(PRECISION_ORDER)
    bases = list(BASIS_ORDER)
    # Codes by category (a hash of the few names, not a dictionary lookup per row); -1 where absent.
    basis = (
        pd.Categorical(incidents["precision_basis"], categories=bases).codes.astype(int)
        if "precision_basis" in incidents.columns
        else np.full(len(incidents), -1)
    )
    precision = pd.Categorical(incidents["location_precision"], categories=levels).codes.astype(int)
    precision[precision < 0] = levels.index("unknown")
    common = {"origin": origin, "types": types, "colors": colors, "precisions": levels, "bases": bases}
    if len(incidents) <= max_points:
        tables = {}

        def table(column: str, name: str) -> np.ndarray:
            values = incidents[column] if column in incidents.columns else pd.Series([""] * len(incidents))
            codes, tables[name] = _sorted_codes(values)
            return codes

        actor1 = table("actor1", "actors_1")
        actor2 = table("actor2", "actors_2")
        actors = sorted(set(tables["actors_1"]) | set(tables["actors_2"]))
        index = {a: i for i, a in enumerate(actors)}
        actor1 = np.array([index[a] for a in tables["actors_1"]], dtype=np.int64)[actor1]
        actor2 = np.array([index[a] if a else -1 for a in tables["actors_2"]], dtype=np.int64)[actor2]
        location = table("location", "locations")
        source = table("source", "sources")
        sub_type = table("sub_event_type", "sub_types")
        # Days as codes into their sorted list: the order of the codes is the order of the dates.
        day_codes, day_list = pd.factorize(incidents["event_date"].dt.strftime("%Y-%m-%d"), sort=True)
        notes = incidents["notes"].astype(str) if "notes" in incidents.columns else None
        text = {"actors": actors, "locations": tables["locations"], "sources": tables["sources"]}
        text |= {"sub_types": tables["sub_types"], "dates": [str(d) for d in day_list]}
        if notes is not None and notes.nunique() * 2 <= len(notes):
            # Notes repeat in some files (one boilerplate per event): then they travel once each.
            notes = pd.Series(table("notes", "notes"))  # codes
            text["notes"] = tables["notes"]
        points = {
            **common,
            "mode": "points",
            "lon": np.round((lon - origin[0]) * 1e5).astype(np.int64),
            "lat": np.round((lat - origin[1]) * 1e5).astype(np.int64),
            "type": np.asarray(type_codes),
            "fatalities": np.asarray(fatalities),
            "month": np.asarray(period_of["month"]),
            "week": np.asarray(period_of["week"]),
            "coarse": np.asarray(coarse),
            "precision": np.asarray(precision),
            "basis": np.asarray(basis),
            **_event_ids(incidents["event_id"]),
            "dates": np.asarray(day_codes),
            "actor1": np.asarray(actor1),
            "actor2": np.asarray(actor2),
            "location": np.asarray(location),
            "source": np.asarray(source),
            "sub_type": np.asarray(sub_type),
            "notes": None if notes is None else (notes.to_numpy() if "notes" in text else notes.tolist()),
            "text": text,
        }
        return {**points, "packed": [key for key, value in points.items() if isinstance(value, np.ndarray)]}
    # Too many to draw one by one: squares of about 110 m with counts by type and by month.
    cell = 100  # in 1e-5 degrees
    cx = (np.floor((lon - origin[0]) * 1e5 / cell) * cell).astype(np.int64)
    cy = (np.floor((lat - origin[1]) * 1e5 / cell) * cell).astype(np.int64)
    # By square (one integer key, sorted stably: rows of a square keep the file's order).
    order = np.argsort(cx * 10**9 + cy, kind="stable")
    frame = {"cx": cx, "cy": cy, "type": type_codes, "fatalities": fatalities, **period_of}
    frame = {name: np.asarray(column)[order] for name, column in frame.items()}
    key = frame["cx"] * 10**9 + frame["cy"]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counts = np.diff(np.r_[starts, len(key)])
    fatal = np.add.reduceat(frame["fatalities"], starts) if len(key) else np.array([], int)
    cell_of_row = np.repeat(np.arange(starts.size), counts)
    by_type = np.zeros((starts.size, len(types)), dtype=np.int64)
    np.add.at(by_type, (cell_of_row, frame["type"]), 1)
    month = _period_pairs(frame["month"], key, starts.size)
    week = _period_pairs(frame["week"], key, starts.size)
    cx = frame["cx"][starts].tolist()
    cy = frame["cy"][starts].tolist()
    cells = [
        [cx[i], cy[i], int(counts[i]), int(fatal[i]), month[i], by_type[i].tolist(), week[i]]
        for i in range(starts.size)
    ]
    return {**common, "mode": "cells", "cell": cell, "cells": cells, "color": style.CELL_COLOR}


#: Digits an event id's number may have to travel as a number (int32 holds nine).
ID_DIGITS = 9


def _event_ids(ids: pd.Series) -> dict:
    """The incidents' ids as the page carries them: ``{"ids": [...]}``, or as numbers after a prefix.

    ACLED's ids are a country code and a number (``HTI12345``). When every id is one prefix and
    at most nine digits, written the same way (all zero-padded to one width, or none with a
    leading zero), they travel as ``id_prefix``, ``id_width`` (0: no padding) and the numbers,
    packed: a tenth of the page's data, and its least compressible part, as text. The runtime
    writes them back out exactly.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    written = ids.astype(object).where(ids.notna(), "").astype(str)  # a missing id shows as none
    if not len(written):
        return {"ids": []}
    text = pa.array(written.to_numpy(dtype=object), type=pa.string())
    prefix = str(text[0]).rstrip("0123456789")
    digits = pc.utf8_slice_codeunits(text, len(prefix))
    lengths = pc.utf8_length(digits).to_numpy(zero_copy_only=False)
    padded = int(lengths.min()) == int(lengths.max())
    if not (
        pc.all(pc.starts_with(text, prefix)).as_py()
        # ASCII digits only (Unicode has other digits, which no number cast reads); none: no match.
        and pc.all(pc.match_substring_regex(digits, f"^[0-9]{{1,{ID_DIGITS}}}$")).as_py()
    ):
        return {"ids": written.tolist()}
    leading_zero = pc.any(pc.and_(pc.starts_with(digits, "0"), pc.greater(pc.utf8_length(digits), 1))).as_py()
    if leading_zero and not padded:
        return {"ids": written.tolist()}
    numbers = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)
    return {"id_prefix": prefix, "id_width": int(lengths[0]) if leading_zero else 0, "id_number": numbers}


def _sorted_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each row's code into the sorted distinct texts of ``values`` (a missing value is the empty text).

    Converting a million rows to Python strings costs more than the rest of the page's data, so a
    categorical column is coded from its few categories, and text is converted only when some is missing.
    """
    if isinstance(values.dtype, pd.CategoricalDtype) and not values.hasnans:
        present = values.cat.remove_unused_categories()
        names = np.array([str(c) for c in present.cat.categories], dtype=object)
        order = np.argsort(names, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank[present.cat.codes.to_numpy()], names[order].tolist()
    codes, uniques = pd.factorize(values.astype(object).fillna("").astype(str) if values.hasnans else values, sort=True)
    return codes, [str(u) for u in uniques]


def _period_pairs(periods: np.ndarray, key: np.ndarray, cells: int) -> list[list[int]]:
    """Per cell, flat (period, count) pairs: runs of equal (cell, period) once sorted by both."""
    order = np.lexsort((periods, key))
    key, period = key[order], periods[order]
    run_start = np.flatnonzero(np.r_[True, (key[1:] != key[:-1]) | (period[1:] != period[:-1])])
    run_len = np.diff(np.r_[run_start, len(key)])
    cell_of_run = np.cumsum(np.r_[True, key[run_start][1:] != key[run_start][:-1]]) - 1
    pairs = np.column_stack([period[run_start], run_len]).ravel().tolist()
    bounds = np.r_[0, np.cumsum(np.bincount(cell_of_run, minlength=cells))] * 2
    return [pairs[bounds[i] : bounds[i + 1]] for i in range(cells)]


def _incident_legend(spec: dict, words: dict, largest: tuple[int, int] | None = None) -> list[dict]:
    """Type colours, the hollow ring and the size keys for points; one graded square for counts per square.

    ``largest`` is the largest stack and the largest toll of a lone event shown (default: of the whole period).
    """
    if spec["mode"] == "cells":
        metres = int(round(spec["cell"] / 1e5 * 111_320, -1))  # 1e-5 degree cells, about 1.1 m each
        return [_item(words["cells"].format(m=metres), style.Swatch(style.CELL_COLOR))]
    legend = [_item(t, style.Swatch(c, "dot")) for t, c in zip(spec["types"], spec["colors"], strict=True)]
    legend.append(_item(words["coarse"], style.Swatch(style.ZONE_EDGE, "ring")))
    stack, toll = largest if largest is not None else _largest(spec, None, 1)[0]
    return legend + _stack_key(stack, words) + _fatality_key(toll, words)


def _largest(
    spec: dict, kind: str | None, periods: int, *, stacks: tuple[np.ndarray, int] | None = None
) -> list[tuple[int, int]]:
    """Per period of ``kind`` (or for the whole, kind None): the largest stack and the largest lone toll.

    A stack is the events on one coordinate, as the runtime groups them; ``stacks``: the
    incidents' :func:`_stack_places`, when already found.
    """
    if not len(spec["lon"]):
        return [(0, 0)] * periods
    place, places = stacks if stacks is not None else _stack_places(spec)
    period = np.asarray(spec[kind], dtype=np.int64) if kind else np.zeros(len(place), dtype=np.int64)
    # An incident in none of the periods (-1) is in no period's key.
    counted = period >= 0
    period, place = period[counted], place[counted]
    fatalities = np.asarray(spec["fatalities"], dtype=np.int64)[counted]
    pair = period * places + place
    counts = np.bincount(pair, minlength=periods * places)
    stack = counts.reshape(periods, places).max(axis=1)
    lone = counts[pair] == 1
    toll = np.zeros(periods, dtype=np.int64)
    np.maximum.at(toll, period[lone], fatalities[lone])
    return [(int(s), int(t)) for s, t in zip(stack, toll, strict=True)]


def _stack_places(spec: dict) -> tuple[np.ndarray, int]:
    """Each incident's place (its stack) as a number, and how many places there are."""
    lon, lat = np.asarray(spec["lon"], dtype=np.int64), np.asarray(spec["lat"], dtype=np.int64)
    if not lon.size:
        return np.zeros(0, dtype=np.int64), 0
    codes, uniques = pd.factorize((lon - lon.min()) << 22 | (lat - lat.min()))
    return codes, len(uniques)


def _fatality_key(largest: int, words: dict) -> list[dict]:
    """The size key for lone events, sized by their deaths (the largest toll drawn, and 1 and 10 below it)."""
    return [
        {
            "label": count_text(n, words["fatality_size"], words),
            "color": style.ZONE_EDGE,
            "shape": "size",
            "radius": round(style.fatality_radius(n), 1),
        }
        for n in style.fatality_key(largest)
    ]


def _stack_key(largest: int, words: dict) -> list[dict]:
    """The size key for stacks: from two events at one place up to the largest stack drawn."""
    if largest < 2:
        return []
    return [{"label": words["stack_colour"], "note": True}] + [
        {
            "label": words["stack_size"].format(n=number_text(n, words)),
            "color": style.ZONE_EDGE,
            "shape": "size",
            "radius": round(style.stack_radius(n), 1),
        }
        for n in style.stack_key(largest)
    ]


def _item(label: str, swatch: style.Swatch) -> dict:
    """One legend row: the words and the swatch as the map draws it."""
    item: dict[str, object] = {"label": label, "color": swatch.color, "shape": swatch.shape}
    if swatch.shape == "stroke":
        item |= {"dash": swatch.dash, "width": swatch.width}
    return item


def _layer(key: str, kind: str, name: str, show, legend: list[dict], **body) -> dict:
    """A layer of the payload: the runtime draws ``body`` with its function for ``kind``."""
    return {"key": key, "kind": kind, "name": name, "show": key in show, "legend": legend, **body}


def _density_alpha(scaled):
    """The density image's opacity at a fraction of its top value (nothing below 2 %)."""
    return np.where(scaled > 0.02, style.DENSITY_FLOOR + (1 - style.DENSITY_FLOOR) * scaled, 0.0)


def _density_legend(image: dict, words: dict) -> list[dict]:
    """Swatches sampled from the drawn colour map at the legend's stops, at the opacity they are drawn with."""
    return [
        _item(
            f"≈ {number_text(image['top'] * f, words)}",
            style.Swatch(style.blend(style.density_hex(f), float(_density_alpha(f)) * style.DENSITY_OPACITY)),
        )
        for f in style.DENSITY_STOPS
    ]


def _density_image(surface) -> dict:
    """Resample the EPSG:32618 surface onto a longitude/latitude grid and encode it as a PNG."""
    from PIL import Image

    minx, miny, maxx, maxy = surface.bounds
    to_lonlat = Transformer.from_crs(surface.crs, "EPSG:4326", always_xy=True)
    from_lonlat = Transformer.from_crs("EPSG:4326", surface.crs, always_xy=True)
    corners = to_lonlat.transform([minx, minx, maxx, maxx], [miny, maxy, miny, maxy])
    west, east = min(corners[0]), max(corners[0])
    south, north = min(corners[1]), max(corners[1])
    rows, cols = surface.values.shape
    lons = np.linspace(west, east, cols)
    lats = np.linspace(north, south, rows)
    grid_lon, grid_lat = np.meshgrid(lons, lats)
    x, y = from_lonlat.transform(grid_lon, grid_lat)
    a, _, c, _, e, f = surface.transform
    sampled = bilinear(surface.values, (y - f) / e - 0.5, (x - c) / a - 0.5)  # scipy's map_coordinates, order 1
    top = float(np.quantile(sampled[sampled > 0], 0.995)) if (sampled > 0).any() else 1.0
    scaled = np.clip(sampled / top, 0, 1)
    pixels = np.empty((*scaled.shape, 4), dtype=np.uint8)
    pixels[..., :3] = style.density_colours(scaled)
    # Density is of events on land: the sea stays sea, whatever the kernel spreads over the coast.
    land = geodata.land().set_index("land_id").loc["haiti", "geometry"]
    shapely.prepare(land)
    on_land = shapely.contains_xy(land, grid_lon, grid_lat)
    pixels[..., 3] = np.round(np.where(on_land, _density_alpha(scaled), 0.0) * 255)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buffer, format="png")
    image = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"image": image, "bounds": [[south, west], [north, east]], "top": top}


def make_map(
    incidents: gpd.GeoDataFrame | MapData | None = None,
    zones: gpd.GeoDataFrame | None = None,
    *,
    tiles: str | None = None,
    max_points: int = 50_000,
    show=("control", "incidents", "sites", "names"),
    emerging: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    **options: Unpack[MapOptions],
) -> folium.Map:
    """Build the report map: control, risk, incidents, density, hot spots, key sites, boundaries, place names.

    Parameters
    ----------
    incidents
        Canonical incidents (from :func:`katye.read_incidents`), or None for a map of the gazetteer;
        or a :class:`~katye.mapdata.MapData` from :func:`katye.prepare`, already computed (then
        ``zones`` and ``options`` are not used).
    zones
        Area layer (default: the shipped zones).
    tiles
        None (default): no network at all, the shipped outlines are the basemap. ``"osm"`` or
        ``"cartodb"``: online tiles under the layers (these need a network when the map is opened).
    max_points
        Above this many incidents they are drawn as counts on ~110 m squares rather than one by one.
    show
        Layers switched on when the map opens (keys: control, risk, incidents, density, hotspots,
        emerging, sites, boundaries, names); the others are in the layer control.
    emerging
        The result of :func:`katye.emerging_hotspots` on these zones: adds a layer of the zones by
        emerging-hot-spot category, with its slices and method in the legend.
    roads
        The result of :func:`katye.corridors.corridor_risk`: adds a "Corridors" layer (shown when
        the map opens) of the road segments coloured by risk class, and the roads' credit.
    **options
        What to map, as for :func:`katye.prepare`: ``control``, ``as_of``, ``start``, ``end``,
        ``lang``, ``title``, ``acled_accessed``, ``risk_per``.

    Returns
    -------
    folium.Map
        Display it in a notebook, or write it with :func:`save_map`.

    """
    if tiles is not None and tiles not in TILES and tiles != "none":
        raise UsageError(f"tiles={tiles!r}: use None (offline), 'osm' or 'cartodb'.")
    tiles = None if tiles == "none" else tiles
    data = as_map_data(incidents, zones, **options)
    words, zones = data.words, data.zones
    layers = [_control_layer(data, show)]
    periods: dict[str, list[tuple]] = {"month": [], "week": []}
    if data.incidents is not None and len(data.incidents):
        drawn = data.incidents
        layers.append(_risk_layer(data.scored, words, show, data.zone_names))
        # Every month and ACLED week of the period, quiet ones too: a quiet week is news.
        if data.start is not None and data.end is not None:
            periods = {kind: periods_between(data.start, data.end, kind) for kind in periods}
        spec = _incidents_payload(drawn, {k: [p[0] for p in v] for k, v in periods.items()}, max_points)
        spec["precision_labels"] = [words["precisions"][p] for p in spec["precisions"]]
        spec["types"] = [words["event_types"].get(t, t) for t in spec["types"]]  # colours stay keyed by ACLED's
        spec["basis_labels"] = [words["bases"][b] for b in spec["bases"]]
        if "text" in spec:
            # ACLED's sub-event types in the map's language; others (your own files) as written.
            spec["text"]["sub_types"] = [words["sub_event_types"].get(t, t) for t in spec["text"]["sub_types"]]
            if words.get("months"):
                # Dates as the language writes them, once per day (the runtime sorts by the day codes).
                spec["date_text"] = [day_text(dt.date.fromisoformat(d), words) for d in spec["text"]["dates"]]
        stacks = _stack_places(spec) if spec["mode"] == "points" else None
        whole = _largest(spec, None, 1, stacks=stacks)[0] if stacks is not None else None
        layers.append(
            _layer(
                "incidents",
                "incidents",
                words["incidents"],
                show,
                _incident_legend(spec, words, whole),
                legend_title=words["incidents"],
                incidents=spec,
                # The stack sizes of each month and week, for the legend while one is shown.
                period_legends={
                    kind: [
                        _incident_legend(spec, words, largest)
                        for largest in _largest(spec, kind, len(keys), stacks=stacks)
                    ]
                    for kind, keys in periods.items()
                }
                if stacks is not None
                else None,
            )
        )
        image = _density_image(data.density)
        # No event located at or near its place: an empty surface, said so, not a scale of zeros.
        empty = data.density is None or data.density.mass() <= 0
        layers.append(
            _layer(
                "density",
                "image",
                words["density"],
                show,
                [_item(words["no_density"], style.Swatch(style.ZONE_EDGE, "outline"))]
                if empty
                else _density_legend(image, words),
                legend_title=words["density_legend"],
                image=image["image"],
                bounds=image["bounds"],
            )
        )
        layers.append(_hotspot_layer(data.hotspots, words, show, data.zone_names))
    if emerging is not None:
        require_result(emerging)
        if set(emerging["zone_id"]) != set(data.zones["zone_id"]):
            raise UsageError(
                "emerging: its zones are not the map's; compute it with the same zones "
                "(katye.emerging_hotspots(incidents, zones)) as the map (katye.make_map(incidents, zones, ...))."
            )
        layers.append(_emerging_layer(emerging, words, show, data.zone_names))
    if roads is not None:
        if not {"events", "risk", "fatalities"} <= set(roads.columns):
            raise UsageError("roads: pass the result of katye.corridors.corridor_risk (events and risk per segment).")
        layers.append(_corridor_layer(roads, words))
    layers.append(_sites_layer(words, show))
    layers.append(_boundaries_layer(words, show))
    layers.append(_names_layer(data, show))
    for layer in layers:
        # Computed over the whole period: while the page shows one month, their legends say so.
        layer["whole_period"] = layer["key"] in WHOLE_PERIOD
    credits = data.credits + _road_credit(roads, words) + ([data.words["basemap"] + TILES[tiles][1]] if tiles else [])
    bounds = geodata.urban_extent().total_bounds
    payload = {
        "labels": {k: v for k, v in words.items() if isinstance(v, str)},
        "title": data.title,
        "subtitle": data.subtitle,
        "caveats": data.caveats,
        "banners": data.banners,
        "watermark": words["synthetic_watermark"] if data.synthetic else None,
        "credits": credits,
        "disclaimer": words["disclaimer"],
        "periods": [
            {
                "kind": kind,
                "group": words["months_group"] if kind == "month" else words["weeks_group"],
                "labels": [month_text(key, words) if kind == "month" else week_text(key, words) for key, *_ in keys],
                "subtitles": [data.period_subtitle(kind, key) for key, *_ in keys],
                "caveats": data.period_caveats(kind, [key for key, *_ in keys]),
            }
            for kind, keys in periods.items()
            if keys
        ],
        "layers": layers,
        "bounds": [[float(bounds[1]), float(bounds[0])], [float(bounds[3]), float(bounds[2])]],
        "basemap": None if tiles else _basemap(),
        "sea": None if tiles else style.SEA,
        "style": style.page_style(),
        "locator": _locator(),
    }
    centre = [round(float((bounds[1] + bounds[3]) / 2), 5), round(float((bounds[0] + bounds[2]) / 2), 5)]
    m = KatyeMap(location=centre, zoom_start=12, tiles=None, prefer_canvas=False, control_scale=False)
    if tiles:
        folium.TileLayer(TILES[tiles][0], attr=TILES[tiles][1], control=False).add_to(m)
    m.add_child(_Payload(share_shapes(payload)))
    m.katye_data = data  # for the PNG in a notebook's output (see _repr_mimebundle_)
    _fix_ids(m)
    return m


def _control_layer(data, show) -> dict:
    words, statuses = data.words, data.words["statuses"]
    # Each zone's row as a dict, read once: a pandas lookup per zone and field cost more than the rest.
    snapshot = data.snapshot.to_dict("index") if data.snapshot is not None else {}
    inferred = data.inferred.to_dict("index") if data.inferred is not None else {}

    def rows(zone):
        out = [(words["status"], statuses[data.status(zone.zone_id)])]
        if zone.zone_id in snapshot:
            row = snapshot[zone.zone_id]
            out += [
                (words["actor"], row["actor"]),
                (words["source"], row["source"]),
                (words["as_of"], row["as_of"]),
                (words["confidence"], words["confidences"].get(row["confidence"], row["confidence"])),
                (words["note"], row["note"]),
            ]
        if zone.zone_id in inferred:
            row = inferred[zone.zone_id]
            holder = row["holder"] or (words["unidentified"] if row["holder_kind"] == "unidentified" else "")
            share = row["leading_share"] if row["holder_kind"] != "unidentified" else row["unidentified_share"]
            name = holder or row["leading_actor"]
            if name and row["leading_coalition"] and row["holder_kind"] != "unidentified":
                name = f"{name} [{row['leading_coalition'].replace(';', ', ')}]"
            detail = f"{name}, {percent_text(share, words)} " if name else ""
            out += [
                (
                    words["inferred"],
                    f"{statuses[row['inferred_status']]} ({detail}"
                    f"{words['of']} {count_text(int(row['armed_events']), words['armed_event_count'], words)})",
                ),
                (
                    words["state_presence"],
                    f"{count_text(int(row['state_events']), words['event_count'], words)} "
                    f"({percent_text(row['state_share'], words)})",
                ),
            ]
            if data.disagrees(zone.zone_id):
                out.append(("⚠", words["disagrees"]))
        out.append((words["zone"], zone.zone_id))
        shape = getattr(zone, "confidence", "")
        if shape in words["zone_shapes"]:
            out.append((words["zone_shape"], words["zone_shapes"][shape]))
        return out

    def look(zone):
        status, disagrees = data.status(zone.zone_id), data.disagrees(zone.zone_id)
        stand_in = getattr(zone, "kind", "") in style.STAND_IN_KINDS
        return {
            "fill": style.STATUS_COLORS[status],
            "fill_opacity": style.STAND_IN_OPACITY if stand_in else style.CONTROL_OPACITY,
            "hatch": status == "contested",
            "stroke": style.DISAGREE_LINE if disagrees else style.ZONE_EDGE,
            "weight": 3 if disagrees else 2 if stand_in else 1,
            "dash": "6 4" if disagrees else style.STAND_IN_DASH if stand_in else None,
        }

    drawn = {data.status(z) for z in data.zones["zone_id"]}
    legend = [_item(statuses[s], style.status_swatch(s)) for s in style.STATUS_COLORS if s in drawn]
    if any(data.disagrees(z) for z in data.zones["zone_id"]):
        legend.append(_item(words["disagrees"], style.Swatch(style.DISAGREE_LINE, "dash")))
    if "kind" in data.zones.columns and data.zones["kind"].isin(style.STAND_IN_KINDS).any():
        legend.append(_item(words["stand_in"], style.Swatch(style.ZONE_EDGE, "outline")))
    return _layer("control", "zones", words["control"], show, legend, features=_zone_features(data.zones, rows, look))


def _risk_layer(scored, words, show, names: dict) -> dict:
    classes = words["classes"]
    per = scored.attrs.get("katye_method", {}).get("per", "zone")
    unit = words["risk_unit"][per]
    breaks = scored.attrs.get("katye_breaks", {})

    def rows(zone):
        # A percentage over a handful of earlier events means little: the trend's words say so instead.
        unmeasured = pd.isna(zone.change_pct) or zone.trend == "low baseline"
        change = "" if unmeasured else percent_text(zone.change_pct / 100, words, signed=True)
        return [
            (words["risk_class"], classes[zone.risk_class]),
            # NaN: per 100,000 people where nobody lives (no rate).
            (f"{words['risk_index']} ({unit})", "—" if pd.isna(zone.risk_index) else f"{zone.risk_index:.2f}"),
            (words["events"], zone.events),
            (words["fatalities"], zone.fatalities),
            (words["trend"], f"{TREND_ARROWS[zone.trend]} {words['trends'][zone.trend]} {change}".strip()),
            (words["zone"], zone.zone_id),
        ]

    legend = [
        _item(
            classes[c] + (f" ({localised(range_text(breaks[c]), words)})" if c in breaks else ""),
            style.class_swatch(style.RISK_COLORS, style.RISK_OPACITY, c),
        )
        for c in style.RISK_COLORS
        if c in breaks or (c == "none" and scored["risk_class"].eq("none").any())
    ]
    return _layer(
        "risk",
        "zones",
        words["risk"],
        show,
        legend,
        legend_title=f"{words['risk_index']} ({unit})",
        features=_zone_features(
            scored, rows, lambda zone: _class_look(style.RISK_COLORS, style.RISK_OPACITY, zone.risk_class), names
        ),
    )


def _class_look(colors: dict[str, str], opacity: float, name: str) -> dict:
    """A zone filled in its class's colour, or outlined with a dash for the classes drawn unfilled."""
    if name in style.UNFILLED:
        return {"fill": None, "stroke": style.ZONE_EDGE, "dash": style.UNFILLED_DASH}
    return {"fill": colors[name], "fill_opacity": opacity, "stroke": style.ZONE_EDGE}


def _hotspot_layer(spots, words, show, names: dict) -> dict:
    classes = words["hotspot_classes"]

    def rows(zone):
        return [
            (words["hotspot"], classes[zone.hotspot]),
            (words["gi_z"], f"{zone.gi_z:.2f}"),
            (words["p_value"], f"{zone.p_sim:.3f}"),
            (words["zone"], zone.zone_id),
        ]

    # The classes drawn, in the palette's order: a legend lists what the map shows.
    drawn = set(spots["hotspot"])
    legend = [
        _item(classes[c], style.class_swatch(style.HOTSPOT_COLORS, style.HOTSPOT_OPACITY, c))
        for c in style.HOTSPOT_COLORS
        if c in drawn
    ]
    if not spots["hotspot"].ne("not significant").any():
        # A blank layer would read as "nothing here" rather than "nothing significant".
        legend.insert(0, {"label": words["no_hotspot"], "note": True})
    return _layer(
        "hotspots",
        "zones",
        words["hotspots"],
        show,
        legend,
        features=_zone_features(
            spots, rows, lambda zone: _class_look(style.HOTSPOT_COLORS, style.HOTSPOT_OPACITY, zone.hotspot), names
        ),
    )


def _emerging_layer(emerging: gpd.GeoDataFrame, words: dict, show, names: dict) -> dict:
    """Zones by emerging-hot-spot category (see :func:`katye.emerging_hotspots`), the method in the legend."""
    method = emerging.attrs.get("katye_method", {})
    categories = words["emerging_categories"]

    def rows(zone):
        return [
            (words["emerging_category"], categories[zone.category]),
            (words["emerging_history"], _history_text(zone.history)),
            (words["emerging_slices"], f"{zone.hot_slices} / {zone.cold_slices} / {zone.slices}"),
            (
                words["emerging_trend"],
                f"z = {localised(f'{zone.trend_z:.2f}', words)}, p = {localised(f'{zone.trend_p:.3f}', words)}"
                if pd.notna(zone.trend_z)
                else "–",
            ),
            (words["zone"], zone.zone_id),
        ]

    def look(zone):
        fill, line, dash, width = style.EMERGING_STYLES[zone.category]
        out = {"fill": fill, "stroke": line, "weight": width, "dash": dash}
        return out | ({"fill_opacity": style.EMERGING_OPACITY} if fill else {})

    drawn = set(emerging["category"])
    legend = [_item(categories[c], style.emerging_swatch(c)) for c in style.EMERGING_STYLES if c in drawn]
    slices = method.get("slices") or []
    period = method.get("period", "week")
    if slices:
        freq = "M" if period == "month" else ACLED_WEEK
        first = pd.Period(slices[0], freq=freq).start_time.date()
        last = pd.Period(slices[-1], freq=freq).end_time.date()
        legend.insert(
            0,
            {
                "label": words["emerging_method"].format(
                    n=len(slices),
                    slices=words["emerging_period"][period],
                    first=day_text(first, words),
                    last=day_text(last, words),
                ),
                "note": True,
            },
        )
    legend.append({"label": words["emerging_history_key"], "note": True})
    return _layer(
        "emerging", "zones", words["emerging"], show, legend, features=_zone_features(emerging, rows, look, names)
    )


def _road_credit(roads: gpd.GeoDataFrame | None, words: dict) -> list[str]:
    """The road layer's credit line: OpenStreetMap's ODbL attribution (in the map's language) or the user's."""
    if roads is None:
        return []
    from katye.corridors import CREDIT_KEY, OSM_CREDIT, UNKNOWN_CREDIT

    credit = str(roads.attrs.get(CREDIT_KEY) or UNKNOWN_CREDIT)
    known = {OSM_CREDIT: "osm_credit", UNKNOWN_CREDIT: "unknown_credit"}
    return [words["corridors"][known[credit]] if credit in known else credit]


def corridor_classes(risk: np.ndarray) -> tuple[np.ndarray, dict[str, tuple[float, float]]]:
    """Each segment's risk class: "none" at 0, else the quartile of the segments with some risk.

    Returns the classes and, per class drawn, the smallest and largest risk in it (for the legend).
    """
    risk = np.asarray(risk, dtype=float)
    names = np.array([*style.CORRIDOR_COLORS, "none"], dtype=object)
    some = risk > 0
    code = np.full(len(risk), len(names) - 1)
    if some.any():
        edges = np.quantile(risk[some], [0.25, 0.5, 0.75])
        code[some] = np.searchsorted(edges, risk[some], side="left")
    ranges = {
        str(names[c]): (float(risk[code == c].min()), float(risk[code == c].max()))
        for c in range(len(names) - 1)
        if (code == c).any()
    }
    return names[code], ranges


def _plain(values: pd.Series) -> pd.Series:
    """Text as the map shows it: missing values empty, spaces around stripped."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def _corridor_layer(roads: gpd.GeoDataFrame, words: dict) -> dict:
    """Road segments coloured by recency-weighted risk (see :func:`katye.corridors.corridor_risk`)."""
    c = words["corridors"]
    method = roads.attrs.get("katye_method", {})
    routes = roads.attrs.get("routes")
    by_route = {} if routes is None else routes.set_index("route")[["events", "risk"]].to_dict("index")
    classes, ranges = corridor_classes(roads["risk"].to_numpy())
    drawn = roads.to_crs("EPSG:4326") if roads.crs is not None else roads
    names = _plain(drawn["name"]) if "name" in drawn else None
    # The whole route a segment belongs to, by the column corridor_risk grouped on.
    route_column = method.get("route_column", "name")
    route_names = _plain(drawn[route_column]) if route_column in drawn else None

    def text(row, column: str) -> str:
        value = getattr(row, column, None) if column in drawn.columns else None
        return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)

    features = []
    # Low risk first, so the worst segments are drawn on top where roads cross.
    order = np.argsort(drawn["risk"].to_numpy(dtype=float), kind="stable")
    for i in order:
        row = drawn.iloc[i]
        name = "" if names is None else names.iloc[i]
        rows = [
            [c["risk"], localised(f"{row['risk']:.2f}", words)],
            [words["events"], number_text(row["events"], words)],
            [words["fatalities"], number_text(row["fatalities"], words)],
        ]
        rows += [[c[key], text(row, key)] for key in ("ref", "highway") if text(row, key)]
        route_name = "" if route_names is None else route_names.iloc[i]
        if route_name in by_route:
            route = by_route[route_name]
            events = count_text(int(route["events"]), words["event_count"], words)
            rows.append(
                [c["route"], c["route_text"].format(events=events, risk=localised(f"{route['risk']:.2f}", words))]
            )
        none = classes[i] == "none"
        features.append(
            {
                "geometry": _geometry(row.geometry),
                "title": name or c["unnamed"],
                "rows": rows,
                "stroke": style.CORRIDOR_NONE if none else style.CORRIDOR_COLORS[classes[i]],
                "weight": style.CORRIDOR_NONE_WIDTH if none else style.CORRIDOR_WIDTH,
                "dash": style.CORRIDOR_NONE_DASH if none else None,
            }
        )
    legend: list[dict] = []
    if method:
        as_of = method.get("as_of")
        legend.append(
            {
                "label": c["method"].format(
                    m=number_text(method["within_m"], words),
                    as_of=day_text(dt.date.fromisoformat(as_of), words) if as_of else "–",
                    half_life=localised(f"{method['half_life_days']:g}", words),
                ),
                "note": True,
            }
        )
    if not ranges:
        legend.append({"label": c["none_found"].format(m=number_text(method.get("within_m", 0), words)), "note": True})
    legend += [
        _item(localised(range_text(ranges[k]), words), style.corridor_swatch(k))
        for k in style.CORRIDOR_COLORS
        if k in ranges
    ]
    if (classes == "none").any():
        legend.append(_item(c["no_event"], style.corridor_swatch("none")))
    return _layer(
        "corridors", "lines", c["layer"], {"corridors"}, legend, legend_title=c["legend_title"], features=features
    )


def _history_text(history: str) -> str:
    """A zone's history as a strip: ▲ a significant hot spot, ▼ a cold one, · neither (one mark a slice)."""
    return "".join({"H": "▲", "C": "▼"}.get(letter, "·") for letter in str(history))


def _sites_layer(words, show) -> dict:
    english = words is LABELS["en"]  # the gazetteer's notes are written in English
    sites = geodata.sites()
    sites = sites[sites["kind"].isin(SHOWN_SITE_KINDS) & sites["commune_pcode"].ne("")]
    out = []
    for site in sites.itertuples(index=False):
        approximate = bool(site.approximate)
        out.append(
            {
                "name": words["site_names"].get(site.site_id, site.name),
                "lat": round(site.geometry.y, 6),
                "lon": round(site.geometry.x, 6),
                "approximate": approximate,
                # The uncertainty circle for the key sites only: around every neighbourhood point it
                # would cover the incidents; their dashed markers already say "approximate".
                "precision_m": int(site.precision_m) if approximate and site.site_id in style.KEY_SITE_RINGS_M else 0,
                # Rings around an approximate point would look measured: none.
                "rings": [] if approximate else list(style.KEY_SITE_RINGS_M.get(site.site_id, ())),
                "rows": [
                    [words["precision_m"], str(site.precision_m)],
                    [words["source"], site.source],
                    # The gazetteer's notes are in English: a French or Creole map leaves them out.
                    *([[words["note"], site.note]] if english else []),
                ],
            }
        )
    rings = sorted({r for s in out for r in s["rings"]})
    legend = [_item(words["site"], style.Swatch(style.SITE_COLOR, "diamond"))]
    if any(s["approximate"] for s in out):
        legend.append(_item(words["approximate_site"], style.Swatch(style.SITE_COLOR, "diamond-dash")))
    if rings:
        km = ", ".join(words["ring"].format(km=f"{r / 1000:g}") for r in rings)
        legend.append(_item(km, style.Swatch(style.RING_COLOR, "ring")))
    return _layer("sites", "sites", words["sites"], show, legend, sites=out)


def label_spot(geometry: shapely.Geometry) -> shapely.Point:
    """Where a name reads best: the pole of inaccessibility of the largest part (metres, 50 m tolerance)."""
    return polylabel(max(shapely.get_parts(geometry), key=lambda p: p.area), tolerance=50)


_TO_LONLAT = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


def _names_layer(data: MapData, show) -> dict:
    """Commune names, then the key sites' names, then zone names, each at its area's pole of inaccessibility.

    The runtime shows them in this order and drops a name that would overlap one already shown,
    or that is wider than its zone at the current zoom: zone names appear as the map zooms in.
    A site's name sits beside its marker.
    """
    words = data.words
    communes = geodata.communes()
    names = _spots(communes, communes[words["name_column"]], kind="commune")
    sites = geodata.sites().set_index("site_id")
    for site_id in style.FIGURE_SITES:
        if site_id in sites.index:
            point = sites.loc[site_id, "geometry"]
            name = words["site_names"].get(site_id, sites.loc[site_id, "name"])
            names.append(
                {"name": str(name), "kind": "site", "lat": round(point.y, 5), "lon": round(point.x, 5)}
                | {"west": round(point.x, 5), "east": round(point.x, 5)}
            )
    zones = data.zones
    names += _spots(zones, zones["name"], kind="zone")
    return _layer("names", "names", words["names"], show, [], names=names)


def _spots(areas: gpd.GeoDataFrame, names: pd.Series, *, kind: str) -> list[dict]:
    """Label spots for ``areas``, largest first, with each area's west and east edges (for fitting)."""
    lonlat = areas if areas.crs.equals("EPSG:4326") else areas.to_crs("EPSG:4326")
    places = [_label_place(geometry.wkb) for geometry in lonlat.geometry.values]
    order = np.argsort(-np.array([place[0] for place in places], dtype=float), kind="stable")
    return [
        {"name": str(names.iloc[i]), "kind": kind}
        | dict(zip(("lat", "lon", "west", "east"), places[i][1:], strict=True))
        for i in order
    ]


_TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


@lru_cache(maxsize=4096)
def _label_place(wkb: bytes) -> tuple[float, ...]:
    """An area's size in m², and its label's latitude and longitude and its west and east edges (rounded).

    Cached by outline: the shipped communes and zones are labelled on every map.
    """
    geometry = shapely.from_wkb(wkb)
    metric = shapely.transform(geometry, lambda xy: np.column_stack(_TO_METRIC.transform(xy[:, 0], xy[:, 1])))
    spot = label_spot(metric)
    lon, lat = _TO_LONLAT.transform(spot.x, spot.y)
    west, _, east, _ = geometry.bounds
    return float(metric.area), *(round(float(value), 5) for value in (lat, lon, west, east))


def _boundaries_layer(words, show) -> dict:
    features = []
    for commune in geodata.communes().itertuples(index=False):
        features.append(
            {
                "geometry": _geometry(commune.geometry, 4),
                "title": commune.name,
                "stroke": style.COMMUNE_LINE,
                "weight": 2,
                "rows": [[words["commune"], commune.name], [words["pcode"], commune.commune_pcode]],
            }
        )
    for section in geodata.sections().itertuples(index=False):
        features.append(
            {
                "geometry": _geometry(section.geometry, 4),
                "title": section.name,
                "stroke": style.SECTION_LINE,
                "weight": 1,
                "dash": "3 3",
                "rows": [
                    [words["section"], section.name],
                    [words["commune"], section.commune],
                    [words["pcode"], section.section_pcode],
                ],
            }
        )
    legend = [
        _item(words["commune"], style.Swatch(style.COMMUNE_LINE, "line")),
        _item(words["section"], style.Swatch(style.SECTION_LINE, "dash")),
    ]
    # Lines to read the map by: they answer the pointer on their lines, not over the areas they enclose.
    return _layer("boundaries", "zones", words["boundaries"], show, legend, features=features, lines_only=True)


def _locator() -> dict:
    """Haiti's outline (simplified to about 1 km) for the locator map: outer rings only, in degrees."""
    haiti = geodata.land().set_index("land_id").loc["haiti", "geometry"]
    simple = shapely.simplify(haiti, 0.01)
    parts = [p for p in shapely.get_parts(simple) if p.area > 1e-4]
    rings = [[[round(x, 2), round(y, 2)] for x, y in p.exterior.coords] for p in parts]
    minx, miny, maxx, maxy = haiti.bounds
    return {
        "rings": rings,
        "bounds": [round(minx, 2), round(miny, 2), round(maxx, 2), round(maxy, 2)],
        "fill": style.LAND["haiti"][0],
        "stroke": style.LAND["haiti"][1],
        "sea": style.SEA,
        "box": style.CAVEAT_TEXT,
    }


def _basemap() -> list[dict]:
    """Haiti's land as a backdrop and the metro's land over it; the sea is the page behind both."""
    land = geodata.land().set_index("land_id")
    return [
        {"geometry": _geometry(land.loc[key, "geometry"], 4), "weight": 1, "fill": fill, "stroke": stroke}
        for key, (fill, stroke) in style.LAND.items()
    ]


def save_map(m: folium.Map, path: str | os.PathLike) -> Path:
    """Write the map to ``path`` atomically (a temporary file, then a rename)."""
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"{target}: a map is saved as .html.")
    html = m.render_html() if isinstance(m, KatyeMap) else m.get_root().render()
    with atomic_path(target) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return target
