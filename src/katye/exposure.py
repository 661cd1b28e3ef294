"""People exposed: population per zone, events and fatalities per 100,000 people, people near each event.

katye ships no population data. Bring a grid (WorldPop or HRSL GeoTIFF, people per pixel) or an
official table per section or commune (COD-PS: a P-code column and a population column):

- :func:`zone_population` — people per zone, section or commune, with where the number came from;
  a grid can be rescaled to official totals (``rescale_to=``).
- :func:`exposure_rates` — events and fatalities per 100,000 people per zone, section or commune.
- :func:`event_exposure` — people within 1, 2 and 5 km of each event, and within the "best" radius
  for its event type (:data:`BEST_RADIUS_M`).

Zonal sums are exact by pixel fraction (see :mod:`katye.popgrid`). Grids and official tables
disagree: modelled grids differ from COD-PS totals by up to 2 times in peri-urban communes, so a
rescaled result records each unit's disagreement in ``attrs`` and a map says so in its caveats.
"""

from __future__ import annotations

import math
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from katye import geodata
from katye.crs import METRIC_CRS, require_crs, to_storage
from katye.dates import as_day, require_columns
from katye.errors import InputError, UsageError
from katye.join import assigned
from katye.popgrid import (
    Grid,
    covered,
    disc_sums,
    grid_name,
    metres_per_pixel,
    open_grid,
    read_window,
    zonal_sum,
)
from katye.poptable import PopulationTable, read_population_table

#: Radii of ACLED's exposure estimates: people within 1, 2 and 5 km of each event.
RINGS_M = (1000, 2000, 5000)

#: The "best" radius per ACLED event type. ACLED's Conflict Exposure methodology says its best
#: estimate "changes the boundary distance based on the type and intensity of the event": 5 km
#: for an explosion, 1 km for a protest. Its full table was not found in any public source katye
#: could check, so the other types are katye's choice (see :data:`RADIUS_SOURCES`); pass
#: ``radii=`` to :func:`event_exposure` to change any of them. Intensity is not modelled.
BEST_RADIUS_M = {
    "Explosions/Remote violence": 5000,
    "Protests": 1000,
    "Battles": 2000,
    "Violence against civilians": 2000,
    "Riots": 1000,
    "Strategic developments": 1000,
}
_ACLED = "ACLED Conflict Exposure methodology (explosions 5 km, protests 1 km)"
_KATYE = "katye's choice: ACLED's value for this type is not published where katye could check"
RADIUS_SOURCES = {
    "Explosions/Remote violence": _ACLED,
    "Protests": _ACLED,
    "Battles": _KATYE + " (armed clashes reach beyond a neighbourhood: 2 km)",
    "Violence against civilians": _KATYE + " (attacks on a neighbourhood: 2 km)",
    "Riots": _KATYE + " (a crowd event, as protests: 1 km)",
    "Strategic developments": _KATYE + " (mostly non-violent: 1 km)",
}

METHODS = {
    "fraction": "sum of grid pixels weighted by the share of each pixel inside the zone (exact pixel fraction)",
    "centre": "sum of the grid pixels whose centre lies inside the zone (pixel centre)",
}
UNCOVERED = ("error", "nan")
#: Shipped layers by name, with their id column.
LAYERS = {"zones": "zone_id", "sections": "section_pcode", "communes": "commune_pcode"}
#: Latitude bands (degrees) over which one disc kernel serves a grid in degrees: the width of a
#: pixel in metres changes by under 0.1 % across one near Haiti.
BAND_DEG = 0.2


