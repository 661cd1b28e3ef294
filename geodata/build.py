"""Rebuild katye's shipped gazetteer from the openly licensed sources.

Run from the repository root::

    python geodata/build.py --sources ../shared/geodata-sources

It writes ``communes.geojson``, ``sections.geojson``, ``urban_extent.geojson``,
``land.geojson``, ``sites.geojson``, ``zones.geojson`` and ``admin_names.csv`` next to this
file (``places.csv``, the hand-kept list of sourced place points, is read, not written). The same sources and the
same library versions give the same bytes; ``tests/test_gazetteer_build.py``
rebuilds into a temporary folder and compares.

Method in short (``geodata/SOURCES.md`` has the long form):

* Communes and sections: COD-AB (CNIGS/OCHA, 2018-11-29), the 10 communes of the
  metro area and their 48 sections, snapped to a 1e-6 degree grid.
* Urban extent: the Who's On First Port-au-Prince locality polygon clipped to those
  sections; section pieces under ``SLIVER_KM2`` are digitising slivers and dropped.
* Land: the communes' union (COD-AB's coastline) and, as a basemap backdrop, Haiti's land
  within half a degree, simplified to about 100 m.
* Airport zone: the convex hull of the OurAirports runway centreline, the Natural
  Earth terminal point and the airport's two navaids, each buffered in metres.
* MSS base zone: no open coordinates exist, so a low-confidence stand-in: land
  within ``MSS_RADIUS_M`` of a point south of the terminal, outside the airport zone.
* Place zones: inside each section, the nearest-place cells (EPSG:32618) of the sourced
  place points in it (quartiers, localities, towns: ``seeds``), each cut to ``CAP_DENSE_M``
  around its point in the dense communes and ``CAP_M`` elsewhere. What is left of a section
  is a zone named after it, so the zones tile the land of the 10 communes. No zone crosses
  a section line.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape

HERE = Path(__file__).resolve().parent
GRID = 1e-6
SLIVER_KM2 = 0.05
AIRPORT_RUNWAY_BUFFER_M = 250.0
AIRPORT_POINT_BUFFER_M = 150.0
# East and north offsets (m) from the terminal: on the landside, inside section HT0118-03,
# outside the aerodrome outline.
MSS_OFFSET_M = (400.0, -400.0)
MSS_RADIUS_M = 600.0
# A place's zone is its nearest-place cell inside its section, cut to this radius: at most
# pi * 950^2 = 2.8 km2 in the dense communes, so no zone there passes 3 km2.
CAP_DENSE_M = 950.0
CAP_M = 2000.0
DENSE_COMMUNES = ("HT0111", "HT0112", "HT0114", "HT0117")
# Two places closer than this seed one zone: the better-located one (then the first by id).
SEED_MERGE_M = 200.0
PLACES_FILE = HERE / "places.csv"
PLACE_COLUMNS = (
    "site_id",
    "name",
    "name_ht",
    "kind",
    "lat",
    "lon",
    "precision_m",
    "confidence",
    "source",
    "source_ref",
    "licence",
    "note",
)
#: Who's On First records whose point is not a quartier centre (a city or commune label point, or
#: a duplicate of a place katye has from a better source).
WOF_NOT_SEEDS = {
    "421176527",
    "421168265",
    "890435207",
    "421192067",
    "421200861",
    "1226330439",
    "1293368353",
    "421181047",
    "1226323837",
    "421169767",
}
METRO_COMMUNES = (
    "HT0111",
    "HT0112",
    "HT0113",
    "HT0114",
    "HT0115",
    "HT0116",
    "HT0117",
    "HT0118",
    "HT0131",
    "HT0142",
)
URBAN_WOF_ID = "421176527"

TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32618", always_xy=True)
TO_LONLAT = Transformer.from_crs("EPSG:32618", "EPSG:4326", always_xy=True)

COD_AB = {
    "source": "CNIGS / OCHA Haiti COD-AB hti_admbnda_cnigs_20181129 (HDX cod-ab-hti), "
    "copy in Ayiti-Analytics/covid19ht-ayitianalytics@236578aab8538745fcb16c2fca17f4fb33a0c1fe",
    "licence": "CC BY-IGO 3.0",
}
WOF = "Who's On First whosonfirst-data-admin-ht@d83c1e5326a9c867f3299e6c2a06435c684cd2f8"
OURAIRPORTS = "OurAirports davidmegginson/ourairports-data@1fb3eea05228ec98d700f4bcfa68e8fc364ca0e5"
NATURAL_EARTH = "Natural Earth ne_10m_airports (feature iata_code=PAP)"


#: Who's On First points whose name alone would clash with a commune's label point.
WOF_SITE_IDS = {"890445107": "carrefour-centre"}
#: Display names of zones where the source's spelling is not the usual one.
ZONE_NAMES = {
    "petion-ville": "Pétion-Ville",
    "croix-des-bouquets": "Croix-des-Bouquets",
    "carrefour-centre": "Carrefour (centre)",
}

#: Site ids that are label points of a whole commune or city, not of a quartier: never seeds.
#: (Delmas's and Tabarre's points are arc-minute label points 2-3 km from the quartiers people call so.)
NOT_SEEDS = frozenset(
    {
        "port-au-prince",
        "delmas",
        "carrefour",
        "tabarre",
        "gressier",
        # Points whose sources doubt them: Delmas 73's is GeoNames' label point for the city of
        # Delmas; Cazeau's lies north of the runway, 2.3 km from the other Cazeau point; Santo is
        # one of four GeoNames places of that name; Martissant's is its section's centroid.
        "delmas-73",
        "cazeau",
        "santo",
        "martissant",
    }
)
SEED_KINDS = frozenset({"neighbourhood", "locality", "town_centre", "village"})


# site_id for each source row, keyed by the row's ``name``, with the precision in
# metres and a confidence read from that row's own precision note.
REFERENCE_SITES = {
    "MTPP runway 10/28 midpoint": ("airport", 50, "high"),
    "MTPP runway 10 threshold": ("runway-10-threshold", 30, "high"),
    "MTPP runway 28 threshold": ("runway-28-threshold", 30, "high"),
    "PAP VOR-DME": ("pap-vor-dme", 30, "high"),
    "HHP NDB Port Au Prince": ("hhp-ndb", 30, "high"),
    "Mais Gate Int'l (PAP) terminal": ("airport-terminal", 200, "medium"),
    "Solino": ("solino", 750, "medium"),
    "Pétionville": ("petion-ville", 1000, "medium"),
    "Pont Sondé": ("pont-sonde", 750, "medium"),
    "Tabarre": ("tabarre", 1500, "low"),
    "Port-au-Prince (WOF label point)": ("port-au-prince", 1000, "medium"),
    "Delmas": ("delmas", 1500, "low"),
    "Carrefour": ("carrefour", 1500, "low"),
    "Kenscoff": ("kenscoff", 1000, "medium"),
    "Gressier": ("gressier", 1500, "low"),
    "Croix des Bouquets": ("croix-des-bouquets", 1000, "medium"),
    "Cabaret": ("cabaret", 1000, "medium"),
    "Port-au-Prince commune (centroid)": ("centroid-ht0111", 10, "high"),
    "Delmas commune (centroid)": ("centroid-ht0112", 10, "high"),
    "Carrefour commune (centroid)": ("centroid-ht0113", 10, "high"),
    "Pétion-Ville commune (centroid)": ("centroid-ht0114", 10, "high"),
    "Kenscoff commune (centroid)": ("centroid-ht0115", 10, "high"),
    "Gressier commune (centroid)": ("centroid-ht0116", 10, "high"),
    "Cité Soleil commune (centroid)": ("centroid-ht0117", 10, "high"),
    "Tabarre commune (centroid)": ("centroid-ht0118", 10, "high"),
    "Croix-Des-Bouquets commune (centroid)": ("centroid-ht0131", 10, "high"),
    "Cabaret commune (centroid)": ("centroid-ht0142", 10, "high"),
}
NEIGHBOURHOOD_SITES = {
    "Bel Air": ("bel-air", 1500, "low"),
    "Martissant": ("martissant", 1000, "low"),
    "La Saline": ("la-saline", 1000, "low"),
    "Cité Soleil (centre)": ("cite-soleil", 750, "medium"),
    "Croix-des-Missions": ("croix-des-missions", 750, "medium"),
    "Bon Repos": ("bon-repos", 750, "medium"),
    "Champ de Mars / Centre-ville": ("champ-de-mars", 650, "medium"),
    "Canaan": ("canaan", 2500, "low"),
    "Torcelle": ("torcelle", 1000, "low"),
    "Cazeau": ("cazeau", 2000, "low"),
    "Santo": ("santo", 1000, "low"),
    "Drouillard": ("drouillard", 1500, "low"),
    "Ambassade des États-Unis (Tabarre)": ("us-embassy", 300, "medium"),
    "Palais national": ("palais-national", 30, "high"),
    "Port international de Port-au-Prince (APN)": ("port", 1500, "low"),
}
# Who's On First records that are in neither CSV: (site_id, precision_m, confidence, licence).
WOF_EXTRA_SITES = {
    "890435207": ("delmas-73", 1000, "low", "WOF CC0"),
    "421192067": ("thor", 1000, "low", "CC BY (Quattroshapes); WOF CC0"),
    "421200861": ("la-boule", 1000, "low", "CC BY (Quattroshapes); WOF CC0"),
}
APPROXIMATE_FROM_M = 250


def _grid(geom):
    return shapely.set_precision(geom, GRID)


def _to_utm(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(TO_UTM.transform(xy[:, 0], xy[:, 1])))


def _to_lonlat(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(TO_LONLAT.transform(xy[:, 0], xy[:, 1])))


def _km2(geom) -> float:
    return round(_to_utm(geom).area / 1e6, 4)


def _polygonal(geom):
    """Keep only the polygon parts of an overlay result (drop stray lines and points)."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and not g.is_empty]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def read_admin(sources: Path, level: int):
    path = sources / "cod-ab-hti-2018" / "original" / f"hti_admbnda_adm{level}_cnigs_20181129.shp"
    frame = pyogrio.read_dataframe(path)
    frame = frame[frame["ADM2_PCODE"].isin(METRO_COMMUNES)]
    pcode = f"ADM{level}_PCODE"
    frame = frame.sort_values(pcode).reset_index(drop=True)
    frame["geometry"] = [_grid(g) for g in frame.geometry]
    return frame


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def build_communes(adm2) -> list[dict]:
    out = []
    for row in adm2.itertuples():
        out.append(
            {
                "properties": {
                    "commune_pcode": row.ADM2_PCODE,
                    "name": row.ADM2_FR,
                    "name_fr": row.ADM2_FR,
                    "name_en": row.ADM2_EN,
                    "name_ht": _text(row.ADM2_HT),
                    "department_pcode": row.ADM1_PCODE,
                    "department": row.ADM1_FR,
                    "area_km2": _km2(row.geometry),
                    "method": "COD-AB adm2 polygon, snapped to a 1e-6 degree grid",
                    "source": COD_AB["source"],
                    "licence": COD_AB["licence"],
                    "confidence": "high",
                },
                "geometry": row.geometry,
            }
        )
    return out


