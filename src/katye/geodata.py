"""The shipped Port-au-Prince gazetteer, and reading area layers users bring.

Every loader returns a new EPSG:4326 GeoDataFrame; change it as you like, the next
call reads the shipped file again. :func:`catalog` lists the layers with their
source, licence and the attribution text a map or report must carry.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from katye import io as katye_io
from katye.crs import STORAGE_CRS, parse_crs, to_storage
from katye.errors import CRSError, InputError, UsageError, at_rows

log = logging.getLogger("katye")

COD_AB_CREDIT = "Administrative boundaries: CNIGS / OCHA Haiti COD-AB (hti_adm_cnigs_20181129), via HDX, CC BY-IGO 3.0"
WOF_CREDIT = "Data from Who's On First (https://whosonfirst.org), incl. GeoNames (CC BY 4.0) and Quattroshapes (CC BY)"
OURAIRPORTS_CREDIT = "Airport: OurAirports (public domain), Natural Earth (public domain)"
WIKIPEDIA_CREDIT = "Some place coordinates: Wikipedia contributors (CC BY-SA)"
WPI_CREDIT = "Port: NGA World Port Index (public domain)"
OSM_CREDIT = "One place point: © OpenStreetMap contributors (ODbL)"


@dataclass(frozen=True)
class Layer:
    """One shipped layer: its file and what must travel with it."""

    name: str
    file: str
    id_column: str
    description: str
    source: str
    licence: str
    attribution: str


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            "communes",
            "communes.geojson",
            "commune_pcode",
            "The 10 communes of the Port-au-Prince metro area (COD-AB adm2)",
            "CNIGS / OCHA COD-AB Haiti, 2018-11-29",
            "CC BY-IGO 3.0",
            COD_AB_CREDIT,
        ),
        Layer(
            "sections",
            "sections.geojson",
            "section_pcode",
            "The 48 sections communales of those communes (COD-AB adm3)",
            "CNIGS / OCHA COD-AB Haiti, 2018-11-29",
            "CC BY-IGO 3.0",
            COD_AB_CREDIT,
        ),
        Layer(
            "urban_extent",
            "urban_extent.geojson",
            "name",
            "Built-up extent of Port-au-Prince (Who's On First locality polygon, clipped to COD-AB)",
            "Who's On First record 421176527; COD-AB",
            "CC0 (Quattroshapes CC BY); CC BY-IGO 3.0",
            f"{WOF_CREDIT}; {COD_AB_CREDIT}",
        ),
        Layer(
            "land",
            "land.geojson",
            "land_id",
            "Land: the 10 metro communes' union (COD-AB coastline) and Haiti's, simplified, as a backdrop",
            "CNIGS / OCHA COD-AB Haiti, 2018-11-29",
            "CC BY-IGO 3.0",
            COD_AB_CREDIT,
        ),
        Layer(
            "sites",
            "sites.geojson",
            "site_id",
            "Key sites and sourced place points (airport, MSS base (approximate), US Embassy, "
            "neighbourhood label points)",
            "OurAirports, Natural Earth, Who's On First / GeoNames, Wikipedia, NGA WPI, COD-AB",
            "Public domain; CC0; CC BY 4.0; CC BY-SA; CC BY-IGO 3.0 (per row)",
            f"{OURAIRPORTS_CREDIT}; {WOF_CREDIT}; {WIKIPEDIA_CREDIT}; {WPI_CREDIT}; {COD_AB_CREDIT}",
        ),
        Layer(
            "zones",
            "zones.geojson",
            "zone_id",
            "Named zones tiling the land of the 10 metro communes: cells around sourced place points "
            "inside COD-AB sections (at most 950 m from the point in the dense communes, 2 km elsewhere), "
            "the rest of each section, the airport, the MSS base area (approximate)",
            "katye build from COD-AB, Who's On First / GeoNames, Wikipedia, OpenStreetMap, OurAirports",
            "Derived; inherits CC BY-IGO 3.0, CC BY 4.0, CC BY-SA, ODbL, public domain (per row)",
            f"Zones: katye, from {COD_AB_CREDIT}; {WOF_CREDIT}; {WIKIPEDIA_CREDIT}; {OSM_CREDIT}; {OURAIRPORTS_CREDIT}",
        ),
    )
}

POLYGONAL = ("Polygon", "MultiPolygon")


def data_dir() -> Path:
    """The folder holding the shipped layers (inside the installed package, or the source tree).

    ``KATYE_GEODATA_DIR``, when set, names the folder to use instead (a copy of ``geodata/``, or
    one rebuilt by ``geodata/build.py``); katye then reads that folder and no other.

    Raises
    ------
    InputError
        No folder holding the shipped layers was found (a damaged installation, or a
        ``KATYE_GEODATA_DIR`` that points elsewhere); the message says how to fix it.

    """
    zones_file = LAYERS["zones"].file
    override = os.environ.get("KATYE_GEODATA_DIR")
    if override:
        folder = Path(override)
        if not (folder / zones_file).is_file():
            raise InputError(
                f"KATYE_GEODATA_DIR={override}: there is no {zones_file} in that folder, so it does not hold "
                "katye's shipped geodata. Point KATYE_GEODATA_DIR at a folder that does (a copy of the "
                "repository's geodata/), or unset it to use the geodata installed with katye."
            )
        return folder
    here = Path(__file__).resolve().parent
    candidates = [here / "_geodata", here.parents[1] / "geodata"]
    for candidate in candidates:
        if (candidate / zones_file).is_file():
            return candidate
    raise InputError(
        "katye cannot find its shipped geodata (looked for "
        + " and ".join(str(c / zones_file) for c in candidates)
        + f"). {katye_io.REINSTALL}"
    )


def _layer(name: str) -> Layer:
    try:
        return LAYERS[name.lower().replace("-", "_")]
    except KeyError:
        raise InputError(f"There is no shipped layer called {name!r}. Layers: {', '.join(LAYERS)}.") from None


@cache
def _read_shipped(name: str) -> gpd.GeoDataFrame:
    layer = _layer(name)
    frame: gpd.GeoDataFrame = katye_io.read_shipped(data_dir() / layer.file, columns=(layer.id_column,))
    return frame.set_crs(STORAGE_CRS, allow_override=True)


def load(name: str) -> gpd.GeoDataFrame:
    """Load shipped layer ``name`` (see :func:`catalog`) as a new EPSG:4326 GeoDataFrame."""
    frame = _read_shipped(_layer(name).name).copy()
    frame.attrs["katye_layer"] = name
    frame.attrs["attribution"] = _layer(name).attribution
    return frame


def zones() -> gpd.GeoDataFrame:
    """Named zones that tile the land of the 10 metro communes.

    A sourced place (quartier, locality or town point) gets the part of its COD-AB section nearer
    to it than to any other place, at most 950 m from it in the dense communes (Port-au-Prince,
    Delmas, Pétion-Ville, Cité Soleil) and 2 km elsewhere; what is left of each section is a zone
    named after the section ("Croix-Des-Bouquets — 1re Section Varreux"). These are not surveyed
    quartier limits (none exist openly); each zone says how it was made and how sure it is.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per zone, EPSG:4326, with ``zone_id`` (slug, unique), ``name``, ``name_ht``,
        ``kind`` (neighbourhood | section | airport | security_base), ``commune_pcode``,
        ``section_pcode``, ``area_km2``, ``centre_lon``/``centre_lat`` (the sourced point
        that seeded the zone, empty for section zones), ``method``, ``sources``,
        ``licence``, ``confidence`` (high | medium | low) and ``note``.

    """
    return load("zones")


def resolve_zones(layer: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The zones an analysis uses, checked and in one form.

    Parameters
    ----------
    layer
        The caller's zones (a GeoDataFrame with a CRS and a ``zone_id`` column, e.g. from
        :func:`read_areas`), or None for the shipped :func:`zones`.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in EPSG:4326, sorted by ``zone_id`` (the order that breaks ties on shared edges),
        with ``zone_id`` as text, ``name`` (the id when the layer has none) and ``area_km2``
        (measured in EPSG:32618 when the layer has none).

    Raises
    ------
    UsageError
        ``layer`` is not a GeoDataFrame.
    InputError
        It has no ``zone_id`` column, or duplicate ids.
    CRSError
        It has no CRS.

    """
    if layer is None:
        out = zones()
    else:
        if not isinstance(layer, gpd.GeoDataFrame):
            raise UsageError(
                f"zones: expected a GeoDataFrame (e.g. from katye.geodata.read_areas), got {type(layer).__name__}"
            )
        if "zone_id" not in layer.columns:
            raise InputError(
                "zones: no zone_id column. Read your layer with katye.geodata.read_areas(path, id_column=…)."
            )
        out = to_storage(layer, what="the zones").copy()
        out["zone_id"] = out["zone_id"].astype(str)
        twice = out["zone_id"][out["zone_id"].duplicated()]
        if len(twice):
            raise InputError(
                f"zones: zone_id {', '.join(sorted(set(twice))[:10])} appear more than once; each zone "
                "needs its own id."
            )
        if not len(out):
            raise InputError("zones: the layer holds no zone. Give a layer with at least one polygon.")
        shapeless = out["zone_id"][(out.geometry.isna() | out.geometry.is_empty).to_numpy()]
        if len(shapeless):
            raise InputError(
                f"zones: zone_id {', '.join(sorted(shapeless)[:10])} {'has' if len(shapeless) == 1 else 'have'} "
                "no geometry (missing or empty). Give each zone its outline, or leave those zones out."
            )
    out = out.sort_values("zone_id", kind="stable").reset_index(drop=True)
    if "name" not in out.columns:
        out["name"] = out["zone_id"]
    if "area_km2" not in out.columns:
        out["area_km2"] = out.to_crs("EPSG:32618").area / 1e6
    return out