def zone_population(
    zones: gpd.GeoDataFrame | str | None = None,
    *,
    raster: str | os.PathLike | None = None,
    table: str | os.PathLike | pd.DataFrame | None = None,
    rescale_to: str | os.PathLike | pd.DataFrame | None = None,
    method: str = "fraction",
    population_column: str | None = None,
    pcode_column: str | None = None,
    id_column: str | None = None,
    uncovered: str = "error",
) -> gpd.GeoDataFrame:
    """People per zone, section or commune, from a population grid or an official table.

    Parameters
    ----------
    zones
        The areas: ``None`` or ``"zones"`` (the shipped zones), ``"sections"``, ``"communes"``, or
        a GeoDataFrame with a CRS and an id column.
    raster
        A population grid (GeoTIFF, people per pixel, any CRS). Needs rasterio
        (``pip install "katye[population]"``).
    table
        An official table per section or commune (CSV or DataFrame; see
        :func:`katye.poptable.read_population_table`), used alone. Zones that are not the
        table's own units get its people split by area within each unit.
    rescale_to
        With ``raster``: an official table whose totals the grid is scaled to, unit by unit
        (the grid says where people live within a unit, the table how many there are).
    method
        ``"fraction"`` (default): each pixel counts by the share of its area inside the zone, so
        zones that tile an area split its people exactly. ``"centre"``: a pixel counts wholly in
        the zone holding its centre (rasterstats' default), for comparison.
    population_column, pcode_column
        The table's columns (default: found by name, e.g. ``T_TL`` and ``ADM3_PCODE``).
    id_column
        The id column of ``zones`` (default: ``zone_id``, ``section_pcode`` or ``commune_pcode``).
    uncovered
        ``"error"`` (default): a zone the grid does not wholly cover is an error; ``"nan"``: its
        population is NaN.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``zones`` (EPSG:4326) with ``population``, ``population_source`` and
        ``population_method``; rescaled, also ``population_grid`` (before) and
        ``rescale_factor``. ``attrs["katye_population"]`` records the source, method, totals,
        and for a rescale each unit's grid and official totals and the largest disagreement.

    Raises
    ------
    UsageError
        Neither or both of ``raster`` and ``table``; ``rescale_to`` without a raster; rasterio missing.
    InputError
        A grid that does not cover the zones, a table without a row for a unit the zones touch …

    """
    if (raster is None) == (table is None):
        raise UsageError(
            "zone_population: give raster= (a population grid) or table= (an official table), one of them."
        )
    if rescale_to is not None and raster is None:
        raise UsageError("rescale_to= rescales a grid: give raster= too (with table= alone the totals are official).")
    if method not in METHODS:
        raise UsageError(f"method={method!r}: use one of {', '.join(METHODS)}.")
    if uncovered not in UNCOVERED:
        raise UsageError(f"uncovered={uncovered!r}: use one of {', '.join(UNCOVERED)}.")
    frame, id_col, layer = _layer(zones, id_column)
    if table is not None:
        official = read_population_table(table, population_column=population_column, pcode_column=pcode_column)
        people, how = _from_table(frame, id_col, official)
        out = frame.copy()
        out["population"] = people
        out["population_source"] = f"table {official.source} ({official.population_column} per {official.level})"
        out["population_method"] = how
        info: dict[str, object] = {"kind": "table", "table": official.source, "level": official.level, "method": how}
    else:
        assert raster is not None
        out, info = _from_grid(frame, id_col, raster, method=method, uncovered=uncovered)
        if rescale_to is not None:
            official = read_population_table(rescale_to, population_column=population_column, pcode_column=pcode_column)
            out, rescale = _rescale(out, id_col, raster, official, method=method, uncovered=uncovered)
            info.update(rescale)
    info.update(
        {
            "layer": layer,
            "id_column": id_col,
            "total": float(np.nansum(out["population"].to_numpy(dtype=float))),
            "caveat": _caveat(info),
        }
    )
    out.attrs["katye_population"] = info
    return out


