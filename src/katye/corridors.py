"""Corridors: incidents near the roads of a layer the user brings, and a recency-weighted risk per road.

A road layer (an OpenStreetMap export, a ministry's network …) is read with :func:`read_roads`;
:func:`corridor_risk` counts the exactly located incidents within a distance of each segment and
weighs each by its age (exponential decay with a half-life), per segment and per named route.

Only ``exact`` incidents count: an event known only to a neighbourhood or commune centre would
otherwise be put on whichever road passes that centre (see :func:`katye.assign`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from katye.crs import METRIC_CRS, STORAGE_CRS, require_crs
from katye.errors import InputError, UsageError, plural

log = logging.getLogger("katye")

#: The credit OpenStreetMap's licence asks for (ODbL 1.0, section 4.3).
OSM_CREDIT = "© OpenStreetMap contributors, ODbL 1.0"
#: The credit of a road layer whose source the user did not give.
UNKNOWN_CREDIT = "Roads: source not given"
#: Columns that mark an OpenStreetMap export (osmium, QuickOSM, Overpass turbo, Geofabrik's shapefiles).
OSM_COLUMNS = ("osm_id", "highway", "osm_type", "@id")
LINE_TYPES = ("LineString", "MultiLineString")
#: The keys of ``attrs`` katye sets on a road layer and on a corridor result.
CREDIT_KEY = "katye_credit"
REJECTED_KEY = "katye_rejected"
METHOD_KEY = "katye_method"


def read_roads(
    path: str | os.PathLike | gpd.GeoDataFrame, *, name_column: str | None = "name", credit: str | None = None
) -> gpd.GeoDataFrame:
    """Read a road layer: lines and multilines with a CRS, each with a ``road_id`` and a ``name``.

    Parameters
    ----------
    path
        A file GDAL reads through pyogrio: GeoPackage, GeoJSON, shapefile, FlatGeobuf …; or a
        GeoDataFrame of lines already in memory (not changed).
    name_column
        The column holding road names (OpenStreetMap: ``name``); copied to ``name`` ("" where
        missing). None: the roads have no names (no per-route table).
    credit
        The layer's credit line, shown on maps. Default: OpenStreetMap's (ODbL 1.0) when the layer
        looks like an OpenStreetMap export (an ``osm_id`` or ``highway`` column), else
        "Roads: source not given".

    Returns
    -------
    geopandas.GeoDataFrame
        The lines in the file's CRS, in file order, with ``road_id`` (``r<row>``, the row in the
        file) and ``name``. ``attrs["katye_credit"]`` holds the credit; ``attrs["katye_rejected"]``
        counts the rows left out by reason (``empty geometry``, ``not a line (Point)`` …), each
        also logged as a warning.

    Raises
    ------
    katye.errors.InputError
        The file cannot be read, holds no line, or lacks ``name_column``.
    katye.errors.CRSError
        The file has no coordinate reference system.

    """
    if isinstance(path, gpd.GeoDataFrame):
        # A layer already in memory (e.g. filtered from a bigger export): checked like a file.
        frame, path = path.copy(), Path("the road layer given")
    elif not isinstance(path, (str, os.PathLike)):
        raise UsageError(f"read_roads: pass a file path or a GeoDataFrame of lines, not {type(path).__name__}.")
    else:
        path = Path(path)
        if not path.exists():
            raise InputError(f"{path}: no such file. Expected a road layer (GeoPackage, GeoJSON, shapefile …).")
        try:
            frame = gpd.read_file(path, engine="pyogrio")
        except Exception as exc:  # pyogrio's and GDAL's errors vary by driver; the message says which
            raise InputError(
                f"{path}: cannot be read as a road layer ({exc}). Expected lines in a format GDAL reads "
                "(GeoPackage, GeoJSON, shapefile); export the roads again in one of these."
            ) from exc
    require_crs(frame, what=f"the road layer {path}")
    if name_column is not None and name_column not in frame.columns:
        columns = ", ".join(c for c in frame.columns if c != frame.geometry.name) or "none"
        raise InputError(
            f"{path}: no column {name_column!r} for the road names (columns: {columns}). "
            "Pass name_column= one of these (CLI: --roads-name), or name_column=None for unnamed roads."
        )
    detected = OSM_CREDIT if any(c in frame.columns for c in OSM_COLUMNS) else UNKNOWN_CREDIT
    kept, rejected = _lines(frame.geometry.values)
    if not kept.any():
        found = ", ".join(f"{reason}: {plural(n, 'row')}" for reason, n in rejected.items()) or "no rows"
        raise InputError(
            f"{path}: holds no line geometry ({found}). Expected roads as LineString or "
            "MultiLineString; export the road network as lines (not areas or points)."
        )
    for reason, count in rejected.items():
        log.warning("%s: %s left out (%s).", path, plural(count, "row"), reason)
    rows = np.flatnonzero(kept)
    out = frame.iloc[rows].copy()
    out.insert(0, "road_id", [f"r{r}" for r in rows])
    if name_column is not None:
        out["name"] = out[name_column].astype(object).where(out[name_column].notna(), "").astype(str)
    elif "name" not in out.columns:
        out["name"] = ""
    out = out.reset_index(drop=True)
    out.attrs = {CREDIT_KEY: credit or detected, REJECTED_KEY: rejected}
    return out


def _lines(geometries: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Which geometries are non-empty lines, and the others counted by reason."""
    types = shapely.get_type_id(geometries)
    empty = shapely.is_missing(geometries) | shapely.is_empty(geometries)
    line = np.isin(types, (1, 5)) & ~empty  # LineString, MultiLineString
    rejected: dict[str, int] = {}
    if empty.any():
        rejected["empty geometry"] = int(empty.sum())
    other = ~line & ~empty
    if other.any():
        names, counts = np.unique(shapely.get_type_id(geometries[other]), return_counts=True)
        for type_id, count in zip(names, counts, strict=True):
            rejected[f"not a line ({_TYPE_NAMES.get(int(type_id), type_id)})"] = int(count)
    return line, rejected