def sites() -> gpd.GeoDataFrame:
    """Key sites and sourced place points.

    Returns
    -------
    geopandas.GeoDataFrame
        Points, EPSG:4326, with ``site_id``, ``name``, ``name_ht``, ``kind``,
        ``precision_m`` (how far the true place may be), ``approximate`` (True when
        ``precision_m`` > 250: draw as approximate), ``confidence``, ``commune_pcode``,
        ``section_pcode``, ``source``, ``source_ref``, ``licence`` and ``note``.

    """
    return load("sites")


def sections() -> gpd.GeoDataFrame:
    """COD-AB sections communales of the metro communes.

    Returns
    -------
    geopandas.GeoDataFrame
        ``section_pcode``, ``name`` (= ``name_fr``), ``name_fr``, ``name_en``, ``name_ht``
        (empty: COD-AB has no Creole names at this level), ``commune_pcode``, ``commune``,
        ``area_km2``, ``method``, ``source``, ``licence``, ``confidence``.

    """
    return load("sections")


def communes() -> gpd.GeoDataFrame:
    """COD-AB communes of the metro area.

    Returns
    -------
    geopandas.GeoDataFrame
        ``commune_pcode``, ``name``, ``name_fr``, ``name_en``, ``name_ht`` (empty in COD-AB),
        ``department_pcode``, ``department``, ``area_km2``, ``method``, ``source``,
        ``licence``, ``confidence``.

    """
    return load("communes")