def _layer(zones, id_column: str | None) -> tuple[gpd.GeoDataFrame, str, str]:
    """The areas as an EPSG:4326 copy, their id column and the shipped layer's name (or ``custom``)."""
    if zones is None or isinstance(zones, str):
        name = "zones" if zones is None else zones.strip().lower()
        if name not in LAYERS:
            raise UsageError(f"zones={zones!r}: a shipped layer is one of {', '.join(LAYERS)}; or pass a GeoDataFrame.")
        return geodata.load(name), LAYERS[name], name
    if not isinstance(zones, gpd.GeoDataFrame):
        raise UsageError(f"zones: expected a GeoDataFrame or a shipped layer name, got {type(zones).__name__}.")
    frame = to_storage(zones, what="the zones")
    if id_column is None:
        found = [c for c in LAYERS.values() if c in frame.columns]
        if not found:
            raise InputError(
                "the zones have no zone_id, section_pcode or commune_pcode column: name their id column "
                "with id_column=…"
            )
        id_column = found[0]
    elif id_column not in frame.columns:
        raise UsageError(f"id_column={id_column!r}: the zones have no such column.")
    ids = frame[id_column].astype(str)
    if ids.duplicated().any():
        raise InputError(
            f"the zones: {id_column} {ids[ids.duplicated()].iloc[0]!r} appears twice; each area needs its own id."
        )
    frame[id_column] = ids
    shipped = frame.attrs.get("katye_layer")
    return frame, id_column, shipped if shipped in LAYERS and LAYERS[shipped] == id_column else "custom"


def _from_grid(
    frame: gpd.GeoDataFrame, id_col: str, raster, *, method: str, uncovered: str
) -> tuple[gpd.GeoDataFrame, dict]:
    shapes, grid = _shapes_and_grid(frame.geometry, raster)
    inside = np.array([covered(g, grid) for g in shapes], dtype=bool)
    ids = frame[id_col].astype(str)
    _check_covered(inside, ids, grid, uncovered=uncovered, what="zones")
    people = np.array(
        [zonal_sum(g, grid, method=method) if ok else np.nan for g, ok in zip(shapes, inside, strict=True)]
    )
    if inside.any() and not np.nansum(people) > 0:
        # Usually a grid of nodata or of another place: every rate would be "no one lives here".
        raise InputError(
            f"{grid_name(raster)}: the grid holds nobody over the zones ({grid.nodata_pixels:,} pixels are "
            "nodata). Check that it is a population grid of this area and that its nodata value is right."
        )
    out = frame.copy()
    out["population"] = people
    out["population_source"] = f"grid {grid_name(raster)}"
    out["population_method"] = METHODS[method]
    info = {
        "kind": "grid",
        "grid": grid_name(raster),
        "grid_crs": grid.crs.to_string(),
        "pixel_size": list(grid.pixel_size),
        "method": METHODS[method],
        "nodata_pixels_read_as_zero": grid.nodata_pixels,
        "uncovered": list(ids[~inside]),
    }
    return out, info


def _shapes_and_grid(geometry: gpd.GeoSeries, raster) -> tuple[np.ndarray, Grid]:
    """The geometries in the grid's CRS and the grid's window over them."""
    dataset, crs = open_grid(raster)
    try:
        shapes = geometry.to_crs(crs).values
        bounds = shapely.total_bounds(np.asarray(shapes))
        if not np.all(np.isfinite(bounds)):
            bounds = np.zeros(4)
        grid = read_window(dataset, crs, tuple(bounds))
    finally:
        dataset.close()
    return np.asarray(shapes), grid


def _check_covered(inside: np.ndarray, ids: pd.Series, grid: Grid, *, uncovered: str, what: str) -> None:
    if inside.all() or uncovered == "nan":
        return
    outside = list(ids[~inside])
    height, width = grid.full_shape
    a, _, c, _, e, f = grid.transform
    c0, f0 = c - grid.offset[1] * a, f - grid.offset[0] * e
    xs, ys = sorted([c0, c0 + width * a]), sorted([f0, f0 + height * e])
    raise InputError(
        f"{grid.path}: the population grid does not cover {len(outside)} of the {what} "
        f"({', '.join(outside[:8])}{' …' if len(outside) > 8 else ''}); it spans x {xs[0]:.4f}..{xs[1]:.4f}, "
        f"y {ys[0]:.4f}..{ys[1]:.4f} in {grid.crs.to_string()}. Use a grid that covers them (WorldPop's and "
        "HRSL's national grids do), or pass uncovered='nan' to leave their population empty."
    )


