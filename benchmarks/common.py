"""Shared pieces of the side-by-side benchmarks: data generation, timing in fresh processes, tables."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CACHE = Path(tempfile.gettempdir()) / "katye-bench"


def acled_file(rows: int, seed: int = 1) -> Path:
    """A synthetic ACLED-layout CSV of ``rows`` rows, generated once and cached in the temp folder."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"acled_synthetic_{rows}_{seed}.csv"
    if not path.exists():
        # In a child process: a child forked from a parent that once held the data would inherit
        # its peak memory and report it as its own.
        code = (
            "import sys; from katye.samples import synthetic_acled, write_csv; "
            "write_csv(synthetic_acled(int(sys.argv[1]), seed=int(sys.argv[2])), sys.argv[3])"
        )
        subprocess.run([sys.executable, "-c", code, str(rows), str(seed), str(path)], check=True)
    return path


def in_fresh_process(code: str, repeat: int = 1) -> dict:
    """Run ``code`` (which sets ``result``) in a new interpreter ``repeat`` times; best time, peak memory.

    The snippet is timed after its imports, so both sides pay the same start-up. Peak memory is
    the child's maximum resident set size, imports included.
    """
    runner = f"""
import json, time
{code.split("#--", 1)[0]}
t0 = time.perf_counter()
{code.split("#--", 1)[1]}
elapsed = time.perf_counter() - t0
# VmHWM: this process's own peak (ru_maxrss would carry the parent's over fork and exec).
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) / 1024
print(json.dumps({{"seconds": elapsed, "peak_mb": peak, "result": result}}))
"""
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", runner], capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds"])
    best["peak_mb"] = max(r["peak_mb"] for r in runs)
    return best


def best_of(function, repeat: int) -> tuple[float, object]:
    """The best time of ``repeat`` calls of ``function`` in this process, and its last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def table(rows: list[dict], columns: list[str]) -> str:
    """A plain-text table."""
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns), "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)