def land() -> gpd.GeoDataFrame:
    """Land polygons: ``metro`` (the 10 communes, COD-AB's coastline) and ``haiti`` (simplified backdrop).

    Returns
    -------
    geopandas.GeoDataFrame
        ``land_id``, ``name``, ``area_km2``, ``method``, ``source``, ``licence``, ``confidence``.

    """
    return load("land")


def urban_extent() -> gpd.GeoDataFrame:
    """The built-up extent of Port-au-Prince that the zones tile (one row)."""
    return load("urban_extent")


#: Shipped tables (no geometry): file, source, licence.
TABLES = {
    "admin_names": (
        "admin_names.csv",
        "Every department, commune and section name of Haiti (COD-AB, French and English) and common spellings",
        "CNIGS / OCHA COD-AB Haiti, 2018-11-29; katye aliases",
        "CC BY-IGO 3.0; aliases CC0",
    ),
    "actors": (
        "actors.csv",
        "ACLED actor names in Haiti exports: normalised name, kind, gang coalition, source",
        "katye, from the sources named per row",
        "MIT (as katye); facts from the cited sources",
    ),
}

#: Columns each shipped table must have (a file without them is damaged).
TABLE_COLUMNS = {
    "admin_names": ("name", "level", "pcode", "commune_pcode", "department_pcode"),
    "actors": ("acled_name", "actor", "kind"),
}