# --- official tables ---------------------------------------------------------------------------------


def _from_table(frame: gpd.GeoDataFrame, id_col: str, official: PopulationTable) -> tuple[np.ndarray, str]:
    """People per area from an official table: as given, summed, or split by area."""
    people = official.people
    if id_col == official.id_column:
        missing = sorted(set(frame[id_col]) - set(people.index))
        if missing:
            raise InputError(
                f"{official.source}: no row for {official.level}(s) {', '.join(missing[:10])}. Add them, or pass "
                "only the areas the table covers."
            )
        return frame[id_col].map(people).to_numpy(dtype=float), f"official table, one row per {official.level}"
    if official.level == "section" and id_col == "commune_pcode":
        sections = geodata.sections()
        wanted = sections[sections["commune_pcode"].isin(frame[id_col])]
        missing = sorted(set(wanted["section_pcode"]) - set(people.index))
        if missing:
            raise InputError(
                f"{official.source}: no row for section(s) {', '.join(missing[:10])}; a commune's sum needs "
                "all of them."
            )
        sums = wanted.assign(people=wanted["section_pcode"].map(people)).groupby("commune_pcode")["people"].sum()
        return frame[id_col].map(sums).to_numpy(dtype=float), "official table, sections summed per commune"
    pieces = _pieces(frame, id_col, official)
    missing = sorted(set(pieces["unit"]) - set(people.index))
    if missing:
        raise InputError(
            f"{official.source}: the areas overlap {official.level}(s) {', '.join(missing[:10])}, which have no row."
        )
    share = pieces["piece_m2"] / pieces["unit_m2"]
    pieces["people"] = pieces["unit"].map(people).to_numpy(dtype=float) * share.to_numpy()
    sums = pieces.groupby("area")["people"].sum()
    how = f"official table split by area within each {official.level} (assumes people spread evenly within it)"
    return frame[id_col].map(sums).fillna(0.0).to_numpy(dtype=float), how


def _pieces(frame: gpd.GeoDataFrame, id_col: str, official: PopulationTable) -> gpd.GeoDataFrame:
    """The areas cut by the table's units: ``area``, ``unit``, geometry (EPSG:4326) and areas in m²."""
    units = geodata.load(official.layer)[[official.id_column, "geometry"]].rename(columns={official.id_column: "unit"})
    areas = frame[[id_col, "geometry"]].rename(columns={id_col: "area"})
    pieces = gpd.overlay(areas, units, how="intersection", keep_geom_type=True)
    metric = pieces.to_crs(METRIC_CRS)
    pieces["piece_m2"] = metric.area.to_numpy()
    unit_m2 = units.to_crs(METRIC_CRS).set_index("unit").area
    pieces["unit_m2"] = pieces["unit"].map(unit_m2).to_numpy()
    return pieces[pieces["piece_m2"] > 0].reset_index(drop=True)


