"""Incidents to zones, sections and communes; distances to key sites.

Point-in-polygon goes through :class:`katye.index.PolygonIndex`, which beats a spatial join by a
wide margin on large inputs while giving the same answers.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from katye import geodata
from katye.crs import METRIC_CRS, STORAGE_CRS, require_crs, to_storage
from katye.errors import InputError, UsageError, plural
from katye.incidents.precision import LEVELS as PRECISIONS
from katye.index import PolygonIndex, Probe
from katye.nearest import NearestBoundary, nearest_distance, segment_tree
from katye.places import Places, places

log = logging.getLogger("katye")


@cache
def _shipped_index(name: str) -> PolygonIndex:
    """The index of a shipped layer, built once per process (the layers never change)."""
    frame = geodata.load(name)
    if name == "zones":
        frame = frame.sort_values("zone_id", kind="stable")
    return PolygonIndex(frame.geometry.values)


def _places(incidents: gpd.GeoDataFrame) -> Places:
    require_crs(incidents, what="the incidents")
    frame = incidents if incidents.crs.equals(STORAGE_CRS) else incidents.to_crs(STORAGE_CRS)
    return places(frame.geometry.values)


def _precision(incidents: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, bool]:
    """Each incident's location precision, its ``location_precision`` or else read off ``geo_precision``.

    Returned as a few labels, one code per row into them (the last label is "unknown"), and
    whether the incidents' own ``location_precision`` already reads so, value for value.
    """
    if "location_precision" in incidents.columns:
        # Check and tidy the few distinct values, not a million cells. One value (often: every
        # incident set exact) needs no codes, and finding that out is half the cost of coding.
        column = incidents["location_precision"]
        uniques = _one_value(column)
        if uniques is None:
            uniques = pd.unique(column)
        if len(uniques) == 1 and not pd.isna(uniques[0]):
            codes = np.zeros(len(column), dtype=np.int8)
        else:
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
        labels = np.array([str(u).strip().lower() or "unknown" for u in uniques] + ["unknown"], dtype=object)
        wrong = sorted(set(labels) - set(PRECISIONS))
        if wrong:
            raise InputError(
                f"location_precision holds {', '.join(map(repr, wrong[:5]))}: expected one of "
                f"{', '.join(PRECISIONS)} (empty means unknown)."
            )
        tidy = [str(u) for u in uniques] == list(labels[:-1]) and bool((codes >= 0).all())
        return labels, codes, tidy
    labels = np.array(["exact", "near", "commune", "unknown"], dtype=object)
    codes = np.full(len(incidents), len(labels) - 1, dtype=np.int8)
    if "geo_precision" in incidents.columns:
        coded = incidents["geo_precision"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        for code in (1, 2, 3):
            codes[coded == code] = code - 1
    missing = int((codes == len(labels) - 1).sum())
    if missing:
        log.warning(
            "%s have no location precision (no location_precision or geo_precision): kept out of zones. "
            "Read them with read_incidents(), or set location_precision='exact' if they are exact.",
            plural(missing, "incident"),
        )
    return labels, codes, False


def _one_value(column: pd.Series) -> np.ndarray | None:
    """``[value]`` when an arrow-backed text column holds one value and no gap; else None (not known).

    Comparing every cell with the first costs half of hashing them, and most frames hold one value.
    """
    import pyarrow.compute as pc

    values = getattr(column.array, "_pa_array", None)
    if values is None or not len(column) or values.null_count:
        return None
    first = values[0].as_py()
    return np.array([first], dtype=object) if pc.all(pc.equal(values, first)).as_py() else None


def assign(incidents: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Attach each incident to a zone, section and commune, as far as its location precision allows.

    Rule: only ``exact`` incidents (``location_precision``, see :func:`katye.read_incidents`) go
    into a zone. The others are ``coarse``: their coordinate is a neighbourhood or commune centre,
    so katye does not force them into a small zone. ``near`` keeps its section and commune;
    ``commune`` and ``unknown`` keep only the commune; ``region`` keeps none. An exact incident in
    no zone is ``outside``, with ``distance_m``, the distance in metres (EPSG:32618) to the nearest
    zone (NaN when it has no point at all). A point on an edge shared by two zones goes to the one
    whose ``zone_id`` sorts first.
    A frame without ``location_precision`` is read off ``geo_precision`` (1 exact, 2 near,
    3 commune; missing: unknown).

    Parameters
    ----------
    incidents
        Points with a CRS (any), e.g. from :func:`katye.read_incidents`. Past one machine: a
        dask-geopandas GeoDataFrame or the path of a GeoParquet dataset, assigned partition by
        partition (see :mod:`katye.partitioned`).
    zones
        Area layer with ``zone_id`` (and ``name``); default: :func:`katye.geodata.zones`.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``incidents`` with ``zone_id``, ``zone_name``, ``section_pcode``,
        ``commune_pcode``, ``distance_m``, ``assignment`` (exact | coarse | outside) and
        ``location_precision``. The text columns are categoricals ("" where there is none);
        zones sharing a display name get " (2)", " (3)" … after the repeats in ``zone_name``.
        For dask input, a lazy dask-geopandas GeoDataFrame of the same.

    """
    if not isinstance(incidents, gpd.GeoDataFrame):
        from katye import partitioned  # dask and friends load only for dask input

        return partitioned.assign(incidents, zones)
    shipped = zones is None
    zones = geodata.resolve_zones(zones)
    key = _shipped_key() if shipped else _key(zones)
    # Incidents stack on shared points (ACLED's neighbourhood centres): each place is looked up
    # and measured once, and its answers copied to its rows.
    spots = _places(incidents)
    x, y = spots.x, spots.y
    labels, codes, tidy = _precision(incidents)
    probe = Probe(x, y)
    zone_place, section_place, commune_place = (
        index.lookup(x, y, probe=probe)
        for index in (
            _shipped_index("zones") if shipped else PolygonIndex(zones.geometry.values),
            _shipped_index("sections"),
            _shipped_index("communes"),
        )
    )
    sections = geodata.sections()
    communes = geodata.communes()

    # Categorical columns built from codes: no million-string arrays, and groupby stays fast.
    # The last category of each is "" (no zone / no section). Codes are picked per place, copied
    # to the rows, then the rows too coarse for a zone, section or commune are cleared.
    zone_ids = [*zones["zone_id"].astype(str), ""]
    zone_names = [*zones.get("name", zones["zone_id"]).astype(str), ""]
    section_ids = [*sections["section_pcode"], ""]
    commune_ids = [*communes["commune_pcode"], ""]
    zone_pick = spots.per_row(_codes(zone_place, len(zone_ids) - 1))
    section_pick = spots.per_row(_codes(section_place, len(section_ids) - 1))
    commune_pick = spots.per_row(_codes(commune_place, len(commune_ids) - 1))
    assignment = spots.per_row(np.where(zone_place >= 0, 0, 2).astype(np.int8))  # exact | outside
    coarse = (labels != "exact")[codes]
    if coarse.any():
        zone_pick[coarse] = len(zone_ids) - 1
        section_pick[~np.isin(labels, ("exact", "near"))[codes]] = len(section_ids) - 1
        commune_pick[(labels == "region")[codes]] = len(commune_ids) - 1
        assignment[coarse] = 1
    out = incidents.copy()
    # Text as pandas infers it from the labels, taken by code (no million str objects), unless
    # the copy already holds the same values in that type.
    precision = pd.Series(labels, copy=False).array
    if not (tidy and incidents["location_precision"].dtype == precision.dtype):
        out["location_precision"] = precision.take(codes)
    for column, pick, categories in (
        ("zone_id", zone_pick, _unique_labels(zone_ids)),
        ("zone_name", zone_pick, _unique_labels(zone_names)),
        ("section_pcode", section_pick, section_ids),
        ("commune_pcode", commune_pick, commune_ids),
        ("assignment", assignment, ["exact", "coarse", "outside"]),
    ):
        out[column] = pd.Categorical.from_codes(pick, categories=pd.Index(categories), validate=False)
    # Measured: the places outside every zone where some exact incident is.
    far = np.flatnonzero(spots.any(assignment == 2))
    measured = np.zeros(len(x))
    if far.size:
        measured[far] = _distance_to(None if shipped else zones, x[far], y[far])
    distance = spots.per_row(measured)
    distance[coarse] = np.nan
    out["distance_m"] = distance
    out.attrs[ZONES_KEY] = key
    exact = ~coarse
    if not shipped and exact.any() and not (assignment == 0).any():
        # Every exact incident is outside the user's zones: usually a layer in the wrong place or CRS.
        in_metro = commune_pick[exact] < len(commune_ids) - 1
        if in_metro.mean() >= 0.5:
            log.warning(
                "none of the %s exactly located incidents falls in any of the %s zones, although %.0f %% "
                "lie in the 10 metro communes: check the zones' position and CRS (katye.geodata.read_areas "
                "warns about swapped axes and wrong CRSs).",
                f"{int(exact.sum()):,}",
                len(zones),
                100 * in_metro.mean(),
            )
    return out


