"""Zonal population and people near events: katye vs exactextract and rasterstats, in one process.

The grid is SYNTHETIC: people per 3 arc-second pixel (WorldPop's "100 m" grid, about 90 m here)
over lon -72.55..-72.15, lat 18.40..18.70, generated in a temporary folder. The shipped zones,
sections and communes that lie wholly inside it are summed by:

- katye.zone_population (exact pixel fraction, the default), against exactextract's ``sum``
  (also pixel fraction: the sums must agree to 1e-6);
- katye.zone_population(method="centre"), against rasterstats.zonal_stats ``sum`` (pixel
  centre, GDAL's rasterizer: the sums must agree to 1e-6).

Then katye.event_exposure for 100,000 events (people within 1, 2 and 5 km and the best radius),
against exactextract on 5 km discs (buffers in EPSG:32618) for a subsample, scaled linearly.
Needs the ``bench`` extra: ``pip install -e ".[bench]"``. Run: ``python benchmarks/bench_exposure.py``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

import katye
from common import best_of, table

COLUMNS = ["case", "contender", "seconds", "ratio", "agreement"]
BOUNDS = (-72.55, 18.40, -72.15, 18.70)
PIXEL = 1 / 1200  # 3 arc-seconds


def synthetic_grid(folder: Path) -> Path:
    """A SYNTHETIC population GeoTIFF: a dense centre near the Champ de Mars, noise, nodata over a corner."""
    import rasterio
    from affine import Affine

    west, south, east, north = BOUNDS
    cols, rows = round((east - west) / PIXEL), round((north - south) / PIXEL)
    rng = np.random.default_rng(42)
    y, x = np.mgrid[0:rows, 0:cols]
    centre = (cols * 0.45, rows * 0.45)
    values = 2 + 90 * np.exp(-((x - centre[0]) ** 2 + (y - centre[1]) ** 2) / (2 * (cols * 0.12) ** 2))
    values = (values * rng.lognormal(0, 0.5, (rows, cols))).astype("float32")
    values[: rows // 5, : cols // 4] = -99999  # the sea, as WorldPop marks it
    path = folder / "synthetic_pap_3arcsec.tif"
    transform = Affine(PIXEL, 0.0, west, 0.0, -PIXEL, north)
    with rasterio.open(
        path, "w", driver="GTiff", width=cols, height=rows, count=1, dtype="float32",
        crs="EPSG:4326", transform=transform, nodata=-99999,
    ) as out:  # fmt: skip
        out.write(values, 1)
    return path


def _agreement(a: np.ndarray, b: np.ndarray) -> str:
    worst = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)))
    assert worst < 1e-6, f"sums disagree by {worst:.2e}"
    return f"max rel diff {worst:.1e}"


def zonal_rows(grid: Path, repeat: int) -> list[dict]:
    from exactextract import exact_extract
    from rasterstats import zonal_stats

    frame = shapely.box(*BOUNDS)
    rows = []
    for name in ("zones", "sections", "communes"):
        layer = katye.geodata.load(name)
        inside = layer[layer.within(frame)].reset_index(drop=True)
        case = f"{len(inside)} of {len(layer)} shipped {name}"
        fast, ours = best_of(lambda inside=inside: katye.zone_population(inside, raster=grid), repeat)
        slow, peer = best_of(lambda inside=inside: exact_extract(str(grid), inside, "sum", output="pandas"), repeat)
        ours_c, centre = best_of(
            lambda inside=inside: katye.zone_population(inside, raster=grid, method="centre"), repeat
        )
        slow_c, stats = best_of(lambda inside=inside: zonal_stats(inside, str(grid), stats="sum"), repeat)
        rasterstats_sum = np.array([s["sum"] or 0.0 for s in stats])
        rows += [
            {"case": case + ", pixel fraction", "contender": "katye.zone_population", "seconds": round(fast, 4)},
            {
                "case": case + ", pixel fraction",
                "contender": "exactextract sum",
                "seconds": round(slow, 4),
                "ratio": f"{slow / fast:.1f}x",
                "agreement": _agreement(ours["population"].to_numpy(), peer["sum"].to_numpy()),
            },
            {"case": case + ", pixel centre", "contender": "katye (method='centre')", "seconds": round(ours_c, 4)},
            {
                "case": case + ", pixel centre",
                "contender": "rasterstats.zonal_stats sum",
                "seconds": round(slow_c, 4),
                "ratio": f"{slow_c / ours_c:.1f}x",
                "agreement": _agreement(centre["population"].to_numpy(), rasterstats_sum),
            },
        ]
    return rows


def event_rows(grid: Path, events: int, sample: int) -> list[dict]:
    from exactextract import exact_extract

    rng = np.random.default_rng(7)
    lon = rng.uniform(-72.45, -72.25, events)
    lat = rng.uniform(18.48, 18.62, events)
    kinds = rng.choice(list(katye.exposure.BEST_RADIUS_M), events)
    incidents = gpd.GeoDataFrame({"event_type": kinds}, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    katye.event_exposure(incidents.iloc[:10], grid)  # imports (scipy.signal) out of the timing
    start = time.perf_counter()
    near = katye.event_exposure(incidents, grid)
    fast = time.perf_counter() - start
    subset = incidents.iloc[:sample]
    discs = gpd.GeoDataFrame(geometry=subset.to_crs(32618).buffer(5000, quad_segs=32), crs=32618).to_crs(4326)
    start = time.perf_counter()
    exact = exact_extract(str(grid), discs, "sum", output="pandas")["sum"].to_numpy()
    measured = time.perf_counter() - start
    scaled = measured * events / sample
    worst = float(np.max(np.abs(near["people_5km"].to_numpy()[:sample] - exact) / exact))
    case = f"{events:,} events: people within 1, 2, 5 km + best radius"
    return [
        {"case": case, "contender": "katye.event_exposure (4 radii)", "seconds": round(fast, 3)},
        {
            "case": case,
            "contender": f"exactextract, 5 km discs only (scaled from {sample:,})",
            "seconds": round(scaled, 1),
            "ratio": f"{scaled / fast:.0f}x (one radius vs four)",
            "agreement": f"5 km: max rel diff {worst:.1e}",
        },
    ]


def run(events: int = 100_000, *, repeat: int = 3, sample: int = 2_000) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="katye-bench-exposure-") as folder:
        grid = synthetic_grid(Path(folder))
        return zonal_rows(grid, repeat) + event_rows(grid, events, sample)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(table(run(args.events, repeat=args.repeat), COLUMNS))