def build_sections(adm3) -> list[dict]:
    out = []
    for row in adm3.itertuples():
        out.append(
            {
                "properties": {
                    "section_pcode": row.ADM3_PCODE,
                    "name": row.ADM3_FR,
                    "name_fr": row.ADM3_FR,
                    "name_en": row.ADM3_EN,
                    "name_ht": _text(row.ADM3_HT),
                    "commune_pcode": row.ADM2_PCODE,
                    "commune": row.ADM2_FR,
                    "area_km2": _km2(row.geometry),
                    "method": "COD-AB adm3 polygon, snapped to a 1e-6 degree grid",
                    "source": COD_AB["source"],
                    "licence": COD_AB["licence"],
                    "confidence": "high",
                },
                "geometry": row.geometry,
            }
        )
    return out


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _section_of(point, sections: list[dict]) -> tuple[str, str]:
    for feature in sections:
        if shapely.covers(feature["geometry"], point):
            props = feature["properties"]
            return props["section_pcode"], props["commune_pcode"]
    return "", ""


def _site(
    site_id, name, name_ht, kind, lon, lat, precision_m, confidence, source, source_ref, licence, note, sections
) -> dict:
    point = shapely.Point(round(float(lon), 6), round(float(lat), 6))
    section, commune = _section_of(point, sections)
    return {
        "properties": {
            "site_id": site_id,
            "name": name,
            "name_ht": name_ht,
            "kind": kind,
            "precision_m": int(precision_m),
            "approximate": bool(precision_m > APPROXIMATE_FROM_M),
            "confidence": confidence,
            "commune_pcode": commune,
            "section_pcode": section,
            "source": source,
            "source_ref": source_ref,
            "licence": licence,
            "note": note,
        },
        "geometry": point,
    }


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _arc_minute(value: float) -> bool:
    minutes = abs(value) * 60
    return abs(minutes - round(minutes)) < 1e-3