_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def corridor_risk(
    incidents: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    *,
    within_m: float = 500,
    half_life_days: float = 30,
    as_of=None,
    route_column: str | None = "name",
) -> gpd.GeoDataFrame:
    """Events near each road segment and a recency-weighted risk, per segment and per named route.

    Each exactly located incident within ``within_m`` metres (EPSG:32618) of a segment counts for
    it with the weight ``exp(-ln 2 · age_days / half_life_days)``: 1 on ``as_of``, 0.5 one
    half-life earlier. Incidents after ``as_of`` and incidents without a date do not count.
    Incidents located only approximately (``location_precision`` other than ``exact``, see
    :func:`katye.read_incidents`) are left out: their point is a neighbourhood or commune centre,
    not a place on a road.

    Parameters
    ----------
    incidents
        Points with a CRS, ``event_date``, ``fatalities`` and ``location_precision`` (or
        ``geo_precision``), e.g. from :func:`katye.read_incidents`.
    roads
        Lines with a CRS, e.g. from :func:`read_roads`.
    within_m
        Distance in metres from a segment within which an incident counts for it.
    half_life_days
        Days after which an incident weighs half.
    as_of
        The day ages are counted from (``"2024-03-31"``, a date); default the last incident's date.
    route_column
        The column naming the route a segment belongs to; None: no per-route table.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``roads`` in EPSG:4326 with ``events``, ``fatalities`` and ``risk``.
        ``attrs["routes"]``: one row per named route (segments with an empty name belong to none),
        sorted by risk: ``route``, ``segments``, ``length_m``, ``events``, ``fatalities`` and
        ``risk`` (each event once per route, even when near several of its segments) and
        ``max_segment_risk``. ``attrs["katye_method"]``: the options, ``as_of`` and the incidents
        counted and left out. ``attrs["katye_credit"]``: the roads' credit.

    """
    if not within_m > 0 or not np.isfinite(within_m):
        raise UsageError(f"within_m={within_m!r}: expected a distance in metres greater than 0, e.g. 500.")
    if not half_life_days > 0 or not np.isfinite(half_life_days):
        raise UsageError(f"half_life_days={half_life_days!r}: expected a number of days greater than 0, e.g. 30.")
    require_crs(incidents, what="the incidents")
    require_crs(roads, what="the roads")
    _, rejected = _lines(roads.geometry.values)
    if rejected:
        found = ", ".join(f"{reason}: {plural(n, 'row')}" for reason, n in rejected.items())
        raise InputError(
            f"the roads hold geometries that are not lines ({found}). Expected LineString or "
            "MultiLineString; read the file with katye.corridors.read_roads, which leaves them out."
        )
    for column in ("event_date", "fatalities"):
        if column not in incidents.columns:
            raise InputError(f"the incidents have no {column!r} column: read them with katye.read_incidents.")
    if route_column is not None and route_column not in roads.columns:
        raise UsageError(
            f"route_column={route_column!r}: the roads have no such column "
            f"(columns: {', '.join(map(str, roads.columns))}). Pass another, or None."
        )

    days, as_of_day = _days(incidents["event_date"], as_of)
    exact = _exact(incidents)
    counted = exact & (days <= as_of_day) & (days > _NO_DAY)
    picked = np.flatnonzero(counted)
    x, y = _metric_xy(incidents.geometry.values[picked], incidents.crs)
    metric_roads = roads.geometry.to_crs(METRIC_CRS).values
    # One bulk query of every point against the tree of segments: pairs (point, segment) within reach.
    tree = shapely.STRtree(metric_roads)
    point_at, road_at = tree.query(shapely.points(x, y), predicate="dwithin", distance=float(within_m))
    point_age = as_of_day - days[picked]
    point_deaths = incidents["fatalities"].to_numpy(dtype=float, na_value=0.0)[picked]
    age, deaths = point_age[point_at], point_deaths[point_at]

    out = roads.to_crs(STORAGE_CRS) if not CRS.from_user_input(roads.crs).equals(STORAGE_CRS) else roads.copy()
    out["events"] = np.bincount(road_at, minlength=len(roads)).astype(np.int64)
    out["fatalities"] = np.bincount(road_at, weights=deaths, minlength=len(roads))
    out["risk"] = _decayed(road_at, age, len(roads), half_life_days)
    if np.all(out["fatalities"] == np.round(out["fatalities"])):
        out["fatalities"] = out["fatalities"].astype(np.int64)
    routes = None
    if route_column is not None:
        routes = _routes(
            roads[route_column],
            metric_roads,
            out["risk"].to_numpy(),
            (point_at, road_at),
            (point_age, point_deaths),
            half_life_days,
        )
    coarse = int((~exact).sum())
    out.attrs = {
        CREDIT_KEY: roads.attrs.get(CREDIT_KEY, UNKNOWN_CREDIT),
        "routes": routes,
        METHOD_KEY: {
            "within_m": float(within_m),
            "half_life_days": float(half_life_days),
            "route_column": route_column,
            "as_of": str(np.datetime64(as_of_day, "D")) if as_of_day > _NO_DAY else None,
            "counted": len(picked),
            "not_exact": coarse,
            "after_as_of_or_undated": len(incidents) - coarse - len(picked),
        },
    }
    return out