@cache
def _read_table(name: str) -> pd.DataFrame:
    return katye_io.read_shipped(data_dir() / TABLES[name][0], columns=TABLE_COLUMNS[name])


def load_table(name: str) -> pd.DataFrame:
    """Load shipped table ``name`` (``admin_names`` or ``actors``) as a new DataFrame."""
    if name not in TABLES:
        raise InputError(f"There is no shipped table called {name!r}. Tables: {', '.join(TABLES)}.")
    frame = _read_table(name).copy()
    frame.attrs["attribution"] = TABLES[name][2]
    return frame


def admin_names() -> pd.DataFrame:
    """Administrative names of Haiti that an incident's ``location`` may hold.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``level`` (country | department | arrondissement | commune | section), ``pcode``,
        ``commune_pcode``, ``department_pcode``, ``source``, ``licence``: the 10 departments, 140
        communes and 570 sections of COD-AB in French and English (sections in their full form,
        "1re Section Turgeau"), plus Haitian Creole names of the metro communes.

    """
    return load_table("admin_names")


def catalog() -> pd.DataFrame:
    """Every shipped layer and table with its file, row count, geometry type, source and licence.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``file``, ``features``, ``geometry_type``, ``description``,
        ``source``, ``licence``, ``attribution``.

    """
    rows = []
    for layer in LAYERS.values():
        frame = _read_shipped(layer.name)
        rows.append(
            {
                "name": layer.name,
                "file": layer.file,
                "features": len(frame),
                "geometry_type": "/".join(sorted(frame.geom_type.unique())),
                "description": layer.description,
                "source": layer.source,
                "licence": layer.licence,
                "attribution": layer.attribution,
            }
        )
    for name, (file, description, source, licence) in TABLES.items():
        rows.append(
            {
                "name": name,
                "file": file,
                "features": len(_read_table(name)),
                "geometry_type": "table",
                "description": description,
                "source": source,
                "licence": licence,
                "attribution": source,
            }
        )
    return pd.DataFrame(rows)


#: What an area layer may be, for messages.
AREAS_EXPECTED = "GeoJSON, GeoPackage, Shapefile or GeoParquet with polygons"


