"""``katye.assign`` (zones, sections, communes and the distance of outside points) vs the geopandas way.

The geopandas way to get the same columns: three ``sjoin(predicate="within")`` (zones, sections,
communes) and ``sjoin_nearest`` in metres for the points outside every zone. Both run in this
process, warm (katye's indexes for the shipped layers built once per process, as in real use),
on friendly and unfriendly points: clustered on neighbourhood centres as real exports are,
uniform over the zones' bounding box (about 60 % outside every zone: the sea, the mountains),
and everything stacked on one point, inside or outside the zones. Zones and distances are
checked equal (distances to 1 m). Run: ``python benchmarks/bench_assign.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely

import katye
from common import acled_file, table


def _points(x: np.ndarray, y: np.ndarray) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame({"location_precision": np.full(len(x), "exact")}, geometry=shapely.points(x, y))
    return frame.set_crs("EPSG:4326")


def geopandas_way(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    zones = katye.geodata.zones()[["zone_id", "geometry"]]
    out = points[["geometry"]].copy()
    for layer, column in (
        (zones, "zone_id"),
        (katye.geodata.sections()[["section_pcode", "geometry"]], "section_pcode"),
        (katye.geodata.communes()[["commune_pcode", "geometry"]], "commune_pcode"),
    ):
        joined = gpd.sjoin(points[["geometry"]], layer, predicate="within", how="left")
        out[column] = joined[~joined.index.duplicated()][column]
    outside = out["zone_id"].isna().to_numpy()
    out["distance_m"] = 0.0
    if outside.any():
        metric = out[outside][["geometry"]].to_crs(katye.crs.METRIC_CRS)
        nearest = gpd.sjoin_nearest(metric, zones.to_crs(katye.crs.METRIC_CRS), distance_col="distance_m")
        out.loc[outside, "distance_m"] = nearest[~nearest.index.duplicated()]["distance_m"]
    return out


def _timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def compare(name: str, points: gpd.GeoDataFrame) -> dict:
    katye.assign(points.iloc[:1000])  # warm: the shipped layers' indexes, as after a first call
    ours_time, ours = _timed(lambda: katye.assign(points))
    theirs_time, theirs = _timed(lambda: geopandas_way(points))
    same_zone = (ours["zone_id"].astype(str) == theirs["zone_id"].fillna("").astype(str)).all()
    outside = (ours["assignment"] == "outside").to_numpy()
    ours_m, theirs_m = ours["distance_m"].to_numpy()[outside], theirs["distance_m"].to_numpy()[outside]
    gap = float(np.abs(ours_m - theirs_m).max(initial=0))
    assert same_zone, (name, "zones differ")
    assert gap < 1.0, (name, gap)
    return {
        "case": f"{name}, {len(points):,} points ({outside.mean():.0%} outside)",
        "katye.assign_s": round(ours_time, 2),
        "geopandas_s": round(theirs_time, 2),
        "speedup": f"{theirs_time / ours_time:.1f}x",
        "max_distance_gap_m": f"{gap:.1e}",
    }


def run(rows: int = 1_000_000) -> list[dict]:
    clustered = katye.read_incidents(acled_file(rows), precision="as-coded", default_precision="exact").incidents
    clustered = clustered.assign(location_precision="exact")[["location_precision", "geometry"]]
    minx, miny, maxx, maxy = katye.geodata.zones().total_bounds
    rng = np.random.default_rng(1)
    uniform = _points(rng.uniform(minx, maxx, rows), rng.uniform(miny, maxy, rows))
    inside = _points(np.full(rows, -72.3385), np.full(rows, 18.5425))  # central Port-au-Prince
    sea = _points(np.full(rows, -72.45), np.full(rows, 18.60))  # the bay, outside every zone
    return [
        compare("clustered (ACLED-layout)", clustered),
        compare("uniform over the zones' box", uniform),
        compare("all on one point inside", inside),
        compare("all on one point in the sea", sea),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    print(
        table(
            run(parser.parse_args().rows),
            ["case", "katye.assign_s", "geopandas_s", "speedup", "max_distance_gap_m"],
        )
    )