def wof_places(sources: Path, sections: list[dict], taken: set[str]) -> list[dict]:
    """Who's On First points in the urban extent that can stand for a quartier.

    Points on whole arc-minutes on both axes are GeoNames localities rounded to about 1.8 km: they
    are left out (listed in SOURCES.md), as are city labels and places katye has from a better source.
    """
    out = []
    for row in _read_csv(sources / "wof-haiti-admin" / "wof_points_in_pap_urban_extent.csv"):
        lat, lon = float(row["lat"]), float(row["lon"])
        if row["wof_id"] in WOF_NOT_SEEDS or (_arc_minute(lat) and _arc_minute(lon)):
            continue
        site_id = WOF_SITE_IDS.get(row["wof_id"], slug(row["name"]))
        if site_id in taken:
            site_id = f"{site_id}-{row['codab_section_pcode'][:6].lower()}"
        taken.add(site_id)
        geonames = row["src_geom"] == "geonames"
        out.append(
            _site(
                site_id,
                row["name"],
                "",
                "locality",
                lon,
                lat,
                1000,
                "low",
                WOF,
                f"wof:id {row['wof_id']}" + (" (geometry from GeoNames)" if geonames else ""),
                "GeoNames CC BY 4.0; WOF CC0" if geonames else "WOF CC0 (Quattroshapes CC BY)",
                "Who's On First locality point (a label point, not a quartier centre)",
                sections,
            )
        )
    return out