def _exact(incidents: gpd.GeoDataFrame) -> np.ndarray:
    """Whether each incident's location is exact (see :func:`katye.join.assign` for the rule)."""
    from katye.join import _precision

    labels, codes, _ = _precision(incidents)
    return (labels == "exact")[codes]


_NO_DAY = np.iinfo(np.int64).min


def _days(dates: pd.Series, as_of) -> tuple[np.ndarray, int]:
    """Days since 1970 of each date (missing: the smallest int64, after no day), and of ``as_of``."""
    try:
        stamps = pd.to_datetime(dates, errors="raise")
    except (ValueError, TypeError) as exc:
        raise InputError(f"event_date: cannot be read as dates ({exc}). Expected YYYY-MM-DD dates.") from exc
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    day = stamps.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    missing = np.isnat(day)
    days = np.where(missing, _NO_DAY, day.astype(np.int64))
    if missing.any():
        log.warning(
            "%s have no event_date: they do not count on the corridors.", plural(int(missing.sum()), "incident")
        )
    if as_of is None:
        last = days[~missing]
        return days, int(last.max()) if last.size else _NO_DAY
    try:
        when = pd.Timestamp(as_of)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"as_of={as_of!r}: expected a date such as '2024-03-31'.") from exc
    return days, int(np.datetime64(when.date(), "D").astype(np.int64))


