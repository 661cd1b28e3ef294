"""Corridor risk: katye.corridors.corridor_risk vs the geopandas way (sjoin with dwithin, and buffer + sjoin).

Both run in this process on the same SYNTHETIC data: incidents spread over Port-au-Prince (all
exactly located, dated over a year) and short random road segments. Each side reprojects to
EPSG:32618, finds the incidents within ``within_m`` of each segment and sums the decay weights;
the events per segment are checked equal to geopandas' (the buffer peer's polygons only
approximate the round ends, so its differing segments are counted, not asserted).
Run: ``python benchmarks/bench_corridors.py``.
"""

from __future__ import annotations

import argparse

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from common import best_of, table
from katye.corridors import corridor_risk

COLUMNS = ["case", "contender", "seconds", "speedup_vs_geopandas", "pairs", "check"]
#: Port-au-Prince's metro area in EPSG:32618 metres (synthetic points fall anywhere in it).
WEST, SOUTH, EAST, NORTH = 770_000.0, 2_040_000.0, 795_000.0, 2_060_000.0


def synthetic(rows: int, segments: int, seed: int = 0) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """SYNTHETIC incidents and roads (not real events or streets), both stored in EPSG:4326."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(WEST, EAST, rows), rng.uniform(SOUTH, NORTH, rows)
    dates = pd.Timestamp("2024-12-31") - pd.to_timedelta(rng.integers(0, 365, rows), unit="D")
    incidents = gpd.GeoDataFrame(
        {
            "event_date": dates,
            "fatalities": rng.poisson(0.5, rows),
            "location_precision": pd.Categorical(["exact"] * rows),
        },
        geometry=gpd.points_from_xy(x, y),
        crs="EPSG:32618",
    ).to_crs("EPSG:4326")
    sx, sy = rng.uniform(WEST, EAST, segments), rng.uniform(SOUTH, NORTH, segments)
    angle, length = rng.uniform(0, np.pi, segments), rng.uniform(100, 800, segments)
    lines = shapely.linestrings(
        np.stack([np.c_[sx, sy], np.c_[sx + length * np.cos(angle), sy + length * np.sin(angle)]], axis=1)
    )
    names = [f"Synthetic road {i % (segments // 5 or 1)}" for i in range(segments)]
    roads = gpd.GeoDataFrame({"name": names}, geometry=lines, crs="EPSG:32618").to_crs("EPSG:4326")
    return incidents, roads


def geopandas_way(incidents, roads, within_m: float, half_life: float, *, buffer: bool) -> pd.DataFrame:
    """What one writes with geopandas: reproject, join (dwithin, or a buffer and intersects), group."""
    points = incidents.to_crs("EPSG:32618")
    lines = roads.to_crs("EPSG:32618")[["geometry"]]
    age = (points["event_date"].max() - points["event_date"]).dt.days.to_numpy()
    points = gpd.GeoDataFrame({"w": np.exp(-np.log(2) * age / half_life)}, geometry=points.geometry.values, crs=32618)
    if buffer:
        lines = lines.set_geometry(lines.buffer(within_m))
        joined = gpd.sjoin(lines, points, predicate="intersects", how="inner")
    else:
        joined = gpd.sjoin(lines, points, predicate="dwithin", distance=within_m, how="inner")
    grouped = joined.groupby(level=0)["w"].agg(["size", "sum"])
    return grouped.reindex(range(len(roads)), fill_value=0)


def run(rows: int = 1_000_000, segments: int = 5_000, within_m: float = 500, repeat: int = 2) -> list[dict]:
    incidents, roads = synthetic(rows, segments)
    case = f"{rows:,} incidents x {segments:,} segments, {within_m:g} m"
    ours_s, ours = best_of(lambda: corridor_risk(incidents, roads, within_m=within_m, half_life_days=30), repeat)
    peer_s, peer = best_of(lambda: geopandas_way(incidents, roads, within_m, 30, buffer=False), max(1, repeat - 1))
    buf_s, buffered = best_of(lambda: geopandas_way(incidents, roads, within_m, 30, buffer=True), 1)
    events = ours["events"].to_numpy()
    assert (events == peer["size"].to_numpy()).all(), "katye and geopandas (dwithin) count different events"
    np.testing.assert_allclose(ours["risk"].to_numpy(), peer["sum"].to_numpy(), rtol=1e-9, atol=1e-9)
    differ = int((events != buffered["size"].to_numpy()).sum())
    pairs = int(events.sum())
    return [
        {
            "case": case,
            "contender": "katye corridor_risk (+ routes)",
            "seconds": round(ours_s, 3),
            "speedup_vs_geopandas": f"{peer_s / ours_s:.1f}x",
            "pairs": pairs,
            "check": "events and risk equal",
        },
        {
            "case": case,
            "contender": "geopandas sjoin(predicate='dwithin')",
            "seconds": round(peer_s, 3),
            "speedup_vs_geopandas": "1.0x",
            "pairs": int(peer["size"].sum()),
            "check": "",
        },
        {
            "case": case,
            "contender": "geopandas buffer + sjoin(intersects)",
            "seconds": round(buf_s, 3),
            "speedup_vs_geopandas": f"{peer_s / buf_s:.1f}x",
            "pairs": int(buffered["size"].sum()),
            "check": f"{differ} segments differ (buffer arcs)",
        },
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--segments", type=int, default=5_000)
    parser.add_argument("--within-m", type=float, default=500)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(table(run(args.rows, args.segments, args.within_m, args.repeat), COLUMNS))