def curated_places(sections: list[dict], taken: set[str]) -> list[dict]:
    """The sourced places katye keeps in ``places.csv`` (one source, licence and precision per row)."""
    if not PLACES_FILE.is_file():
        return []
    out = []
    for row in _read_csv(PLACES_FILE):
        if row["site_id"] in taken:
            raise SystemExit(f"places.csv: site_id {row['site_id']!r} is already a site")
        taken.add(row["site_id"])
        out.append(
            _site(
                row["site_id"],
                row["name"],
                row["name_ht"],
                row["kind"],
                row["lon"],
                row["lat"],
                int(row["precision_m"]),
                row["confidence"],
                row["source"],
                row["source_ref"],
                row["licence"],
                row["note"],
                sections,
            )
        )
    return out


def mss_base_point(terminal):
    """The stand-in MSS base position: the terminal point moved by ``MSS_OFFSET_M``."""
    x, y = TO_UTM.transform(terminal.x, terminal.y)
    lon, lat = TO_LONLAT.transform(x + MSS_OFFSET_M[0], y + MSS_OFFSET_M[1])
    return shapely.Point(round(lon, 6), round(lat, 6))


def build_sites(sources: Path, sections: list[dict]) -> list[dict]:
    ref_dir = sources / "pap-reference-points"
    sites = []
    for row in _read_csv(ref_dir / "pap_reference_points.csv"):
        site_id, precision, confidence = REFERENCE_SITES[row["name"]]
        sites.append(
            _site(
                site_id,
                row["name"],
                "",
                row["kind"],
                row["lon"],
                row["lat"],
                precision,
                confidence,
                row["source"],
                row["source_ref"],
                row["license"],
                row["note"],
                sections,
            )
        )
    for row in _read_csv(ref_dir / "pap_neighbourhood_points.csv"):
        site_id, precision, confidence = NEIGHBOURHOOD_SITES[row["name"]]
        sites.append(
            _site(
                site_id,
                row["name"],
                row["name_ht"],
                row["kind"],
                row["lon"],
                row["lat"],
                precision,
                confidence,
                row["source"],
                row["source_ref"],
                row["license"],
                row["precision_note"],
                sections,
            )
        )
    for wof_id, (site_id, precision, confidence, licence) in WOF_EXTRA_SITES.items():
        record = json.loads((sources / "wof-haiti-admin" / "records" / f"{wof_id}.geojson").read_text(encoding="utf-8"))
        lon, lat = record["geometry"]["coordinates"]
        props = record["properties"]
        sites.append(
            _site(
                site_id,
                props["wof:name"],
                "",
                props["wof:placetype"],
                lon,
                lat,
                precision,
                confidence,
                WOF,
                f"wof:id {wof_id}",
                licence,
                "Who's On First locality point; label point, not a polygon centre",
                sections,
            )
        )
    sites += wof_places(sources, sections, {s["properties"]["site_id"] for s in sites})
    sites += curated_places(sections, {s["properties"]["site_id"] for s in sites})
    terminal = next(s["geometry"] for s in sites if s["properties"]["site_id"] == "airport-terminal")
    sites.append(
        _site(
            "mss-base",
            "MSS base (approximate)",
            "",
            "security_base",
            *mss_base_point(terminal).coords[0],
            2000,
            "low",
            "katye stand-in derived from the Natural Earth airport terminal point",
            f"terminal point moved {MSS_OFFSET_M[0]:.0f} m east and {-MSS_OFFSET_M[1]:.0f} m south "
            "(EPSG:32618), onto the landside south-east of the terminal",
            "Public domain (derived from Natural Earth)",
            "APPROXIMATE STAND-IN: no open source gives the Multinational Security Support "
            "mission's base coordinates; public reporting says only that it is near the "
            "airport. Replace with your own position if you have one.",
            sections,
        )
    )
    return sorted(sites, key=lambda s: s["properties"]["site_id"])


def _sites_by_id(sites: list[dict]) -> dict:
    return {s["properties"]["site_id"]: s for s in sites}


