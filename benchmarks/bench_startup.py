"""Start-up: the ``katye`` command as a user runs it, whole process, median of ``--repeat`` runs.

``katye --help`` and ``katye --version`` load neither pandas nor any analysis library, so they
should cost little more than Python itself (the first row: ``python -c pass``, the floor every
command pays). ``katye map`` on a 50,000-row ACLED-layout CSV includes reading, joining, scoring,
hot spots, density and writing the HTML map, and every import they need.
Run: ``python benchmarks/bench_startup.py [--rows N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import acled_file, table


def _command() -> list[str]:
    """The installed ``katye`` script beside this Python, else the module."""
    script = Path(sys.executable).with_name("katye")
    return [str(script)] if script.exists() else [sys.executable, "-m", "katye.cli"]


def _times(argv: list[str], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - start)
    return out


def run(rows: int = 50_000, repeat: int = 5) -> list[dict]:
    katye = _command()
    folder = Path(tempfile.mkdtemp(prefix="katye-startup-"))
    cases = [
        ("python -c pass (the floor)", [sys.executable, "-c", "pass"], None),
        ("katye --help", [*katye, "--help"], 0.3),
        ("katye --version", [*katye, "--version"], 0.3),
        (
            f"katye map ({rows:,} rows) -o map.html",
            [*katye, "--quiet", "map", str(acled_file(rows)), "-o", str(folder / "map.html")],
            1.5,
        ),
    ]
    out = []
    try:
        for name, argv, target in cases:
            times = _times(argv, repeat)
            out.append(
                {
                    "case": name,
                    "median_s": round(statistics.median(times), 2),
                    "range_s": f"{min(times):.2f}-{max(times):.2f}",
                    "target_s": f"<= {target}" if target else "",
                }
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


COLUMNS = ["case", "median_s", "range_s", "target_s"]

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(table(run(args.rows, args.repeat), COLUMNS))
