"""Run every side-by-side benchmark and print one table: ``python benchmarks/run.py [--small]``."""

from __future__ import annotations

import argparse

import bench_read
from common import table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="10,000 rows instead of 1,000,000: a quick check")
    args = parser.parse_args()
    rows = 10_000 if args.small else 1_000_000
    results = bench_read.run(rows, repeat=1 if args.small else 3)
    print(table(results, ["case", "contender", "seconds", "peak_mb", "time_vs_pandas", "memory_vs_pandas"]))


if __name__ == "__main__":
    main()