def airport_outline(sites: dict):
    """Aerodrome outline: hull of the buffered runway, terminal and navaids, in EPSG:4326."""
    runway = shapely.LineString(
        [
            sites["runway-10-threshold"]["geometry"],
            sites["runway-28-threshold"]["geometry"],
        ]
    )
    parts = [_to_utm(runway).buffer(AIRPORT_RUNWAY_BUFFER_M, quad_segs=8)]
    for site_id in ("airport-terminal", "pap-vor-dme", "hhp-ndb"):
        parts.append(_to_utm(sites[site_id]["geometry"]).buffer(AIRPORT_POINT_BUFFER_M, quad_segs=8))
    return _grid(_to_lonlat(shapely.union_all(parts).convex_hull))


def _voronoi_edges(centres: list[shapely.Point], frame):
    """Voronoi cell outlines (EPSG:4326) of ``centres``, computed in EPSG:32618."""
    points_utm = shapely.MultiPoint([_to_utm(p) for p in centres])
    envelope = _to_utm(frame).envelope.buffer(5000)
    cells = shapely.voronoi_polygons(points_utm, extend_to=envelope)
    return [_to_lonlat(cell.boundary) for cell in shapely.get_parts(cells)]


def _faces(lines: list) -> list:
    """Node every line once on the grid and return the faces they enclose.

    Building zones from one planar partition (rather than by chains of overlays) makes
    neighbouring zones share their edges exactly: no overlaps, no gaps.
    """
    noded = shapely.union_all([shapely.set_precision(g, GRID) for g in lines], grid_size=GRID)
    return list(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))


def _nearest(point, candidates: list[tuple[str, shapely.Point]]) -> str:
    here = _to_utm(point)
    return min(candidates, key=lambda c: (_to_utm(c[1]).distance(here), c[0]))[0]


def seeds(sites: list[dict], airport, mss_area) -> list[dict]:
    """The sites that seed a zone: sourced places of quartiers, villages and towns on the metro's land.

    Commune and city label points, key sites and centroids are not seeds; of two places closer
    than ``SEED_MERGE_M`` only the better-located one seeds a zone (ties: the first by id).
    """
    candidates = [
        site
        for site in sites
        if site["properties"]["kind"] in SEED_KINDS
        and site["properties"]["site_id"] not in NOT_SEEDS
        and site["properties"]["section_pcode"]
        and not airport.covers(site["geometry"])
        and not mss_area.covers(site["geometry"])
    ]
    candidates.sort(key=lambda s: (s["properties"]["precision_m"], s["properties"]["site_id"]))
    kept: list[dict] = []
    for site in candidates:
        here = _to_utm(site["geometry"])
        if all(here.distance(_to_utm(k["geometry"])) >= SEED_MERGE_M for k in kept):
            kept.append(site)
    return sorted(kept, key=lambda s: s["properties"]["site_id"])


def cap_m(section_pcode: str) -> float:
    """The largest distance from its place that a zone reaches, in metres."""
    return CAP_DENSE_M if section_pcode[:6] in DENSE_COMMUNES else CAP_M


def partition(sections: list[dict], sites: list[dict]) -> dict:
    """Split the land of the metro communes into zone faces.

    Returns ``{zone_key: [(section_pcode, face)]}``. A zone key is a seed's site_id, ``airport``,
    ``mss-base`` or ``section:<pcode>`` (the rest of a section). Every line (section edges,
    nearest-place edges inside each section, the radius around each place, the airport and MSS
    outlines) is noded once and the faces it encloses are handed out: neighbouring zones share
    their edges exactly, with no overlap and no gap.
    """
    by_id = _sites_by_id(sites)
    airport = airport_outline(by_id)
    mss_area = _to_lonlat(_to_utm(by_id["mss-base"]["geometry"]).buffer(MSS_RADIUS_M, quad_segs=16))
    section_geom = {s["properties"]["section_pcode"]: s["geometry"] for s in sections}
    by_section: dict[str, list[tuple[str, shapely.Point]]] = {}
    for site in seeds(sites, airport, mss_area):
        props = site["properties"]
        by_section.setdefault(props["section_pcode"], []).append((props["site_id"], site["geometry"]))
    lines = [airport.boundary, mss_area.boundary] + [g.boundary for g in section_geom.values()]
    for pcode, places in by_section.items():
        section = section_geom[pcode]
        near = section.buffer(0.001)
        if len(places) > 1:
            lines += [shapely.intersection(e, near) for e in _voronoi_edges([p for _, p in places], section)]
        for _, point in places:
            circle = _to_lonlat(_to_utm(point).buffer(cap_m(pcode), quad_segs=16))
            lines.append(shapely.intersection(circle.boundary, near))
    zones: dict[str, list] = {}
    tree_order = sorted(section_geom)
    for face in _faces(lines):
        inner = face.point_on_surface()
        pcode = next((p for p in tree_order if section_geom[p].covers(inner)), None)
        if pcode is None:
            continue  # the sea, or beyond the metro communes
        if pcode == "HT0118-03" and airport.covers(inner):
            key = "airport"
        elif pcode == "HT0118-03" and mss_area.covers(inner):
            key = "mss-base"
        else:
            key = f"section:{pcode}"
            places = by_section.get(pcode, [])
            if places:
                nearest = _nearest(inner, places)
                if _to_utm(dict(places)[nearest]).distance(_to_utm(inner)) <= cap_m(pcode):
                    key = nearest
        zones.setdefault(key, []).append((pcode, face))
    return zones


