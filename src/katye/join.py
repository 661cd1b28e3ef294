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
from katye.incidents.columns import pair_codes
from katye.incidents.precision import LEVELS as PRECISIONS
from katye.index import PolygonIndex
from katye.nearest import NearestBoundary

log = logging.getLogger("katye")


@cache
def _shipped_index(name: str) -> PolygonIndex:
    """The index of a shipped layer, built once per process (the layers never change)."""
    frame = geodata.load(name)
    if name == "zones":
        frame = frame.sort_values("zone_id", kind="stable")
    return PolygonIndex(frame.geometry.values)


def _points(incidents: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    require_crs(incidents, what="the incidents")
    frame = incidents if incidents.crs.equals(STORAGE_CRS) else incidents.to_crs(STORAGE_CRS)
    geometry = frame.geometry
    if not (geometry.geom_type.isin(["Point"]) | geometry.isna()).all():
        raise InputError("the incidents must be points; some geometries are not. Use read_incidents().")
    return shapely.get_x(geometry.values), shapely.get_y(geometry.values)


def _precision(incidents: gpd.GeoDataFrame) -> np.ndarray:
    """Each incident's location precision: its ``location_precision``, else read off ``geo_precision``."""
    if "location_precision" in incidents.columns:
        # Check and tidy the few distinct values, not a million cells.
        codes, uniques = pd.factorize(incidents["location_precision"], use_na_sentinel=True)
        tidy = np.array([str(u).strip().lower() or "unknown" for u in uniques] + ["unknown"], dtype=object)
        wrong = sorted(set(tidy) - set(PRECISIONS))
        if wrong:
            raise InputError(
                f"location_precision holds {', '.join(map(repr, wrong[:5]))}: expected one of "
                f"{', '.join(PRECISIONS)} (empty means unknown)."
            )
        return tidy[codes]
    out = np.full(len(incidents), "unknown", dtype=object)
    if "geo_precision" in incidents.columns:
        coded = incidents["geo_precision"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        for code, level in ((1, "exact"), (2, "near"), (3, "commune")):
            out[coded == code] = level
    missing = int((out == "unknown").sum())
    if missing:
        log.warning(
            "%s have no location precision (no location_precision or geo_precision): kept out of zones. "
            "Read them with read_incidents(), or set location_precision='exact' if they are exact.",
            plural(missing, "incident"),
        )
    return out


def assign(incidents: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Attach each incident to a zone, section and commune, as far as its location precision allows.

    Rule: only ``exact`` incidents (``location_precision``, see :func:`katye.read_incidents`) go
    into a zone. The others are ``coarse``: their coordinate is a neighbourhood or commune centre,
    so katye does not force them into a small zone. ``near`` keeps its section and commune;
    ``commune`` and ``unknown`` keep only the commune; ``region`` keeps none. An exact incident in
    no zone is ``outside``, with ``distance_m``, the distance in metres (EPSG:32618) to the nearest
    zone. A point on an edge shared by two zones goes to the one whose ``zone_id`` sorts first.
    A frame without ``location_precision`` is read off ``geo_precision`` (1 exact, 2 near,
    3 commune; missing: unknown).

    Parameters
    ----------
    incidents
        Points with a CRS (any), e.g. from :func:`katye.read_incidents`.
    zones
        Area layer with ``zone_id`` (and ``name``); default: :func:`katye.geodata.zones`.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``incidents`` with ``zone_id``, ``zone_name``, ``section_pcode``,
        ``commune_pcode``, ``distance_m``, ``assignment`` (exact | coarse | outside) and
        ``location_precision``. The text columns are categoricals ("" where there is none);
        zones sharing a display name get " (2)", " (3)" … after the repeats in ``zone_name``.

    """
    shipped = zones is None
    zones = geodata.resolve_zones(zones)
    key = _shipped_key() if shipped else _key(zones)
    x, y = _points(incidents)
    zone_index = (_shipped_index("zones") if shipped else PolygonIndex(zones.geometry.values)).lookup(x, y)
    sections = geodata.sections()
    communes = geodata.communes()
    section_index = _shipped_index("sections").lookup(x, y)
    commune_index = _shipped_index("communes").lookup(x, y)

    precision = _precision(incidents)
    coarse = precision != "exact"
    no_section = coarse & (precision != "near")
    no_commune = precision == "region"
    out = incidents.copy()
    out["location_precision"] = precision
    # Categorical columns built from codes: no million-string arrays, and groupby stays fast.
    # The last category of each is "" (no zone / no section), picked by code -1 → its index.
    zone_ids = [*zones["zone_id"].astype(str), ""]
    zone_names = [*zones.get("name", zones["zone_id"]).astype(str), ""]
    zone_pick = np.where(coarse | (zone_index < 0), len(zone_ids) - 1, zone_index)
    out["zone_id"] = pd.Categorical.from_codes(zone_pick, categories=pd.Index(_unique_labels(zone_ids)))
    out["zone_name"] = pd.Categorical.from_codes(zone_pick, categories=pd.Index(_unique_labels(zone_names)))
    section_ids = [*sections["section_pcode"], ""]
    commune_ids = [*communes["commune_pcode"], ""]
    section_pick = np.where(no_section | (section_index < 0), len(section_ids) - 1, section_index)
    commune_pick = np.where(no_commune | (commune_index < 0), len(commune_ids) - 1, commune_index)
    out["section_pcode"] = pd.Categorical.from_codes(section_pick, categories=pd.Index(section_ids))
    out["commune_pcode"] = pd.Categorical.from_codes(commune_pick, categories=pd.Index(commune_ids))
    assignment = np.where(coarse, 1, np.where(zone_index >= 0, 0, 2))
    out["assignment"] = pd.Categorical.from_codes(assignment, categories=pd.Index(["exact", "coarse", "outside"]))
    distance = np.zeros(len(out))
    far = np.flatnonzero((zone_index < 0) & ~coarse)
    if far.size:
        distance[far] = _distance_to(None if shipped else zones, x[far], y[far])
    distance[coarse] = np.nan
    out["distance_m"] = distance
    out.attrs[ZONES_KEY] = key
    exact = ~coarse
    if not shipped and exact.any() and not (zone_index[exact] >= 0).any():
        # Every exact incident is outside the user's zones: usually a layer in the wrong place or CRS.
        in_metro = _shipped_index("communes").lookup(x[exact], y[exact]) >= 0
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
def _shipped_metric_tree() -> shapely.STRtree:
    """The shipped zones in metres, indexed once per process."""
    return shapely.STRtree(geodata.zones().to_crs(METRIC_CRS).geometry.values)


_TO_METRIC = Transformer.from_crs(STORAGE_CRS, METRIC_CRS, always_xy=True)


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
#: about 0.6 s to build for the shipped zones, a query about 11 µs a place).
GRID_MIN_PLACES = 50_000


def _distance_to(zones: gpd.GeoDataFrame | None, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Metres from each point (outside every zone) to the nearest zone; ``zones`` None: the shipped ones."""
    # Incidents stack on shared points (ACLED's neighbourhood centres): measure each place once.
    back, first = pair_codes(x, y)
    mx, my = _TO_METRIC.transform(x[first], y[first])
    if len(first) >= GRID_MIN_PLACES:
        grid = _shipped_grid() if zones is None else NearestBoundary(zones.to_crs(METRIC_CRS).geometry.values)
        return grid.distance(mx, my)[back]
    tree = _shipped_metric_tree() if zones is None else shapely.STRtree(zones.to_crs(METRIC_CRS).geometry.values)
    (which, _), found = tree.query_nearest(shapely.points(mx, my), return_distance=True, all_matches=False)
    distance = np.empty(len(first))
    distance[which] = found
    return distance[back]


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
