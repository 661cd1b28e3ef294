"""Assigning incidents to zones: katye's grid index vs geopandas.sjoin(predicate="within").

Both run in this process on the same points (synthetic ACLED-layout incidents, clustered on the
city's neighbourhoods as real exports are, and uniform random points over the zones' bounding
box), and the assignments are checked to be identical. "cold" includes building katye's index;
"warm" reuses it, as katye does for the shipped zones. Run: ``python benchmarks/bench_join.py``.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np

import katye
from common import acled_file, best_of, table
from katye.join import PolygonIndex


def compare(name: str, x: np.ndarray, y: np.ndarray, zones: gpd.GeoDataFrame, repeat: int) -> list[dict]:
    polygons = zones.geometry.values
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4326)
    cold, _ = best_of(lambda: PolygonIndex(polygons).lookup(x, y), repeat)
    index = PolygonIndex(polygons)
    warm, fast = best_of(lambda: index.lookup(x, y), repeat)
    slow_time, joined = best_of(
        lambda: gpd.sjoin(points, zones[["geometry"]], predicate="within", how="left"), max(1, repeat - 1)
    )
    expected = np.full(len(x), -1)
    hit = joined["index_right"].notna().to_numpy()
    expected[joined.index[hit]] = joined["index_right"][hit].astype(int)
    assert (expected == fast).all(), "katye and sjoin disagree"
    label = f"{name}, {len(x):,} points"
    return [
        {
            "case": label,
            "contender": "katye PolygonIndex (cold: build + lookup)",
            "seconds": round(cold, 3),
            "speedup_vs_sjoin": f"{slow_time / cold:.1f}x",
        },
        {
            "case": label,
            "contender": "katye PolygonIndex (warm: lookup)",
            "seconds": round(warm, 3),
            "speedup_vs_sjoin": f"{slow_time / warm:.1f}x",
        },
        {
            "case": label,
            "contender": "geopandas.sjoin(predicate='within')",
            "seconds": round(slow_time, 3),
            "speedup_vs_sjoin": "1.0x",
        },
    ]


def run(rows: int, repeat: int = 3) -> list[dict]:
    zones = katye.geodata.zones().sort_values("zone_id").reset_index(drop=True)
    incidents = katye.read_incidents(acled_file(min(rows, 1_000_000))).incidents
    reps = int(np.ceil(rows / len(incidents)))
    ax = np.tile(incidents.longitude.to_numpy(), reps)[:rows]
    ay = np.tile(incidents.latitude.to_numpy(), reps)[:rows]
    rng = np.random.default_rng(0)
    minx, miny, maxx, maxy = zones.total_bounds
    ux, uy = rng.uniform(minx, maxx, rows), rng.uniform(miny, maxy, rows)
    out = compare("ACLED-layout incidents", ax, ay, zones, repeat)
    out += compare("uniform random points", ux, uy, zones, repeat)
    start = time.perf_counter()
    katye.assign(incidents.iloc[:rows])
    elapsed = round(time.perf_counter() - start, 3)
    out.append(
        {
            "case": f"katye.assign end to end, {min(rows, len(incidents)):,} incidents",
            "contender": "zones + sections + communes + distances",
            "seconds": elapsed,
            "speedup_vs_sjoin": "",
        }
    )
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(table(run(args.rows, args.repeat), ["case", "contender", "seconds", "speedup_vs_sjoin"]))
