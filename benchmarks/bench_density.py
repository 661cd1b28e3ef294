"""Kernel density: katye.density (binned + Gaussian filter) vs scipy.stats.gaussian_kde.

gaussian_kde is evaluated on a subsample of points and grid cells (it is far too slow for the
full problem) and its time is scaled up linearly to the full size; katye runs on everything.
Run: ``python benchmarks/bench_density.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely
from scipy.stats import gaussian_kde

import katye
from common import acled_file, table


def run(rows: int) -> list[dict]:
    incidents = katye.read_incidents(acled_file(min(rows, 1_000_000))).incidents
    reps = int(np.ceil(rows / len(incidents)))
    incidents = incidents.iloc[np.tile(np.arange(len(incidents)), reps)[:rows]]
    # Cell size chosen so the padded grid is about 512 x 512 over the sample's extent.
    metric = incidents.geometry.to_crs(32618).values
    x, y = shapely.get_x(metric), shapely.get_y(metric)
    side = max(np.ptp(x), np.ptp(y))
    cell = (side + 8 * 500) / 512
    katye.density(incidents.iloc[:1000], bandwidth_m=500, cell_m=cell)  # warm up imports
    start = time.perf_counter()
    surface = katye.density(incidents, bandwidth_m=500, cell_m=cell)
    fast = time.perf_counter() - start
    assert abs(surface.mass() - rows) / rows < 0.005
    sample, cells = min(20_000, rows), 20_000
    rng = np.random.default_rng(0)
    pick = rng.choice(rows, sample, replace=False)
    kde = gaussian_kde(np.vstack([x[pick], y[pick]]), bw_method=500 / np.std(x[pick]))
    grid_points = rng.uniform([x.min(), y.min()], [x.max(), y.max()], size=(cells, 2)).T
    start = time.perf_counter()
    kde(grid_points)
    measured = time.perf_counter() - start
    full_cells = surface.values.size
    scaled = measured * (rows / sample) * (full_cells / cells)
    return [
        {
            "case": f"KDE of {rows:,} points, grid {surface.values.shape[0]}x{surface.values.shape[1]}",
            "contender": "katye.density",
            "seconds": round(fast, 3),
            "note": f"mass kept {surface.mass() / rows:.4%}",
        },
        {
            "case": f"KDE of {rows:,} points, grid {surface.values.shape[0]}x{surface.values.shape[1]}",
            "contender": "scipy gaussian_kde (scaled from a subsample)",
            "seconds": round(scaled, 1),
            "note": f"{measured:.2f} s for {sample:,} points x {cells:,} cells; ratio {scaled / fast:,.0f}x",
        },
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print(table(run(args.rows), ["case", "contender", "seconds", "note"]))
