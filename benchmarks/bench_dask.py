"""Points per shipped zone, past one machine: katye on dask vs dask-geopandas' sjoin vs SedonaDB.

The job: count the points of a partitioned GeoParquet dataset (synthetic: half clustered around 400
made-up centres, half uniform over Port-au-Prince, lon -72.45..-72.2, lat 18.45..18.65; 1,000,000
points a file, WKB, EPSG:4326) in each of the shipped zones. The dataset is generated once, in
chunks straight to disk (``--folder``, default a folder in the temp directory), never in the repository.

- katye: ``katye.partitioned.zone_counts(folder, default_precision="exact")`` on a
  ``dask.distributed.LocalCluster`` of 2 worker processes of 1 thread (as on a real cluster), and
  again with 2 worker threads in the one process (``processes=False``);
- dask-geopandas: ``dask_geopandas.read_parquet`` + ``dask_geopandas.sjoin(predicate="within")`` +
  ``groupby("zone_id").size()`` on the same kind of cluster;
- SedonaDB (``pip install "sedonadb[geopandas]"``, which ``apache-sedona[db]`` also installs):
  ``read_parquet`` + a SQL join on ``ST_Intersects`` + ``GROUP BY``, in process on every core.

Each contender runs in a new process of its own (so imports and caches don't carry over and its
peak memory is its own): ``seconds`` is the job alone, after imports and cluster start-up
(``startup_s``); ``peak_mb`` the largest resident memory of that process and every process it
started (the cluster's workers), sampled every 20 ms. The counts are checked equal.
The first run in each process includes the workers' first call (katye's imports and grid there):
``--repeat`` runs the job again in the same process and gives the range.
Run: ``python benchmarks/bench_dask.py [--points N] [--repeat N] [--only NAME ...] [--folder DIR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from common import table

COLUMNS = ["contender", "points", "seconds", "points_per_s", "time_vs_katye", "startup_s", "peak_mb", "counts"]
CONTENDERS = ("katye", "katye-threads", "dask-geopandas", "sedonadb")
BOX = (-72.45, 18.45, -72.2, 18.65)
ROWS_PER_FILE = 1_000_000


def dataset(points: int, folder: Path | None = None, seed: int = 1) -> Path:
    """The synthetic points as GeoParquet files of ``ROWS_PER_FILE``, written once and reused."""
    import geopandas as gpd

    folder = folder or Path(tempfile.gettempdir()) / "katye-bench" / f"dask_points_{points}_{seed}"
    done = folder / "_complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = BOX
    centres = np.column_stack([rng.uniform(minx, maxx, 400), rng.uniform(miny, maxy, 400)])
    for number, start in enumerate(range(0, points, ROWS_PER_FILE)):
        rows = min(ROWS_PER_FILE, points - start)
        clustered = rows // 2
        around = centres[rng.integers(0, len(centres), clustered)] + rng.normal(0, 0.004, (clustered, 2))
        x = np.concatenate([around[:, 0], rng.uniform(minx, maxx, rows - clustered)])
        y = np.concatenate([around[:, 1], rng.uniform(miny, maxy, rows - clustered)])
        frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")
        frame.to_parquet(folder / f"part.{number:05d}.parquet", index=False)
    done.write_text(f"{points} synthetic points\n")
    return folder


def _katye(folder: Path) -> dict[str, int]:
    from katye import partitioned

    counts = partitioned.zone_counts(folder, default_precision="exact")
    return {z: int(n) for z, n in zip(counts["zone_id"], counts["events"], strict=True) if n}


def _dask_geopandas(folder: Path) -> dict[str, int]:
    import dask_geopandas

    import katye

    points = dask_geopandas.read_parquet(folder)
    zones = katye.geodata.zones()[["zone_id", "geometry"]]
    sizes = dask_geopandas.sjoin(points, zones, predicate="within").groupby("zone_id").size().compute()
    return {str(z): int(n) for z, n in sizes.items()}


def _sedonadb(folder: Path) -> dict[str, int]:
    import sedonadb

    import katye

    db = sedonadb.connect()
    db.read_parquet(str(folder / "*.parquet")).to_view("points")
    db.create_data_frame(katye.geodata.zones()[["zone_id", "geometry"]]).to_view("zones")
    sizes = db.sql(
        "SELECT z.zone_id AS zone_id, COUNT(*) AS n FROM points p JOIN zones z "
        "ON ST_Intersects(p.geometry, z.geometry) GROUP BY z.zone_id"
    ).to_pandas()
    return {str(z): int(n) for z, n in zip(sizes["zone_id"], sizes["n"], strict=True)}


class _Peak:
    """The largest resident memory of this process plus all its descendants, sampled in a thread."""

    def __init__(self, every: float = 0.02):
        import psutil

        self.me = psutil.Process()
        self.peak = 0
        self.every = every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        import psutil

        while not self.stop.is_set():
            total = 0
            for process in [self.me, *self.me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a worker that just ended
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)
            self.stop.wait(self.every)

    def done(self) -> float:
        self.stop.set()
        self.thread.join()
        return self.peak / 2**20


def child(name: str, folder: Path, *, repeat: int) -> dict:
    """One contender's run, in this (new) process."""
    peak = _Peak()
    start = time.perf_counter()
    job = {"katye": _katye, "katye-threads": _katye, "dask-geopandas": _dask_geopandas, "sedonadb": _sedonadb}[name]
    cluster = client = None
    if name != "sedonadb":
        from dask.distributed import Client, LocalCluster

        threads = name.endswith("-threads")
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=not threads, dashboard_address=None)
        client = Client(cluster)
    startup = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        counts = job(folder)
        times.append(time.perf_counter() - t0)
    if client is not None and cluster is not None:
        client.close()
        cluster.close()
    return {"seconds": times, "startup_s": startup, "peak_mb": peak.done(), "counts": counts}