def _metric_xy(points: np.ndarray, crs) -> tuple[np.ndarray, np.ndarray]:
    """The points' coordinates in EPSG:32618."""
    if CRS.from_user_input(crs).equals(STORAGE_CRS):
        from katye.join import _to_metric  # the fast series near UTM 18N's meridian, exact elsewhere

        return _to_metric(shapely.get_x(points), shapely.get_y(points))
    metric = gpd.GeoSeries(points, crs=crs).to_crs(METRIC_CRS).values
    return shapely.get_x(metric), shapely.get_y(metric)


def _decayed(group: np.ndarray, age: np.ndarray, groups: int, half_life_days: float) -> np.ndarray:
    """Sum of ``2 ** (-age / half_life)`` per group, the same bits whatever order the pairs come in.

    Pairs are first counted per (group, age) in sorted order, so the floating-point sums run in one
    order however the incidents were sorted. ``exp2`` gives exactly 1 at age 0 and 0.5 at one half-life.
    """
    if not group.size:
        return np.zeros(groups)
    span = int(age.max()) + 1
    key = group.astype(np.int64) * span + age
    weights = np.exp2(-np.arange(span) / float(half_life_days))
    if groups * span <= TABLE_MAX_CELLS:
        # A table of counts per (group, age), summed along each row: no sort of the pairs.
        counts = np.bincount(key, minlength=groups * span).reshape(groups, span)
        return (counts * weights).sum(axis=1)
    keys, counts = np.unique(key, return_counts=True)
    return np.bincount(keys // span, weights=counts * weights[keys % span], minlength=groups)


#: Largest (group x age in days) table :func:`_decayed` counts into (40 MB of int64); above it, pairs are sorted.
TABLE_MAX_CELLS = 5_000_000


def _routes(
    names: pd.Series,
    metric_roads: np.ndarray,
    segment_risk: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray],
    per_point: tuple[np.ndarray, np.ndarray],
    half_life_days: float,
) -> pd.DataFrame:
    """Per named route: its segments, length, and each event once however many of its segments it is near."""
    point_at, road_at = pairs
    point_age, point_deaths = per_point
    text = names.astype(object).where(names.notna(), "").astype(str).str.strip().to_numpy()
    route_of, labels = pd.factorize(text, sort=True)
    n = len(labels)
    # (point, route) keys, sorted and deduplicated: an event near three segments of a road counts
    # once for it. The tree returns the pairs point by point, so a stable sort (timsort) finds long
    # runs already in order.
    keys = np.sort(point_at.astype(np.int64) * n + route_of[road_at], kind="stable")
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if keys.size else keys
    point, route = keys // n, keys % n
    table = pd.DataFrame(
        {
            "route": labels.astype(str),
            "segments": np.bincount(route_of, minlength=n),
            "length_m": np.bincount(route_of, weights=shapely.length(metric_roads), minlength=n),
            "events": np.bincount(route, minlength=n),
            "fatalities": np.bincount(route, weights=point_deaths[point], minlength=n),
            "risk": _decayed(route, point_age[point], n, half_life_days),
            "max_segment_risk": _group_max(route_of, segment_risk, n),
        }
    )
    if np.all(table["fatalities"] == np.round(table["fatalities"])):
        table["fatalities"] = table["fatalities"].astype(np.int64)
    table = table[np.asarray(labels) != ""].sort_values(["risk", "route"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)


def _group_max(group: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    out = np.zeros(groups)
    np.maximum.at(out, group, values)
    return out
