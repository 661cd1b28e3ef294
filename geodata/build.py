"""Rebuild katye's shipped gazetteer from the openly licensed sources.

Run from the repository root::

    python geodata/build.py --sources ../shared/geodata-sources

It writes ``communes.geojson``, ``sections.geojson``, ``urban_extent.geojson``,
``sites.geojson`` and ``zones.geojson`` next to this file. The same sources and the
same library versions give the same bytes; ``tests/test_gazetteer_build.py``
rebuilds into a temporary folder and compares.

Method in short (``geodata/SOURCES.md`` has the long form):

* Communes and sections: COD-AB (CNIGS/OCHA, 2018-11-29), the 10 communes of the
  metro area and their 48 sections, snapped to a 1e-6 degree grid.
* Urban extent: the Who's On First Port-au-Prince locality polygon clipped to those
  sections; section pieces under ``SLIVER_KM2`` are digitising slivers and dropped.
* Airport zone: the convex hull of the OurAirports runway centreline, the Natural
  Earth terminal point and the airport's two navaids, each buffered in metres.
* MSS base zone: no open coordinates exist, so a low-confidence stand-in: land
  within ``MSS_RADIUS_M`` of a point south of the terminal, outside the airport zone.
* Neighbourhood zones: inside each section, Voronoi cells (in EPSG:32618) of the
  sourced neighbourhood centres in that section; a section with no centre is one
  zone of its own. No zone crosses a section line.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
from dataclasses import dataclass
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
METRO_COMMUNES = (
    "HT0111", "HT0112", "HT0113", "HT0114", "HT0115",
    "HT0116", "HT0117", "HT0118", "HT0131", "HT0142",
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


@dataclass(frozen=True)
class Centre:
    """A sourced neighbourhood point that seeds one zone."""

    zone_id: str
    name: str
    site_id: str  # the row in sites.geojson the point comes from


# Neighbourhood centres inside the urban extent. Commune centroids, city label points
# and airport points are not neighbourhood centres; places outside the extent
# (Canaan, Santo, Bon Repos, Drouillard offshore) are kept as sites only.
CENTRES = (
    Centre("solino", "Solino", "solino"),
    Centre("petion-ville", "Pétion-Ville", "petion-ville"),
    Centre("bel-air", "Bel Air", "bel-air"),
    Centre("la-saline", "La Saline", "la-saline"),
    Centre("champ-de-mars", "Champ de Mars / Centre-ville", "champ-de-mars"),
    Centre("martissant", "Martissant", "martissant"),
    Centre("cite-soleil", "Cité Soleil", "cite-soleil"),
    Centre("delmas", "Delmas", "delmas"),
    Centre("delmas-73", "Delmas 73", "delmas-73"),
    Centre("carrefour", "Carrefour", "carrefour"),
    Centre("thor", "Thor", "thor"),
    Centre("la-boule", "La Boule", "la-boule"),
    Centre("tabarre", "Tabarre", "tabarre"),
    Centre("croix-des-missions", "Croix-des-Missions", "croix-des-missions"),
    Centre("cazeau", "Cazeau", "cazeau"),
    Centre("torcelle", "Torcelle", "torcelle"),
)

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
        out.append({
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
        })
    return out


def build_sections(adm3) -> list[dict]:
    out = []
    for row in adm3.itertuples():
        out.append({
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
        })
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


def _site(site_id, name, name_ht, kind, lon, lat, precision_m, confidence, source,
          source_ref, licence, note, sections) -> dict:
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
        sites.append(_site(site_id, row["name"], "", row["kind"], row["lon"], row["lat"],
                           precision, confidence, row["source"], row["source_ref"],
                           row["license"], row["note"], sections))
    for row in _read_csv(ref_dir / "pap_neighbourhood_points.csv"):
        site_id, precision, confidence = NEIGHBOURHOOD_SITES[row["name"]]
        sites.append(_site(site_id, row["name"], row["name_ht"], row["kind"], row["lon"],
                           row["lat"], precision, confidence, row["source"], row["source_ref"],
                           row["license"], row["precision_note"], sections))
    for wof_id, (site_id, precision, confidence, licence) in WOF_EXTRA_SITES.items():
        record = json.loads((sources / "wof-haiti-admin" / "records" / f"{wof_id}.geojson")
                            .read_text(encoding="utf-8"))
        lon, lat = record["geometry"]["coordinates"]
        props = record["properties"]
        sites.append(_site(site_id, props["wof:name"], "", props["wof:placetype"], lon, lat,
                           precision, confidence, WOF, f"wof:id {wof_id}", licence,
                           "Who's On First locality point; label point, not a polygon centre",
                           sections))
    terminal = next(s["geometry"] for s in sites if s["properties"]["site_id"] == "airport-terminal")
    sites.append(_site(
        "mss-base", "MSS base (approximate)", "", "security_base",
        *mss_base_point(terminal).coords[0], 2000, "low",
        "katye stand-in derived from the Natural Earth airport terminal point",
        f"terminal point moved {MSS_OFFSET_M[0]:.0f} m east and {-MSS_OFFSET_M[1]:.0f} m south "
        "(EPSG:32618), onto the landside south-east of the terminal",
        "Public domain (derived from Natural Earth)",
        "APPROXIMATE STAND-IN: no open source gives the Multinational Security Support "
        "mission's base coordinates; public reporting says only that it is near the "
        "airport. Replace with your own position if you have one.",
        sections,
    ))
    return sorted(sites, key=lambda s: s["properties"]["site_id"])


def _sites_by_id(sites: list[dict]) -> dict:
    return {s["properties"]["site_id"]: s for s in sites}


def airport_outline(sites: dict):
    """Aerodrome outline: hull of the buffered runway, terminal and navaids, in EPSG:4326."""
    runway = shapely.LineString([
        sites["runway-10-threshold"]["geometry"], sites["runway-28-threshold"]["geometry"],
    ])
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


def partition(sections: list[dict], wof, sites: list[dict]) -> tuple[dict, dict]:
    """Split the urban extent into zone faces.

    Returns ``{zone_key: [faces]}`` and ``{section_pcode: area_km2}`` of each section's
    urban piece. A zone key is a centre's zone_id, ``airport``, ``mss-base`` or
    ``section:<pcode>``.
    """
    by_id = _sites_by_id(sites)
    airport = airport_outline(by_id)
    mss_area = _to_lonlat(_to_utm(by_id["mss-base"]["geometry"]).buffer(MSS_RADIUS_M, quad_segs=16))
    centres_by_section: dict[str, list[tuple[str, shapely.Point]]] = {}
    for centre in CENTRES:
        site = by_id[centre.site_id]
        centres_by_section.setdefault(site["properties"]["section_pcode"], []).append(
            (centre.zone_id, site["geometry"]))
    lines = [wof.boundary, airport.boundary, mss_area.boundary]
    lines += [s["geometry"].boundary for s in sections if s["geometry"].intersects(wof)]
    for pcode, centres in centres_by_section.items():
        if len(centres) > 1:
            section = next(s["geometry"] for s in sections
                           if s["properties"]["section_pcode"] == pcode)
            lines += [shapely.intersection(e, section.buffer(0.001))
                      for e in _voronoi_edges([p for _, p in centres], section)]
    zones: dict[str, list] = {}
    section_km2: dict[str, float] = {}
    for face in _faces(lines):
        inner = face.point_on_surface()
        if not wof.covers(inner):
            continue
        section = next((s["properties"] for s in sections if s["geometry"].covers(inner)), None)
        if section is None:
            continue
        pcode = section["section_pcode"]
        section_km2[pcode] = section_km2.get(pcode, 0.0) + _to_utm(face).area / 1e6
        if pcode == "HT0118-03" and airport.covers(inner):
            key = "airport"
        elif pcode == "HT0118-03" and mss_area.covers(inner):
            key = "mss-base"
        elif pcode in centres_by_section:
            key = _nearest(inner, centres_by_section[pcode])
        else:
            key = f"section:{pcode}"
        zones.setdefault(key, []).append((pcode, face))
    return zones, section_km2


def build_zones_and_urban(sections: list[dict], sources: Path, sites: list[dict]):
    """Return the zone features and the urban-extent feature, from one partition."""
    record = json.loads((sources / "wof-haiti-admin" / "records" / f"{URBAN_WOF_ID}.geojson")
                        .read_text(encoding="utf-8"))
    wof = _grid(shape(record["geometry"]))
    faces, section_km2 = partition(sections, wof, sites)
    slivers = {pcode for pcode, km2 in section_km2.items() if km2 < SLIVER_KM2}
    by_id = _sites_by_id(sites)
    sections_by_pcode = {s["properties"]["section_pcode"]: s["properties"] for s in sections}
    zones, kept = [], []
    for key, parts in faces.items():
        parts = [(pcode, face) for pcode, face in parts if pcode not in slivers]
        if not parts:
            continue
        geom = _polygonal(shapely.union_all([face for _, face in parts], grid_size=GRID))
        kept.append(geom)
        section = sections_by_pcode[parts[0][0]]
        zones.append(_zone_feature(key, geom, section, by_id))
    urban = _polygonal(shapely.union_all(kept, grid_size=GRID))
    urban_feature = {
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
    return sorted(zones, key=lambda z: z["properties"]["zone_id"]), urban_feature


def _zone_feature(key: str, geom, section: dict, by_id: dict) -> dict:
    common = {"commune_pcode": section["commune_pcode"], "section_pcode": section["section_pcode"],
              "area_km2": _km2(geom)}
    if key == "airport":
        centre = by_id["airport"]["geometry"]
        props = {
            "zone_id": "airport", "name": "Airport (Toussaint Louverture, PAP/MTPP)", "name_ht": "",
            "kind": "airport",
            "method": f"convex hull of the runway centreline buffered {AIRPORT_RUNWAY_BUFFER_M:.0f} m "
            f"and the terminal and navaids buffered {AIRPORT_POINT_BUFFER_M:.0f} m (EPSG:32618); "
            "an approximate aerodrome outline, not the surveyed fence",
            "sources": f"{OURAIRPORTS}; {NATURAL_EARTH}", "licence": "Public domain",
            "confidence": "medium", "note": "Approximate outline: no open aerodrome polygon was found.",
        }
    elif key == "mss-base":
        centre = by_id["mss-base"]["geometry"]
        props = {
            "zone_id": "mss-base", "name": "MSS base area (approximate)", "name_ht": "",
            "kind": "security_base",
            "method": f"land within {MSS_RADIUS_M:.0f} m of the stand-in MSS base point, "
            "outside the airport zone",
            "sources": "katye stand-in derived from Natural Earth",
            "licence": "Public domain (derived)", "confidence": "low",
            "note": by_id["mss-base"]["properties"]["note"],
        }
    elif key.startswith("section:"):
        centre = None
        props = {
            "zone_id": f"section-{section['section_pcode'].lower()}",
            "name": f"{section['name']} ({section['commune']})", "name_ht": section["name_ht"],
            "kind": "section",
            "method": "COD-AB section clipped to the urban extent (no sourced neighbourhood "
            "centre lies in it)",
            "sources": f"{COD_AB['source']}; {WOF}",
            "licence": "CC BY-IGO 3.0; WOF CC0 / Quattroshapes CC BY", "confidence": "medium",
            "note": "Official section boundary; the urban edge is approximate.",
        }
    else:
        centre_def = next(c for c in CENTRES if c.zone_id == key)
        site = by_id[centre_def.site_id]
        centre = site["geometry"]
        props = {
            "zone_id": key, "name": centre_def.name, "name_ht": site["properties"]["name_ht"],
            "kind": "neighbourhood",
            "method": "Voronoi cell (EPSG:32618) of the sourced neighbourhood centres in this "
            "section, clipped to the section and the urban extent",
            "sources": f"{site['properties']['source']}; {COD_AB['source']}",
            "licence": f"{site['properties']['licence']}; CC BY-IGO 3.0", "confidence": "low",
            "note": "Nearest-centre cell, not a surveyed neighbourhood boundary; the centre is a "
            f"label point good to about {site['properties']['precision_m']} m.",
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
        rows.append(json.dumps(
            {"type": "Feature", "properties": feature["properties"], "geometry": geometry},
            ensure_ascii=False, separators=(",", ":"),
        ))
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
            rows.setdefault((name, level, pcode), {
                "name": name, "level": level, "pcode": pcode, "commune_pcode": commune,
                "department_pcode": department, "source": source, "licence": licence})

    for level, kind in ((1, "department"), (2, "commune"), (3, "section")):
        frame = pyogrio.read_dataframe(folder / f"hti_admbnda_adm{level}_cnigs_20181129.shp", read_geometry=False)
        for row in frame.sort_values(f"ADM{level}_PCODE").itertuples():
            pcode = getattr(row, f"ADM{level}_PCODE")
            commune = row.ADM2_PCODE if level >= 2 else ""
            names = [getattr(row, f"ADM{level}{suffix}") for suffix in
                     ("_FR", "_EN", "_HT", "ALT1FR", "ALT2FR", "ALT1EN", "ALT2EN", "ALT1HT", "ALT2HT")]
            for name in names:
                # "Cornillon / Grand Bois" is one commune under two names.
                for part in _text(name).split(" / "):
                    add(part, kind, pcode, commune, row.ADM1_PCODE, ADMIN_SOURCE, COD_AB["licence"])
    for name, level, pcode, note in ADMIN_ALIASES:
        commune = pcode if level == "commune" else ""
        add(name, level, pcode, commune, pcode[:4] if len(pcode) >= 4 else "", f"katye alias: {note}",
            "CC0 (a name)")
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
    zones, urban = build_zones_and_urban(sections, sources, sites)
    layers = {
        "communes": communes, "sections": sections, "urban_extent": [urban],
        "sites": sites, "zones": zones,
    }
    for name, features in layers.items():
        write_geojson(out / f"{name}.geojson", name, features)
    admin = build_admin_names(sources)
    write_csv_table(out / "admin_names.csv", ADMIN_COLUMNS, admin)
    return {**{name: len(features) for name, features in layers.items()}, "admin_names": len(admin)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=default_sources(),
                        help="the geodata-sources folder (default: ../shared/geodata-sources "
                        "beside the repository, or $KATYE_GEODATA_SOURCES)")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (default: geodata/)")
    args = parser.parse_args(argv)
    counts = build(args.sources, args.out)
    for name, count in counts.items():
        print(f"{name}: {count} features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
