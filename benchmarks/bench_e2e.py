"""End to end: a generated ACLED-layout CSV to an HTML map with the ``katye map`` command (fresh process).

Also a nationwide file beside its Port-au-Prince part: the map should cost what the part costs
(time and peak memory of the whole process), since incidents far beyond the zones are not drawn.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import acled_file, table


def _map(source: Path) -> tuple[float, float, Path]:
    """Seconds, peak MB of the child process, and the map written."""
    out = Path(tempfile.mkdtemp(prefix="katye-e2e-")) / "map.html"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "katye.cli", "--quiet", "map", str(source), "-o", str(out)], check=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest of any child so far: report it only when this one set it.
    return seconds, (peak / 1024 if peak > before else float("nan")), out


def _mb(peak: float) -> str:
    """The peak in MB, or "n/a" when an earlier child of this process peaked higher (nothing to tell)."""
    return "n/a" if peak != peak else str(round(peak))


def nationwide(rows: int = 4329, seed: int = 3) -> tuple[Path, Path]:
    """A synthetic export with 85 % of its events scattered over Haiti, and its part near the capital."""
    import numpy as np

    from katye.samples import synthetic_acled, write_csv

    frame = synthetic_acled(rows, seed=seed)
    rng = np.random.default_rng(seed)
    far = rng.random(rows) < 0.85
    frame.loc[far, "longitude"] = np.char.mod("%.4f", rng.uniform(-74.3, -71.8, far.sum()))
    frame.loc[far, "latitude"] = np.char.mod("%.4f", rng.uniform(18.2, 19.8, far.sum()))
    folder = Path(tempfile.mkdtemp(prefix="katye-nation-"))
    return write_csv(frame, folder / "nationwide.csv"), write_csv(frame[~far], folder / "capital.csv")


def run(rows: int = 1_000_000) -> list[dict]:
    out = []
    # Smallest first: a child's peak is reported only when it is the largest so far.
    whole, part = nationwide()
    for name, source in (("its Port-au-Prince part", part), ("a nationwide 4,329-row file", whole)):
        seconds, peak, _ = _map(source)
        out.append({"case": f"katye map: {name}", "seconds": round(seconds, 2), "peak_mb": _mb(peak)})
    seconds, peak, path = _map(acled_file(rows))
    out.append(
        {
            "case": f"katye map: {rows:,}-row ACLED-layout CSV to HTML",
            "seconds": round(seconds, 2),
            "peak_mb": _mb(peak),
            "output_mb": round(path.stat().st_size / 1e6, 2),
            "target": "<= 10 s",
        }
    )
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    print(table(run(parser.parse_args().rows), ["case", "seconds", "peak_mb", "output_mb", "target"]))