def build_urban(sections: list[dict], sources: Path) -> dict:
    """The built-up extent: the Who's On First locality polygon cut to the sections, slivers dropped."""
    record = json.loads(
        (sources / "wof-haiti-admin" / "records" / f"{URBAN_WOF_ID}.geojson").read_text(encoding="utf-8")
    )
    wof = _grid(shape(record["geometry"]))
    pieces, slivers = [], []
    for section in sections:
        piece = _polygonal(shapely.intersection(section["geometry"], wof, grid_size=GRID))
        if piece.is_empty:
            continue
        if _km2(piece) < SLIVER_KM2:
            slivers.append(section["properties"]["section_pcode"])
            continue
        pieces.append(piece)
    urban = _polygonal(shapely.union_all(pieces, grid_size=GRID))
    return {
        "properties": {
            "name": "Port-au-Prince urban extent",
            "wof_id": int(URBAN_WOF_ID),
            "area_km2": _km2(urban),
            "method": "Who's On First locality polygon intersected with the 48 COD-AB sections "
            f"of the metro communes; section pieces under {SLIVER_KM2} km2 dropped as slivers "
            f"({', '.join(sorted(slivers)) or 'none'})",
            "source": f"{WOF}, record {URBAN_WOF_ID}; {COD_AB['source']}",
            "licence": "WOF CC0 (geometry from Quattroshapes, CC BY); CC BY-IGO 3.0",
            "confidence": "medium",
            "note": "An approximate built-up extent (Quattroshapes, about 2016), not a legal limit.",
        },
        "geometry": urban,
    }


def build_zones(sections: list[dict], sites: list[dict]) -> list[dict]:
    """Zones that tile the land of the 10 metro communes (see :func:`partition`)."""
    faces = partition(sections, sites)
    by_id = _sites_by_id(sites)
    sections_by_pcode = {s["properties"]["section_pcode"]: s["properties"] for s in sections}
    zones = []
    for key, parts in faces.items():
        geom = _polygonal(shapely.union_all([face for _, face in parts], grid_size=GRID))
        zones.append(_zone_feature(key, geom, sections_by_pcode[parts[0][0]], by_id))
    return sorted(zones, key=lambda z: z["properties"]["zone_id"])


def build_land(communes: list[dict], sources: Path) -> list[dict]:
    """Land: the metro communes' union (COD-AB coastline) and Haiti's, simplified, for the basemap."""
    metro = _polygonal(shapely.union_all([c["geometry"] for c in communes], grid_size=GRID))
    adm1 = pyogrio.read_dataframe(sources / "cod-ab-hti-2018" / "original" / "hti_admbnda_adm1_cnigs_20181129.shp")
    haiti = shapely.union_all([_grid(g) for g in adm1.geometry], grid_size=GRID)
    # A backdrop around the metro, drawn under it, not for analysis: about 100 m of detail, within
    # half a degree of the metro (what a map of Port-au-Prince can show).
    minx, miny, maxx, maxy = metro.bounds
    around = shapely.box(minx - 0.5, miny - 0.5, maxx + 0.5, maxy + 0.5)
    haiti = _polygonal(_grid(shapely.simplify(shapely.intersection(haiti, around), 0.001, preserve_topology=True)))
    common = {"source": COD_AB["source"], "licence": COD_AB["licence"]}
    return [
        {
            "properties": {
                "land_id": "metro",
                "name": "Land of the 10 metro communes",
                "area_km2": _km2(metro),
                "method": "union of the COD-AB communes (the COD-AB coastline, about 40-300 m between vertices)",
                **common,
                "confidence": "high",
            },
            "geometry": metro,
        },
        {
            "properties": {
                "land_id": "haiti",
                "name": "Haiti around the metro (backdrop)",
                "area_km2": _km2(haiti),
                "method": "union of the COD-AB departments within 0.5 degree of the metro, simplified to about 100 m",
                **common,
                "confidence": "medium",
            },
            "geometry": haiti,
        },
    ]


