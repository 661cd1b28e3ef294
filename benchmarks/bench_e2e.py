"""End to end: a generated ACLED-layout CSV to an HTML map with the ``katye map`` command (fresh process)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import acled_file, table


def run(rows: int = 1_000_000) -> list[dict]:
    source = acled_file(rows)
    out = Path(tempfile.mkdtemp(prefix="katye-e2e-")) / "map.html"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "katye.cli", "--quiet", "map", str(source), "-o", str(out)], check=True)
    seconds = time.perf_counter() - start
    return [
        {
            "case": f"katye map: {rows:,}-row ACLED-layout CSV to HTML",
            "seconds": round(seconds, 2),
            "output_mb": round(out.stat().st_size / 1e6, 2),
            "target": "<= 10 s",
        }
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    print(table(run(parser.parse_args().rows), ["case", "seconds", "output_mb", "target"]))