def _rescale(
    out: gpd.GeoDataFrame, id_col: str, raster, official: PopulationTable, *, method: str, uncovered: str
) -> tuple[gpd.GeoDataFrame, dict]:
    """Scale the grid's people so that each unit of the table sums to its official total."""
    pieces = _pieces(out, id_col, official)
    units = geodata.load(official.layer).set_index(official.id_column)
    touched = units.loc[sorted(set(pieces["unit"]))]
    missing = sorted(set(touched.index) - set(official.people.index))
    if missing:
        raise InputError(
            f"{official.source}: no row for {official.level}(s) {', '.join(missing[:10])}, which the zones overlap."
        )
    shapes, grid = _shapes_and_grid(
        gpd.GeoSeries(list(touched.geometry) + list(pieces.geometry), crs="EPSG:4326"), raster
    )
    unit_shapes, piece_shapes = shapes[: len(touched)], shapes[len(touched) :]
    inside = np.array([covered(g, grid) for g in unit_shapes])
    _check_covered(inside, pd.Series(touched.index), grid, uncovered=uncovered, what=f"{official.level}s to rescale to")
    unit_grid = pd.Series(
        [zonal_sum(g, grid, method=method) if ok else np.nan for g, ok in zip(unit_shapes, inside, strict=True)],
        index=touched.index,
    )
    piece_grid = np.array([zonal_sum(g, grid, method=method) for g in piece_shapes])
    target = official.people.reindex(touched.index)
    factor = (target / unit_grid).replace([np.inf], np.nan)
    unit = pieces["unit"]
    grid_there = unit.map(unit_grid).to_numpy(dtype=float)
    # Where the grid has nobody in a whole unit, its official people are spread by area.
    spread = unit.map(target).to_numpy(dtype=float) * (pieces["piece_m2"] / pieces["unit_m2"]).to_numpy()
    extra = np.where(grid_there > 0, piece_grid * (unit.map(factor).to_numpy(dtype=float) - 1.0), spread - piece_grid)
    added = pd.Series(extra, index=pieces["area"]).groupby(level=0).sum()
    result = out.copy()
    result["population_grid"] = out["population"]
    result["population"] = out["population"] + result[id_col].map(added).fillna(0.0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        result["rescale_factor"] = result["population"] / result["population_grid"]
    result["population_source"] = (
        f"grid {grid_name(raster)} rescaled to table {official.source} "
        f"({official.population_column} per {official.level})"
    )
    names = units["name"] if "name" in units.columns else pd.Series(units.index, units.index)
    rows = []
    for pcode in touched.index:
        g, t = float(unit_grid[pcode]), float(target[pcode])
        ratio = max(t / g, g / t) if g > 0 and t > 0 else math.inf if (g > 0) != (t > 0) else 1.0
        rows.append({"pcode": pcode, "name": str(names.get(pcode, pcode)), "grid": g, "official": t, "ratio": ratio})
    worst = max(rows, key=lambda r: r["ratio"] if math.isfinite(r["ratio"]) else 0.0) if rows else None
    info = {
        "kind": "grid rescaled to table",
        "table": official.source,
        "level": official.level,
        "method": METHODS[method] + f", then scaled so each {official.level} sums to the official table",
        "rescale": rows,
        "max_disagreement": worst["ratio"] if worst else 1.0,
        "max_disagreement_unit": worst["name"] if worst else "",
        "spread_by_area": [r["pcode"] for r in rows if r["grid"] == 0 and r["official"] > 0],
    }
    result["population_method"] = info["method"]
    return result, info


def _caveat(info: dict) -> str:
    """One sentence a map or report carries about where the population came from."""
    if info["kind"] == "table":
        return f"Population: official table {info['table']} per {info['level']} ({info['method']})."
    text = f"Population: modelled grid {info['grid']} ({info['method']})."
    if info["kind"] == "grid rescaled to table":
        text = (
            f"Population: modelled grid {info['grid']} rescaled to the official totals of {info['table']} per "
            f"{info['level']}; before rescaling the grid differed from them by up to "
            f"{info['max_disagreement']:.1f}× ({info['max_disagreement_unit']})."
        )
    return text


# --- rates per zone ----------------------------------------------------------------------------------


def exposure_rates(
    incidents: gpd.GeoDataFrame, population: gpd.GeoDataFrame, *, start=None, end=None
) -> gpd.GeoDataFrame:
    """Events and fatalities per 100,000 people in each zone, section or commune.

    Which incidents count follows their location precision (:func:`katye.assign`): in a zone,
    only ``exact`` ones; in a section, ``exact`` and ``near``; in a commune, all but
    ``region``-precise ones.

    Parameters
    ----------
    incidents
        Canonical incidents (e.g. from :func:`katye.read_incidents`), assigned or not.
    population
        People per area, e.g. from :func:`zone_population`: a GeoDataFrame with ``zone_id``,
        ``section_pcode`` or ``commune_pcode`` and ``population``. Section and commune ids are
        COD-AB P-codes, matched to the shipped layers.
    start, end
        Inclusive date bounds.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``population`` with ``events``, ``fatalities``, ``events_per_100k`` and
        ``fatalities_per_100k`` (NaN where nobody lives or the population is unknown).
        ``attrs["katye_exposure"]`` says which incidents counted and how many did not.
        Pass it to :func:`katye.risk` as ``population=`` for ``per="population"``.

    """
    require_columns(incidents, ("event_date", "fatalities"))
    if not isinstance(population, gpd.GeoDataFrame) or "population" not in population.columns:
        raise UsageError(
            "population: expected a GeoDataFrame with a population column, e.g. from katye.zone_population()."
        )
    info = dict(population.attrs.get("katye_population", {}))
    id_col = info.get("id_column") or next((c for c in LAYERS.values() if c in population.columns), None)
    if id_col is None or id_col not in population.columns:
        raise UsageError("population: no zone_id, section_pcode or commune_pcode column to match incidents to.")
    data = incidents
    if start is not None:
        data = data[(data["event_date"] >= as_day(start, what="start")).to_numpy()]
    if end is not None:
        data = data[(data["event_date"] <= as_day(end, what="end")).to_numpy()]
    if id_col == "zone_id":
        shipped = info.get("layer") == "zones"
        data = assigned(data, None if shipped else population)
        counted = (data["assignment"] == "exact").to_numpy()
        rule = "exact incidents only"
    else:
        data = assigned(data, None)
        counted = data[id_col].astype(str).ne("").to_numpy()
        rule = (
            "exact and near incidents" if id_col == "section_pcode" else "all incidents located to a commune or better"
        )
    keys = data[id_col].astype(str).to_numpy()[counted]
    table = pd.DataFrame({"key": keys, "events": 1, "fatalities": data["fatalities"].to_numpy()[counted]})
    sums = table.groupby("key")[["events", "fatalities"]].sum()
    out = population.copy()
    ids = out[id_col].astype(str)
    out["events"] = ids.map(sums["events"]).fillna(0).astype(int).to_numpy()
    out["fatalities"] = ids.map(sums["fatalities"]).fillna(0).astype(int).to_numpy()
    people = pd.to_numeric(out["population"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(people > 0, 100_000 / people, np.nan)
    out["events_per_100k"] = out["events"].to_numpy() * per
    out["fatalities_per_100k"] = out["fatalities"].to_numpy() * per
    elsewhere = int(len(data) - np.isin(keys, ids.to_numpy()).sum())
    out.attrs["katye_exposure"] = {
        "counted": rule,
        "events": int(out["events"].sum()),
        "not_counted": elsewhere,
        "start": None if start is None else str(as_day(start, what="start").date()),
        "end": None if end is None else str(as_day(end, what="end").date()),
        "no_people": list(ids[~(people > 0)]),
    }
    return out


# --- people near each event --------------------------------------------------------------------------


def _radii(radii, rings) -> tuple[dict[str, float], tuple[float, ...]]:
    table: dict[str, float] = {name: float(value) for name, value in BEST_RADIUS_M.items()}
    for name, value in (radii or {}).items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value < math.inf):
            raise UsageError(f"radii[{name!r}]={value!r}: a radius is a number of metres > 0.")
        table[str(name)] = float(value)
    rings = tuple(rings)
    for value in rings:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value < math.inf):
            raise UsageError(f"rings: {value!r} is not a radius in metres > 0.")
    return table, rings


def ring_column(radius_m: float) -> str:
    """The column of people within ``radius_m``: ``people_1km``, ``people_2.5km``."""
    return f"people_{radius_m / 1000:g}km"


def event_exposure(
    incidents: gpd.GeoDataFrame,
    raster: str | os.PathLike,
    *,
    radii: dict[str, float] | None = None,
    rings=RINGS_M,
) -> gpd.GeoDataFrame:
    """People within each ring (1, 2, 5 km) of every event, and within its event type's best radius.

    Parameters
    ----------
    incidents
        Points with a CRS.
    raster
        A population grid (GeoTIFF, people per pixel, any CRS in degrees or metres).
    radii
        Event type → best radius in metres, over :data:`BEST_RADIUS_M` (whose sources are in
        :data:`RADIUS_SOURCES`); a type in neither gets no best estimate.
    rings
        The fixed radii in metres (default ACLED's 1, 2 and 5 km).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``incidents`` with ``people_1km``, ``people_2km``, ``people_5km`` (one per
        ring), ``best_radius_m`` and ``people_best``. ACLED's own ``population_*`` columns, if
        any, are kept as they are. NaN where the disc leaves the grid or the point is missing.
        ``attrs["katye_event_exposure"]`` holds the radius table with its sources.

    Notes
    -----
    The grid is convolved with the disc's exact pixel-fraction weights (an ellipse in a grid in
    degrees, drawn for each 0.2° band of latitude) and read between the four nearest pixel
    centres. Events located only to a commune centre get the people around that centre: filter
    on ``location_precision`` before reading much into them.

    """
    table, rings = _radii(radii, rings)
    require_crs(incidents, what="the incidents")
    types = (
        incidents["event_type"].astype(str).to_numpy()
        if "event_type" in incidents.columns
        else np.full(len(incidents), "", dtype=object)
    )
    best = pd.Series(types).map(table).to_numpy(dtype=float)
    wanted = sorted({*map(float, rings), *best[np.isfinite(best)].tolist()})
    dataset, crs = open_grid(raster)
    try:
        points = incidents.geometry.to_crs(crs).values
        ok = ~(shapely.is_missing(points) | shapely.is_empty(points))
        x = np.full(len(points), np.nan)
        y = np.full(len(points), np.nan)
        x[ok], y[ok] = shapely.get_x(points[ok]), shapely.get_y(points[ok])
        sums = _disc_sums_by_band(dataset, crs, x, y, wanted)
    finally:
        dataset.close()
    out = incidents.copy()
    for radius in rings:
        out[ring_column(radius)] = sums[float(radius)]
    out["best_radius_m"] = best
    people_best = np.full(len(out), np.nan)
    for radius in set(best[np.isfinite(best)].tolist()):
        rows = best == radius
        people_best[rows] = sums[radius][rows]
    out["people_best"] = people_best
    untyped = sorted(set(types[~np.isfinite(best)]) - {""})
    out.attrs["katye_event_exposure"] = {
        "grid": grid_name(raster),
        "rings_m": list(rings),
        "best_radius_m": {k: v for k, v in table.items()},
        "sources": {k: RADIUS_SOURCES.get(k, "given by the user") for k in table},
        "method": "grid convolved with exact disc pixel fractions, read bilinearly between pixel centres",
        "outside_grid": int(np.isnan(out[ring_column(rings[0])]).sum()) if rings else 0,
        "types_without_radius": untyped,
    }
    return out


def _disc_sums_by_band(dataset, crs, x: np.ndarray, y: np.ndarray, radii: list[float]) -> dict[float, np.ndarray]:
    """People within each radius of each point, the grid read once around the points."""
    sums = {radius: np.full(len(x), np.nan) for radius in radii}
    valid = np.isfinite(x) & np.isfinite(y)
    if not valid.any() or not radii:
        return sums
    reach = max(radii)
    if crs.is_geographic:
        # Generous reach in degrees: a degree of longitude is shortest at the points' highest latitude.
        top = float(np.abs(y[valid]).max())
        dx = reach / (111_320.0 * max(math.cos(math.radians(min(top + 1.0, 89.0))), 1e-6))
        dy = reach / 110_574.0
        bands = np.floor(y / BAND_DEG)
    else:
        dx = dy = reach
        bands = np.zeros(len(x))
    for band in np.unique(bands[valid]):
        rows = valid & (bands == band)
        bx, by = x[rows], y[rows]
        bounds = (bx.min() - dx, by.min() - dy, bx.max() + dx, by.max() + dy)
        grid = read_window(dataset, crs, bounds, margin=2)
        metres = metres_per_pixel(grid, float(np.mean([bx.min(), bx.max()])), float(np.mean([by.min(), by.max()])))
        for radius in radii:
            sums[radius][rows] = disc_sums(grid, bx, by, radius, metres)
    return sums