def _zone_feature(key: str, geom, section: dict, by_id: dict) -> dict:
    common = {
        "commune_pcode": section["commune_pcode"],
        "section_pcode": section["section_pcode"],
        "area_km2": _km2(geom),
    }
    if key == "airport":
        centre = by_id["airport"]["geometry"]
        props = {
            "zone_id": "airport",
            "name": "Airport (Toussaint Louverture, PAP/MTPP)",
            "name_ht": "",
            "kind": "airport",
            "method": f"convex hull of the runway centreline buffered {AIRPORT_RUNWAY_BUFFER_M:.0f} m "
            f"and the terminal and navaids buffered {AIRPORT_POINT_BUFFER_M:.0f} m (EPSG:32618); "
            "an approximate aerodrome outline, not the surveyed fence",
            "sources": f"{OURAIRPORTS}; {NATURAL_EARTH}",
            "licence": "Public domain",
            "confidence": "medium",
            "note": "Approximate outline: no open aerodrome polygon was found.",
        }
    elif key == "mss-base":
        centre = by_id["mss-base"]["geometry"]
        props = {
            "zone_id": "mss-base",
            "name": "MSS base area (approximate)",
            "name_ht": "",
            "kind": "security_base",
            "method": f"land within {MSS_RADIUS_M:.0f} m of the stand-in MSS base point, outside the airport zone",
            "sources": "katye stand-in derived from Natural Earth",
            "licence": "Public domain (derived)",
            "confidence": "low",
            "note": by_id["mss-base"]["properties"]["note"],
        }
    elif key.startswith("section:"):
        centre = None
        props = {
            "zone_id": f"section-{section['section_pcode'].lower()}",
            "name": f"{section['commune']} — {section['name']}",
            "name_ht": section["name_ht"],
            "kind": "section",
            "method": "the rest of the COD-AB section: its land farther from every sourced place "
            "than the zone radius, or in no place's cell (EPSG:32618)",
            "sources": COD_AB["source"],
            "licence": "CC BY-IGO 3.0",
            "confidence": "medium",
            "note": "Official section boundary; what is left of it once the places' zones are cut out.",
        }
    else:
        site = by_id[key]
        place = site["properties"]
        centre = site["geometry"]
        props = {
            "zone_id": key,
            "name": ZONE_NAMES.get(key, place["name"]),
            "name_ht": place["name_ht"],
            "kind": "neighbourhood",
            "method": "nearest-place cell (EPSG:32618) of the sourced places in this COD-AB section, "
            f"cut to {cap_m(section['section_pcode']):.0f} m around the place and to the section's land",
            "sources": f"{place['source']} ({place['source_ref']}); {COD_AB['source']}",
            "licence": f"{place['licence']}; CC BY-IGO 3.0",
            "confidence": "medium" if place["precision_m"] <= 500 else "low",
            "note": "A cell around a sourced label point, not a surveyed quartier boundary; the point is "
            f"good to about {place['precision_m']} m" + (" (APPROXIMATE)" if place["approximate"] else "") + ".",
        }
    ordered = {k: props[k] for k in ("zone_id", "name", "name_ht", "kind")}
    ordered.update(common)
    ordered["centre_lon"] = centre.x if centre is not None else None
    ordered["centre_lat"] = centre.y if centre is not None else None
    ordered.update({k: props[k] for k in ("method", "sources", "licence", "confidence", "note")})
    return {"properties": ordered, "geometry": geom}


def _round_coords(obj):
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, (list, tuple)):
        return [_round_coords(v) for v in obj]
    return obj