def read_areas(
    path: str | os.PathLike,
    *,
    id_column: str,
    name_column: str | None = None,
    layer: str | None = None,
    crs=None,
) -> gpd.GeoDataFrame:
    """Read a user's own area layer (zones, quartiers, sectors) for use in place of :func:`zones`.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile or GeoParquet of polygons, in any CRS.
    id_column
        The column that identifies each area; values must be unique and present.
    name_column
        The column with display names (default: the id).
    layer
        The layer inside a multi-layer file such as a GeoPackage.
    crs
        The CRS of a file that carries none (e.g. a Shapefile without ``.prj``). Ignored
        when the file has a CRS of its own.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, with ``zone_id`` and ``name`` (strings) first, then the file's other
        columns. Invalid polygons are repaired and named in a warning.

    Raises
    ------
    InputError
        Unreadable file, missing columns, missing or non-polygon geometries, duplicate ids.
    CRSError
        The file has no CRS and ``crs`` was not given.

    """
    path = Path(path)
    frame: gpd.GeoDataFrame = katye_io.read_layer(path, layer=layer, what="area layer", expected=AREAS_EXPECTED)
    if len(frame) == 0:
        raise InputError(f"{path}: the layer has no areas. Check the file (and layer=, for a GeoPackage).")
    if frame.crs is None:
        if crs is None:
            raise CRSError(
                f"{path}: the file has no coordinate reference system, and katye does not guess "
                "one. Pass crs='EPSG:…' (e.g. crs='EPSG:32618' for UTM 18N metres), or add one "
                "to the file (ogr2ogr -a_srs EPSG:… out.gpkg in.shp)."
            )
        frame = frame.set_crs(parse_crs(crs, what=f"{path}: crs="))
    for wanted, option in ((id_column, "id_column"), (name_column, "name_column")):
        # The geometry is not an attribute: it cannot name or identify the areas.
        if wanted is not None and (wanted not in frame.columns or wanted == frame.geometry.name):
            raise InputError(
                f"{path}: no column {wanted!r} (asked for by {option}=). Columns in the file: "
                f"{', '.join(c for c in frame.columns if c != frame.geometry.name)}."
            )
    _check_ids(frame, id_column, path)
    frame = _check_geometries(frame, id_column, path)
    _check_coordinates(frame, path)
    frame = to_storage(frame, what=str(path))
    _check_placement(frame, id_column, path)
    ids = frame[id_column].astype(str)
    names = (frame[name_column] if name_column else frame[id_column]).astype("string")
    out = frame.drop(columns=[c for c in (id_column, name_column) if c])
    # A file may have its own "zone_id"/"name" columns beside the ones chosen: keep them.
    out = out.rename(columns={c: f"{c}_source" for c in ("zone_id", "name") if c in out.columns})
    out.insert(0, "zone_id", ids)
    out.insert(1, "name", names.fillna(ids).astype(str))
    out.attrs["source_file"] = str(path)
    return out.reset_index(drop=True)


def _check_ids(frame: gpd.GeoDataFrame, id_column: str, path: Path) -> None:
    ids = frame[id_column]
    missing = ids.isna() | (ids.astype("string").str.strip() == "")
    if missing.any():
        raise InputError(
            f"{path}: column {id_column!r} is empty at {at_rows(frame.index[missing], unit='feature', offset=1)}. "
            "Every area needs an id; fill them in or choose another id_column."
        )
    text = ids.astype(str)
    dupes = text[text.duplicated(keep=False)]
    if not dupes.empty:
        listed = ", ".join(sorted(set(dupes))[:10])
        raise InputError(
            f"{path}: column {id_column!r} has duplicate ids ({listed}). Each area needs its own "
            "id: merge the duplicates or choose another id_column."
        )


def _check_geometries(frame: gpd.GeoDataFrame, id_column: str, path: Path) -> gpd.GeoDataFrame:
    geoms = frame.geometry
    empty = geoms.isna() | geoms.is_empty
    if empty.any():
        ids = ", ".join(frame.loc[empty, id_column].astype(str)[:10])
        raise InputError(f"{path}: areas {ids} have no geometry. Draw them or remove them.")
    kinds = geoms.geom_type
    # NaN or infinite coordinates (a broken export) break every geometric operation after them.
    finite = np.isfinite(shapely.get_coordinates(geoms.values)).all(axis=1)
    if not finite.all():
        counts = shapely.get_num_coordinates(geoms.values)
        broken = np.repeat(np.arange(len(frame)), counts)[~finite]
        ids = ", ".join(frame[id_column].astype(str).iloc[np.unique(broken)][:10])
        raise InputError(
            f"{path}: areas {ids} have coordinates that are not numbers (NaN or infinite). "
            "Repair their geometry in a GIS or remove them."
        )
    wrong = ~kinds.isin(POLYGONAL)
    if wrong.any():
        ids = ", ".join(frame.loc[wrong, id_column].astype(str)[:10])
        raise InputError(
            f"{path}: areas must be polygons; {ids} are {', '.join(sorted(set(kinds[wrong])))}. "
            "Buffer points or lines into polygons first."
        )
    invalid = ~geoms.is_valid
    if not invalid.any():
        return frame
    out = frame.copy()
    repaired = shapely.make_valid(geoms[invalid].values)
    polygons = [_polygon_parts(g) for g in repaired]
    collapsed = [i for i, g in zip(frame.loc[invalid, id_column], polygons, strict=True) if g is None]
    if collapsed:
        raise InputError(
            f"{path}: areas {', '.join(map(str, collapsed))} have no area left once repaired "
            "(they are lines or points drawn as polygons). Redraw them or remove them."
        )
    out.loc[invalid, out.geometry.name] = gpd.GeoSeries(polygons, index=out.index[invalid], crs=frame.crs)
    ids = ", ".join(frame.loc[invalid, id_column].astype(str))
    message = f"{path}: repaired invalid polygons of areas {ids} (shapely.make_valid); check them."
    warnings.warn(message, UserWarning, stacklevel=3)
    log.warning(message)
    return out


