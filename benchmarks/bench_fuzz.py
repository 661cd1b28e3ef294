"""Hostile files: ``read_incidents`` on many damaged ACLED-layout files (katye.samples.hostile_csv).

Counts, over ``--files`` seeded files, the exceptions that are not katye's own errors and the
reads whose row accounting does not balance; both must be 0. Also reports the time per file and
which katye errors the files met. Run: ``python benchmarks/bench_fuzz.py [--files 10000]``.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
import traceback
from pathlib import Path

import katye
from common import table
from katye.samples import hostile_csv


def run(files: int = 10_000, seed: int = 0) -> list[dict]:
    failures, unbalanced, read, refused = [], 0, 0, collections.Counter()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="katye-fuzz-") as folder:
        path = Path(folder) / "incidents.csv"
        for i in range(seed, seed + files):
            path.write_bytes(hostile_csv(i))
            try:
                incidents, rejected, report = katye.read_incidents(path)
            except katye.KatyeError as exc:
                refused[str(exc).split(": ", 1)[-1][:40]] += 1
                continue
            except Exception:  # counting exactly these is the point
                failures.append((i, traceback.format_exc(limit=1).strip().splitlines()[-1]))
                continue
            read += 1
            lines = list(incidents["line"]) + list(rejected["line"])
            if (
                not report.balanced
                or len(incidents) + len(rejected) != report.input_rows
                or len(set(lines)) != len(lines)
            ):
                unbalanced += 1
    seconds = time.perf_counter() - start
    for seed_, message in failures[:10]:
        print(f"seed {seed_}: {message}")
    print("katye errors met:", ", ".join(f"{k}… {v}" for k, v in refused.most_common(6)))
    return [
        {
            "files": files,
            "read": read,
            "katye_errors": sum(refused.values()),
            "other_exceptions": len(failures),
            "unbalanced": unbalanced,
            "ms_per_file": round(1000 * seconds / files, 1),
        }
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = run(args.files, args.seed)
    print(table(rows, list(rows[0])))
