"""``katye.assign`` (zones, sections, communes and the distance of outside points) vs the geopandas way.

The geopandas way to get the same columns: three ``sjoin(predicate="within")`` (zones, sections,
communes) and ``sjoin_nearest`` in metres (EPSG:32618) for the points outside every zone. Both run
in this process on the same points, one after the other, warm (katye's indexes for the shipped
layers built once per process, as in real use). The cases, friendly and unfriendly:

- clustered: ACLED-layout incidents, stacked on neighbourhood centres as real exports are;
- uniform over the zones' bounding box: about 60 % fall outside every zone (the sea, the
  mountains) and need a distance, and hardly two share a place;
- half outside: half the clustered incidents, half uniform points outside every zone;
- everything on one point inside the zones, and everything on one point in the sea.

Zones, sections and communes are checked equal, distances to 1 m. Speedups are given on wall time
and on CPU time (steadier when other work shares the machine). ``--cold`` adds the uniform case in
new processes, each side's first call (katye builds its indexes there).
Run: ``python benchmarks/bench_assign.py [--rows N] [--repeat N] [--cold]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import katye
from common import acled_file, in_fresh_process, table

COLUMNS = ["case", "katye.assign_s", "geopandas_s", "speedup", "cpu_speedup", "max_distance_gap_m"]


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


def _timed(function) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds of this process (steadier on a shared machine: waiting for a core is
    not counted), and the result."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - start, time.process_time() - cpu, result


def _span(values: list[float], digits: int = 2) -> str:
    low, high = min(values), max(values)
    return f"{low:.{digits}f}" if len(values) == 1 else f"{low:.{digits}f}-{high:.{digits}f}"


def _same(ours: gpd.GeoDataFrame, theirs: gpd.GeoDataFrame) -> float:
    """Check the two agree (columns equal, distances to 1 m) and return the largest distance gap."""
    for column in ("zone_id", "section_pcode", "commune_pcode"):
        mismatched = int((ours[column].astype(str) != theirs[column].fillna("").astype(str)).sum())
        assert mismatched == 0, f"{column}: {mismatched} rows differ"
    outside = (ours["assignment"] == "outside").to_numpy()
    gaps = ours["distance_m"].to_numpy()[outside] - theirs["distance_m"].to_numpy()[outside]
    gap = float(np.abs(gaps).max(initial=0))
    assert gap < 1.0, f"distances differ by {gap:.3f} m"
    return gap


def compare(name: str, points: gpd.GeoDataFrame, repeat: int = 1) -> dict:
    ours_s, theirs_s, ours_cpu, theirs_cpu, gap = [], [], [], [], 0.0
    for _ in range(repeat):
        ours_time, ours_cpu_time, ours = _timed(lambda: katye.assign(points))
        theirs_time, theirs_cpu_time, theirs = _timed(lambda: geopandas_way(points))
        ours_s.append(ours_time)
        theirs_s.append(theirs_time)
        ours_cpu.append(ours_cpu_time)
        theirs_cpu.append(theirs_cpu_time)
        gap = max(gap, _same(ours, theirs))
    ratios = [t / o for o, t in zip(ours_s, theirs_s, strict=True)]
    cpu_ratios = [t / o for o, t in zip(ours_cpu, theirs_cpu, strict=True)]
    outside = (ours["assignment"] == "outside").mean()
    return {
        "case": f"{name}, {len(points):,} points ({outside:.0%} outside)",
        "katye.assign_s": _span(ours_s, 3),
        "geopandas_s": _span(theirs_s),
        "speedup": f"{_span(ratios, 1)}x",
        "cpu_speedup": f"{_span(cpu_ratios, 1)}x",
        "max_distance_gap_m": f"{gap:.1e}",
    }


def cases(rows: int) -> dict[str, gpd.GeoDataFrame]:
    """The points of each case, all ``rows`` long."""
    clustered = katye.read_incidents(acled_file(rows), precision="as-coded", default_precision="exact").incidents
    clustered = clustered.assign(location_precision="exact")[["location_precision", "geometry"]]
    clustered = clustered.reset_index(drop=True)
    minx, miny, maxx, maxy = katye.geodata.zones().total_bounds
    rng = np.random.default_rng(1)
    uniform = _points(rng.uniform(minx, maxx, rows), rng.uniform(miny, maxy, rows))
    x, y = rng.uniform(minx, maxx, 3 * rows), rng.uniform(miny, maxy, 3 * rows)
    away = ~shapely.contains_xy(shapely.union_all(katye.geodata.zones().geometry.values), x, y)
    half = rows // 2
    beyond = _points(x[away][: rows - half], y[away][: rows - half])
    mixed = gpd.GeoDataFrame(pd.concat([clustered.iloc[:half], beyond], ignore_index=True), crs="EPSG:4326")
    return {
        "clustered (ACLED layout)": clustered,
        "uniform over the zones' box": uniform,
        "half clustered, half outside": mixed,
        "all on one point inside": _points(np.full(rows, -72.3385), np.full(rows, 18.5425)),  # central PaP
        "all on one point in the sea": _points(np.full(rows, -72.45), np.full(rows, 18.60)),  # the bay
    }


COLD = """
import sys
sys.path.insert(0, {here!r})
import numpy as np, katye
import bench_assign
minx, miny, maxx, maxy = katye.geodata.zones().total_bounds
rng = np.random.default_rng(1)
points = bench_assign._points(rng.uniform(minx, maxx, {rows}), rng.uniform(miny, maxy, {rows}))
#--
{call}(points)
result = None
"""


def cold(rows: int) -> dict:
    """The uniform case as each side's first call in a new process (imports and points made before timing)."""
    here = str(Path(__file__).parent)
    ours = in_fresh_process(COLD.format(here=here, rows=rows, call="katye.assign"))["seconds"]
    theirs = in_fresh_process(COLD.format(here=here, rows=rows, call="bench_assign.geopandas_way"))["seconds"]
    return {
        "case": f"uniform, {rows:,} points, first call in a new process",
        "katye.assign_s": f"{ours:.3f}",
        "geopandas_s": f"{theirs:.2f}",
        "speedup": f"{theirs / ours:.1f}x",
    }


def run(rows: int = 1_000_000, repeat: int = 1, with_cold: bool = False) -> list[dict]:
    points = cases(rows)
    # Warm: the shipped layers' indexes and (with enough places outside) the zones' segment grid,
    # as after a first call.
    katye.assign(points["uniform over the zones' box"].iloc[: min(rows, 300_000)])
    out = [compare(name, frame, repeat) for name, frame in points.items()]
    if with_cold:
        out.append(cold(rows))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per case: times and ratios given as ranges")
    parser.add_argument("--cold", action="store_true", help="also time each side's first call in a new process")
    args = parser.parse_args()
    print(table(run(args.rows, args.repeat, args.cold), COLUMNS))