def write_geojson(path: Path, name: str, features: list[dict]) -> None:
    """Write a FeatureCollection with one feature per line, coordinates at 6 decimals."""
    lines = [
        "{",
        '"type": "FeatureCollection",',
        f'"name": {json.dumps(name)},',
        '"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},',
        '"features": [',
    ]
    rows = []
    for feature in features:
        geometry = mapping(feature["geometry"])
        geometry = {"type": geometry["type"], "coordinates": _round_coords(geometry["coordinates"])}
        rows.append(
            json.dumps(
                {"type": "Feature", "properties": feature["properties"], "geometry": geometry},
                ensure_ascii=False,
                separators=(",", ":"),
            )
        )
    lines.append(",\n".join(rows))
    lines += ["]", "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


#: Spellings of administrative names that COD-AB does not carry: Haitian Creole names of the metro
#: communes and common variants. (name, level, pcode, note)
ADMIN_ALIASES = (
    ("Haiti", "country", "HT", "English name"),
    ("Haïti", "country", "HT", "French name"),
    ("Ayiti", "country", "HT", "Haitian Creole name"),
    ("Grand'Anse", "department", "HT08", "common spelling (COD-AB: Grande'Anse)"),
    ("Pòtoprens", "commune", "HT0111", "Haitian Creole name"),
    ("Dèlma", "commune", "HT0112", "Haitian Creole name"),
    ("Kafou", "commune", "HT0113", "Haitian Creole name"),
    ("Petyonvil", "commune", "HT0114", "Haitian Creole name"),
    ("Kenskòf", "commune", "HT0115", "Haitian Creole name"),
    ("Gresye", "commune", "HT0116", "Haitian Creole name"),
    ("Site Solèy", "commune", "HT0117", "Haitian Creole name"),
    ("Kwadebouke", "commune", "HT0131", "Haitian Creole name"),
    ("Kabarè", "commune", "HT0142", "Haitian Creole name"),
    ("La Gonâve", "arrondissement", "HT015", "arrondissement of Anse-à-Galets and Pointe-à-Raquette (the island)"),
)
ADMIN_SOURCE = "CNIGS / OCHA COD-AB Haiti (hti_admbnda_cnigs_20181129)"
ADMIN_COLUMNS = ("name", "level", "pcode", "commune_pcode", "department_pcode", "source", "licence")


def build_admin_names(sources: Path) -> list[dict]:
    """Every administrative name of Haiti that an incident's location may be.

    All 10 departments, 140 communes and 570 sections of COD-AB, in French and English, plus
    ``ADMIN_ALIASES``.
    """
    folder = sources / "cod-ab-hti-2018" / "original"
    rows: dict[tuple[str, str, str], dict] = {}

    def add(name, level, pcode, commune, department, source, licence):
        name = _text(name).strip()
        if name:
            rows.setdefault(
                (name, level, pcode),
                {
                    "name": name,
                    "level": level,
                    "pcode": pcode,
                    "commune_pcode": commune,
                    "department_pcode": department,
                    "source": source,
                    "licence": licence,
                },
            )

    for level, kind in ((1, "department"), (2, "commune"), (3, "section")):
        frame = pyogrio.read_dataframe(folder / f"hti_admbnda_adm{level}_cnigs_20181129.shp", read_geometry=False)
        for row in frame.sort_values(f"ADM{level}_PCODE").itertuples():
            pcode = getattr(row, f"ADM{level}_PCODE")
            commune = row.ADM2_PCODE if level >= 2 else ""
            names = [
                getattr(row, f"ADM{level}{suffix}")
                for suffix in ("_FR", "_EN", "_HT", "ALT1FR", "ALT2FR", "ALT1EN", "ALT2EN", "ALT1HT", "ALT2HT")
            ]
            for name in names:
                # "Cornillon / Grand Bois" is one commune under two names.
                for part in _text(name).split(" / "):
                    add(part, kind, pcode, commune, row.ADM1_PCODE, ADMIN_SOURCE, COD_AB["licence"])
    for name, level, pcode, note in ADMIN_ALIASES:
        commune = pcode if level == "commune" else ""
        add(name, level, pcode, commune, pcode[:4] if len(pcode) >= 4 else "", f"katye alias: {note}", "CC0 (a name)")
    return sorted(rows.values(), key=lambda r: (r["pcode"], r["level"], r["name"]))


def write_csv_table(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def default_sources() -> Path:
    env = os.environ.get("KATYE_GEODATA_SOURCES")
    if env:
        return Path(env)
    return HERE.parent.parent / "shared" / "geodata-sources"


def build(sources: Path, out: Path) -> dict[str, int]:
    """Build every layer from ``sources`` into ``out``; return the feature counts."""
    if not (sources / "cod-ab-hti-2018").is_dir():
        raise SystemExit(f"build.py: no sources at {sources}; pass --sources DIR")
    out.mkdir(parents=True, exist_ok=True)
    communes = build_communes(read_admin(sources, 2))
    sections = build_sections(read_admin(sources, 3))
    sites = build_sites(sources, sections)
    zones = build_zones(sections, sites)
    urban = build_urban(sections, sources)
    layers = {
        "communes": communes,
        "sections": sections,
        "urban_extent": [urban],
        "land": build_land(communes, sources),
        "sites": sites,
        "zones": zones,
    }
    for name, features in layers.items():
        write_geojson(out / f"{name}.geojson", name, features)
    admin = build_admin_names(sources)
    write_csv_table(out / "admin_names.csv", ADMIN_COLUMNS, admin)
    return {**{name: len(features) for name, features in layers.items()}, "admin_names": len(admin)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sources",
        type=Path,
        default=default_sources(),
        help="the geodata-sources folder (default: ../shared/geodata-sources "
        "beside the repository, or $KATYE_GEODATA_SOURCES)",
    )
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (default: geodata/)")
    args = parser.parse_args(argv)
    counts = build(args.sources, args.out)
    for name, count in counts.items():
        print(f"{name}: {count} features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