def assigned(incidents: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """``incidents`` assigned to ``zones``, reusing an earlier :func:`assign` to these same zones.

    An assignment remembers a fingerprint of the zones it used (ids and geometries) in
    ``attrs``; only a match is reused, so incidents assigned to one layer are never scored
    against another.
    """
    expected = _shipped_key() if zones is None else _key(geodata.resolve_zones(zones))
    if incidents.attrs.get(ZONES_KEY) == expected and "zone_id" in incidents.columns:
        return incidents
    return assign(incidents, zones)


ZONES_KEY = "katye_zones"


def _key(zones: gpd.GeoDataFrame) -> str:
    digest = hashlib.sha256()
    for zone_id, geometry in zip(zones["zone_id"].astype(str), zones.geometry.values, strict=True):
        digest.update(zone_id.encode("utf-8") + b"\0" + shapely.to_wkb(geometry) + b"\1")
    return digest.hexdigest()


@cache
def _shipped_key() -> str:
    return _key(geodata.resolve_zones())


@cache
def _shipped_segments() -> shapely.STRtree:
    """The shipped zones' boundary segments in metres, indexed once per process."""
    return segment_tree(geodata.zones().to_crs(METRIC_CRS).geometry.values)


_TO_METRIC = Transformer.from_crs(STORAGE_CRS, METRIC_CRS, always_xy=True)
#: The same projection by PROJ's Evenden/Snyder series (``approx``), twice as fast: within 0.2 mm of
#: the exact one up to 5° from UTM 18N's central meridian (75° W; Haiti lies 0.5-3.5° from it).
_TO_METRIC_FAST = Transformer.from_pipeline(
    "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=utm +zone=18 +ellps=WGS84 +approx"
)
#: Degrees from the central meridian within which the fast projection is used.
FAST_SPAN_DEG = 5.0


def _to_metric(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EPSG:4326 to EPSG:32618, by the fast series near the central meridian and exactly elsewhere."""
    x, y = _TO_METRIC_FAST.transform(lon, lat)
    with np.errstate(invalid="ignore"):
        far = np.flatnonzero(~(np.abs(lon + 75.0) <= FAST_SPAN_DEG))
    if far.size:
        x[far], y[far] = _TO_METRIC.transform(lon[far], lat[far])
    return x, y


def _codes(index: np.ndarray, none: int) -> np.ndarray:
    """Category codes from polygon indexes: -1 (in none) becomes ``none``, in the narrowest type."""
    # The type pandas would narrow the codes to (int8 below 127 categories): no second copy.
    kind = np.int8 if none + 1 < np.iinfo(np.int8).max else np.int16 if none + 1 < np.iinfo(np.int16).max else np.int32
    return np.where(index < 0, none, index).astype(kind)


def _unique_labels(labels: list[str]) -> list[str]:
    """Category labels must be unique; two zones may share a display name, so suffix repeats."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        count = seen.get(label, 0)
        seen[label] = count + 1
        out.append(label if count == 0 else f"{label} ({count + 1})")
    return out


#: Distinct outside places from which the segment grid beats one nearest query per place (it costs
#: about 0.35 s to build for the shipped zones, then 0.3 µs a place; a query on the tree of
#: segments about 4 µs a place). Once the shipped zones' grid is built, it serves any number.
GRID_MIN_PLACES = 100_000


def _distance_to(zones: gpd.GeoDataFrame | None, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Metres from each point (outside every zone) to the nearest zone; ``zones`` None: the shipped ones."""
    mx, my = _to_metric(x, y)
    if _grid_pays(len(x), shipped=zones is None):
        grid = _shipped_grid() if zones is None else NearestBoundary(zones.to_crs(METRIC_CRS).geometry.values)
        return grid.distance(mx, my)
    tree = _shipped_segments() if zones is None else segment_tree(zones.to_crs(METRIC_CRS).geometry.values)
    return nearest_distance(tree, mx, my)


def _grid_pays(places: int, *, shipped: bool) -> bool:
    """Whether to measure with the segment grid rather than the tree (the same distances)."""
    return places >= GRID_MIN_PLACES or (shipped and _shipped_grid.cache_info().currsize > 0)


@cache
def _shipped_grid() -> NearestBoundary:
    """The shipped zones' segment grid, built once per process."""
    return NearestBoundary(geodata.zones().to_crs(METRIC_CRS).geometry.values)


def near_sites(
    incidents: gpd.GeoDataFrame, sites: gpd.GeoDataFrame | None = None, *, radii_m=(1000, 2000, 5000), site_ids=None
) -> gpd.GeoDataFrame:
    """Distance in metres (EPSG:32618) from each incident to each key site, and ring membership.

    Parameters
    ----------
    incidents
        Points with a CRS.
    sites
        Points with ``site_id``; default :func:`katye.geodata.sites`.
    radii_m
        Ring radii in metres; ``within_<site>_<radius>m`` is True inside each ring.
    site_ids
        The sites to measure to; default ``airport``, ``mss-base`` and ``us-embassy`` when
        the shipped sites are used, else every site.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``incidents`` with ``dist_<site>_m`` and ``within_<site>_<r>m`` columns
        (site ids with ``-`` written ``_``).

    """
    shipped = sites is None
    sites = geodata.sites() if shipped else to_storage(sites, what="the sites")
    if site_ids is None:
        site_ids = ["airport", "mss-base", "us-embassy"] if shipped else list(sites["site_id"])
    missing = sorted(set(site_ids) - set(sites["site_id"]))
    if missing:
        raise UsageError(f"site_ids: no site {', '.join(missing)}. Sites: {', '.join(sites['site_id'])}.")
    require_crs(incidents, what="the incidents")
    points = incidents.to_crs(METRIC_CRS).geometry
    px, py = shapely.get_x(points.values), shapely.get_y(points.values)
    chosen = sites.set_index("site_id").loc[list(site_ids)].to_crs(METRIC_CRS)
    out = incidents.copy()
    for site_id, point in zip(chosen.index, chosen.geometry, strict=True):
        key = site_id.replace("-", "_")
        distance = np.hypot(px - point.x, py - point.y)
        out[f"dist_{key}_m"] = distance
        for radius in radii_m:
            out[f"within_{key}_{int(radius)}m"] = distance <= radius
    return out
