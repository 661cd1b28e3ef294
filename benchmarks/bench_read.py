"""Reading an ACLED-layout CSV: katye.read_incidents vs pandas.read_csv + geopandas.points_from_xy.

katye does more work than the baseline (every column read as text so nothing is lost,
validation of every row, line numbers, row accounting, the study-area test); the table shows
what that costs in time and peak memory (ratios > 1 mean katye is slower / bigger). The
``as-coded`` row reads without the location-precision rules, to show what the rules cost; the
``keep=[]`` row drops the file's 24 other columns (katye keeps them all by default, compactly).

Times: every contender runs in one process, in turn, ``--repeat`` rounds (imports done first), so
a busy machine slows them alike; the table gives the best and the median round, and the ratios
of each to pandas'. ``cpu_s`` is the process time of the best round (all threads). Peak memory:
each contender once more in a fresh process of its own, the process's maximum resident set
(imports included, about 170 MB on both sides), so that one contender's peak does not hide another's.
Run: ``python benchmarks/bench_read.py [--rows N [N ...]] [--repeat R]`` (default: 1 M rows, 5 rounds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from common import acled_file, in_fresh_process, table

CONTENDERS = {
    "katye.read_incidents": "katye.read_incidents(PATH)",
    "katye.read_incidents(precision='as-coded')": "katye.read_incidents(PATH, precision='as-coded')",
    "katye.read_incidents(keep=[])": "katye.read_incidents(PATH, keep=[])",
    "pandas.read_csv + points_from_xy": "_pandas(PATH)",
}
BASELINE = "pandas.read_csv + points_from_xy"

SETUP = """
import gc, json, time
import geopandas as gpd
import pandas as pd
import katye

def _pandas(path):
    frame = pd.read_csv(path)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.longitude, frame.latitude), crs=4326)

def _rows(result):
    return len(result) if isinstance(result, pd.DataFrame) else len(result.incidents) + len(result.rejected)
"""

ROUNDS = """
times = {name: [] for name in CONTENDERS}
for _ in range(REPEAT):
    for name, call in CONTENDERS.items():
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        result = eval(call)
        times[name].append((time.perf_counter() - start, time.process_time() - cpu, _rows(result)))
        del result
print(json.dumps(times))
"""


def side_by_side(path: str, repeat: int, names=None) -> dict[str, list[tuple[float, float, int]]]:
    """(wall, cpu, rows) of each round of each contender (or those ``names``), run in turn in one fresh process."""
    chosen = {name: call for name, call in CONTENDERS.items() if names is None or name in names}
    calls = {name: call.replace("PATH", repr(path)) for name, call in chosen.items()}
    code = SETUP + f"CONTENDERS = {calls!r}\nREPEAT = {repeat}\n" + ROUNDS
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_mb(path: str, call: str) -> float:
    """The peak resident memory of a fresh process that imports both sides and runs ``call`` once."""
    measured = in_fresh_process(f"{SETUP}\n#--\nresult = {{'rows': _rows({call.replace('PATH', repr(path))})}}\n")
    return measured["peak_mb"]


def run(rows: int, repeat: int = 5) -> list[dict]:
    path = str(acled_file(rows))
    rounds = side_by_side(path, repeat)
    out = []
    for name, measured in rounds.items():
        assert all(r == rows for _, _, r in measured), (name, measured)
        walls = [wall for wall, _, _ in measured]
        best = min(range(len(measured)), key=lambda i: walls[i])
        out.append(
            {
                "case": f"read {rows:,} ACLED rows",
                "contender": name,
                "best_s": round(walls[best], 2),
                "median_s": round(statistics.median(walls), 2),
                "range_s": f"{min(walls):.2f}-{max(walls):.2f}",
                "cpu_s": round(measured[best][1], 2),
                "peak_mb": round(peak_mb(path, CONTENDERS[name])),
            }
        )
    base = next(row for row in out if row["contender"] == BASELINE)
    for row in out:
        row["best_vs_pandas"] = f"{row['best_s'] / base['best_s']:.2f}"
        row["median_vs_pandas"] = f"{row['median_s'] / base['median_s']:.2f}"
        row["memory_vs_pandas"] = f"{row['peak_mb'] / base['peak_mb']:.2f}"
    return out


COLUMNS = [
    "case",
    "contender",
    "best_s",
    "median_s",
    "range_s",
    "cpu_s",
    "peak_mb",
    "best_vs_pandas",
    "median_vs_pandas",
    "memory_vs_pandas",
]

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(table([row for rows in args.rows for row in run(rows, args.repeat)], COLUMNS))
