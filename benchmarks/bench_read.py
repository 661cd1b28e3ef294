"""Reading an ACLED-layout CSV: katye.read_incidents vs pandas.read_csv + geopandas.points_from_xy.

katye does more work than the baseline (every column read as text so nothing is lost,
validation of every row, line numbers, row accounting, the study-area test); the table shows
what that costs in time and peak memory (ratios > 1 mean katye is slower / bigger). The
``as-coded`` row reads without the location-precision rules, to show what the rules cost; the
``keep=[]`` row drops the file's 24 other columns (katye keeps them all by default, compactly).
Peak memory is the process's maximum resident set (imports included, about 170 MB on both sides).
Run: ``python benchmarks/bench_read.py [--rows N [N ...]]`` (default: 1 M and 5 M rows).
"""

from __future__ import annotations

import argparse

from common import acled_file, in_fresh_process, table

KATYE = """
import katye
#--
incidents, rejected, report = katye.read_incidents(PATH)
result = {"rows": len(incidents) + len(rejected), "balanced": report.balanced}
"""
AS_CODED = """
import katye
#--
incidents, rejected, report = katye.read_incidents(PATH, precision="as-coded")
result = {"rows": len(incidents) + len(rejected), "balanced": report.balanced}
"""
KEEP_NONE = """
import katye
#--
incidents, rejected, report = katye.read_incidents(PATH, keep=[])
result = {"rows": len(incidents) + len(rejected), "balanced": report.balanced}
"""
PANDAS = """
import pandas as pd, geopandas as gpd
#--
frame = pd.read_csv(PATH)
points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.longitude, frame.latitude), crs=4326)
result = {"rows": len(points), "balanced": None}
"""


def run(rows: int, repeat: int = 1) -> list[dict]:
    path = acled_file(rows)
    out = []
    contenders = (
        ("katye.read_incidents", KATYE),
        ("katye.read_incidents(precision='as-coded')", AS_CODED),
        ("katye.read_incidents(keep=[])", KEEP_NONE),
        ("pandas.read_csv + points_from_xy", PANDAS),
    )
    for name, code in contenders:
        measured = in_fresh_process(code.replace("PATH", repr(str(path))), repeat=repeat)
        assert measured["result"]["rows"] == rows, measured
        out.append(
            {
                "case": f"read {rows:,} ACLED rows",
                "contender": name,
                "seconds": round(measured["seconds"], 2),
                "peak_mb": round(measured["peak_mb"]),
            }
        )
    for row in out:
        row["time_vs_pandas"] = f"{row['seconds'] / out[-1]['seconds']:.2f}"
        row["memory_vs_pandas"] = f"{row['peak_mb'] / out[-1]['peak_mb']:.2f}"
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(
        table(
            [row for rows in args.rows for row in run(rows, args.repeat)],
            ["case", "contender", "seconds", "peak_mb", "time_vs_pandas", "memory_vs_pandas"],
        )
    )
