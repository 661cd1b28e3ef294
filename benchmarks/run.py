"""Run every side-by-side benchmark and print the tables: ``python benchmarks/run.py [--small]``.

First the goals (benchmarks/goals.py): one row per goal of the speed work, katye beside its peer,
ranges over ``--runs`` runs, the goal and whether it is met. ``--readme`` also writes that table into
README.md. Then every benchmark's own table (``--goals-only`` stops after the goals).
``--small`` runs 10,000 rows (a quick check that everything works); the default is 1,000,000.
``--rows N`` sets any size (e.g. 5,000,000 for the assignment benchmark at scale).
``--dask-points N`` adds the dask goals (50,000,000 in the README; needs the ``dask`` extra); the dask
benchmark alone: ``python benchmarks/bench_dask.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import bench_assign
import bench_corridors
import bench_dask
import bench_density
import bench_e2e
import bench_emerging
import bench_fuzz
import bench_hotspots
import bench_join
import bench_map
import bench_read
import bench_startup
import goals
from common import table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="10,000 rows: a quick run")
    parser.add_argument("--rows", type=int, help="rows for every benchmark (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per goal: the table gives ranges")
    parser.add_argument("--dask-points", type=int, default=0, help="points for the dask rows (0: leave them out)")
    parser.add_argument("--readme", action="store_true", help="write the goals table into README.md")
    parser.add_argument("--goals-only", action="store_true", help="print the goals table only")
    args = parser.parse_args()
    rows = args.rows or (10_000 if args.small else 1_000_000)
    repeat = 1 if args.small else 3
    print("== Goals: katye beside its peer, ranges over runs ==")
    runs = 1 if args.small else args.runs
    measured = goals.run(
        rows=rows,
        map_rows_=min(rows, 50_000),
        runs=runs,
        dask_points=args.dask_points,
        progress=lambda message: print(message, file=sys.stderr, flush=True),
    )
    print(table(measured, goals.COLUMNS))
    if args.readme:
        command = "python benchmarks/run.py " + " ".join(sys.argv[1:])
        goals.write_readme(goals.markdown(measured, runs, command), Path(__file__).resolve().parents[1] / "README.md")
        print("README.md: goals table written")
    if args.goals_only:
        return
    print("\n== Reading an ACLED-layout CSV ==")
    print(table(bench_read.run(min(rows, 1_000_000), repeat=max(repeat, 3)), bench_read.COLUMNS))
    print("\n== Start-up: the katye command, whole process ==")
    print(table(bench_startup.run(min(rows, 50_000), repeat=5), bench_startup.COLUMNS))
    print("\n== Assigning incidents to zones: the grid lookup alone ==")
    print(table(bench_join.run(rows, repeat=repeat), ["case", "contender", "seconds", "speedup_vs_sjoin"]))
    print("\n== katye.assign (zones, sections, communes, distances) vs three sjoins + sjoin_nearest ==")
    print(table(bench_assign.run(rows, repeat=repeat), bench_assign.COLUMNS))
    print("\n== Points per zone past one machine: katye on dask vs dask-geopandas sjoin vs SedonaDB ==")
    print(table(bench_dask.run(rows, repeat=repeat), bench_dask.COLUMNS))
    print("\n== Corridors: katye.corridor_risk vs geopandas sjoin(dwithin) and buffer + sjoin ==")
    print(
        table(bench_corridors.run(rows, segments=500 if args.small else 5_000, repeat=repeat), bench_corridors.COLUMNS)
    )
    print("\n== Kernel density ==")
    print(table(bench_density.run(rows), ["case", "contender", "seconds", "note"]))
    print("\n== Hot spots ==")
    print(table(bench_hotspots.run(), ["case", "contender", "seconds"]))
    print("\n== Emerging hot spots: 100 zones x 104 weeks vs esda.G_Local per week ==")
    print(table(bench_emerging.run(repeat=repeat), ["case", "contender", "seconds", "vs_esda", "same_p"]))
    print("\n== Maps: katye.make_map vs GeoDataFrame.explore() ==")
    map_rows = min(rows, 50_000)
    print(
        table(
            bench_map.run(map_rows, big=0 if args.small else 1_000_000),
            ["case", "measure", "katye", "explore", "ratio"],
        )
    )
    print("\n== End to end ==")
    print(table(bench_e2e.run(rows), ["case", "seconds", "peak_mb", "output_mb", "target"]))
    print("\n== People exposed: zonal population and people near events vs exactextract and rasterstats ==")
    try:
        import bench_exposure

        print(table(bench_exposure.run(min(rows, 100_000), repeat=repeat), bench_exposure.COLUMNS))
    except ImportError as exc:  # the peers come with the bench extra
        print(f'skipped ({exc.name} is not installed: pip install -e ".[bench]")')
    print("\n== Hostile files (must show 0 other exceptions and 0 unbalanced) ==")
    rows_ = bench_fuzz.run(500 if args.small else 10_000)
    print(table(rows_, list(rows_[0])))


if __name__ == "__main__":
    main()