def _in_child(name: str, folder: Path, *, repeat: int) -> dict:
    command = [sys.executable, __file__, "--child", name, "--folder", str(folder), "--repeat", str(repeat)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(
    points: int = 50_000_000, *, repeat: int = 1, only: tuple[str, ...] = CONTENDERS, folder: Path | None = None
) -> list[dict]:
    started = time.perf_counter()
    where = dataset(points, folder)
    print(f"dataset: {where} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    results = {name: _in_child(name, where, repeat=repeat) for name in CONTENDERS if name in only or name == "katye"}
    ours = results["katye"]
    rows = []
    for name, result in results.items():
        if "error" in result:
            rows.append({"contender": name, "points": f"{points:,}", "counts": f"failed: {result['error'][:100]}"})
            continue
        best = min(result["seconds"])
        span = "-".join(f"{s:.2f}" for s in sorted({min(result["seconds"]), max(result["seconds"])}))
        same = "equal" if result["counts"] == ours.get("counts") else _difference(result["counts"], ours.get("counts"))
        rows.append(
            {
                "contender": name,
                "points": f"{points:,}",
                "seconds": span,
                "points_per_s": f"{points / best / 1e6:.2f} M",
                "time_vs_katye": f"{best / min(ours['seconds']):.2f}x" if "seconds" in ours else "",
                "startup_s": f"{result['startup_s']:.1f}",
                "peak_mb": f"{result['peak_mb']:,.0f}",
                "counts": f"{sum(result['counts'].values()):,} in zones, {same}",
            }
        )
    return rows


def _difference(theirs: dict[str, int], ours: dict[str, int] | None) -> str:
    if ours is None:
        return "katye failed"
    differ = sorted(z for z in set(theirs) | set(ours) if theirs.get(z, 0) != ours.get(z, 0))
    gap = sum(abs(theirs.get(z, 0) - ours.get(z, 0)) for z in differ)
    return f"{len(differ)} zones differ by {gap} points"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=50_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the job in each contender's process")
    parser.add_argument("--only", nargs="+", choices=CONTENDERS, default=CONTENDERS, help="contenders (katye always)")
    parser.add_argument("--folder", type=Path, help="where the dataset is (written if absent)")
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder, repeat=args.repeat)))
    else:
        print(table(run(args.points, repeat=args.repeat, only=tuple(args.only), folder=args.folder), COLUMNS))