#: Haiti with a margin, in degrees: where a layer of Port-au-Prince must lie.
HAITI_BOUNDS = (-74.6, 17.9, -71.5, 20.2)


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=4)
    log.warning(message)


def _check_coordinates(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Warn when a projected CRS holds numbers that look like degrees (a CRS declared wrongly)."""
    if frame.crs is None or frame.crs.is_geographic:
        return
    minx, miny, maxx, maxy = frame.total_bounds
    if minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90:
        _warn(
            f"{path}: the layer says {frame.crs.to_string()} (metres) but its coordinates look like degrees "
            f"({minx:.3f} … {maxx:.3f}, {miny:.3f} … {maxy:.3f}); it was probably saved without its true CRS. "
            "Fix the .prj, or read it with crs='EPSG:4326'."
        )


def _check_placement(frame: gpd.GeoDataFrame, id_column: str, path: Path) -> None:
    """Warn when the areas are not in Haiti (swapped axes, a wrong CRS) or overlap one another."""
    minx, miny, maxx, maxy = frame.total_bounds
    hx0, hy0, hx1, hy1 = HAITI_BOUNDS
    if not (maxx >= hx0 and minx <= hx1 and maxy >= hy0 and miny <= hy1):
        if maxy >= hx0 and miny <= hx1 and maxx >= hy0 and minx <= hy1:
            _warn(
                f"{path}: the areas lie at longitude {minx:.2f} … {maxx:.2f}, latitude {miny:.2f} … {maxy:.2f}: "
                "with the axes swapped they would be in Haiti. Save the layer with longitude as x."
            )
        else:
            _warn(
                f"{path}: the areas lie at longitude {minx:.2f} … {maxx:.2f}, latitude {miny:.2f} … {maxy:.2f}, "
                "not in Haiti: no incident of Port-au-Prince will fall in them. Check the layer's CRS."
            )
        return
    metric = frame.to_crs("EPSG:32618")
    tree = shapely.STRtree(metric.geometry.values)
    left, right = tree.query(metric.geometry.values, predicate="intersects")
    pairs = left < right
    overlaps = []
    for i, j in zip(left[pairs], right[pairs], strict=True):
        area = metric.geometry.iloc[i].intersection(metric.geometry.iloc[j]).area
        if area > 1.0:
            overlaps.append((str(frame[id_column].iloc[i]), str(frame[id_column].iloc[j]), area))
    if overlaps:
        shown = "; ".join(f"{a} and {b} share {area:,.0f} m²" for a, b, area in overlaps[:8])
        _warn(
            f"{path}: {len(overlaps)} pair(s) of areas overlap ({shown}{' …' if len(overlaps) > 8 else ''}). "
            "An incident in an overlap goes to the area whose id sorts first; fix the layer if they should not."
        )


def _polygon_parts(geom):
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in POLYGONAL]
    flat = [q for p in parts for q in shapely.get_parts(p)]
    if not flat:
        return None
    return shapely.MultiPolygon(flat) if len(flat) > 1 else flat[0]
