"""The goals of katye's speed work, each measured side by side with its peer, as ranges over runs.

One row per goal: what users call (``katye.assign``, ``make_map`` + ``save_map``, the ``katye``
command as a whole process, ``read_incidents``), on friendly and unfriendly data, beside the peer it
must beat, with the goal and whether the range meets it. ``benchmarks/run.py`` prints this table
first; ``python benchmarks/run.py --readme`` also writes it into the README between the
``benchmarks:goals`` markers, with the machine it ran on.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import bench_assign
import bench_map
import bench_read
import bench_startup
from common import acled_file

COLUMNS = ["case", "katye", "peer", "ratio", "goal", "met"]
README_START = "<!-- benchmarks:goals:start -->"
README_END = "<!-- benchmarks:goals:end -->"


def _span(values: list[float], digits: int = 2, unit: str = "") -> str:
    low, high = min(values), max(values)
    text = f"{low:.{digits}f}" if f"{low:.{digits}f}" == f"{high:.{digits}f}" else f"{low:.{digits}f}–{high:.{digits}f}"
    return text + unit


def _row(case: str, ours: list[float], theirs: list[float] | None, *, unit: str, ratio: str, goal: str, met: bool):
    return {
        "case": case,
        "katye": _span(ours, 2, unit),
        "peer": _span(theirs, 2, unit) if theirs else "",
        "ratio": ratio,
        "goal": goal,
        "met": "yes" if met else "no",
    }


def _ratio_row(case: str, ours: list[float], theirs: list[float], goal: float, *, unit=" s", word="faster"):
    """A row whose goal is ``theirs / ours >= goal``, run by run; met when the worst run meets it."""
    ratios = [t / o for o, t in zip(ours, theirs, strict=True)]
    return _row(
        case,
        ours,
        theirs,
        unit=unit,
        ratio=_span(ratios, 1, f"× {word}"),
        goal=f"≥ {goal:g}× {word}",
        met=min(ratios) >= goal,
    )


def assign_rows(rows: int, runs: int) -> list[dict]:
    """``katye.assign`` vs three sjoins + sjoin_nearest, warm, on every case of bench_assign."""
    points = bench_assign.cases(rows)
    bench_assign.katye.assign(points["uniform over the zones' box"].iloc[: min(rows, 300_000)])  # warm, as in use
    out = []
    for name, frame in points.items():
        ours, theirs = [], []
        for _ in range(runs):
            ours_s, _, mine = bench_assign._timed(lambda frame=frame: bench_assign.katye.assign(frame))
            theirs_s, _, peer = bench_assign._timed(lambda frame=frame: bench_assign.geopandas_way(frame))
            bench_assign._same(mine, peer)  # same zones, sections, communes; distances to 1 m
            ours.append(ours_s)
            theirs.append(theirs_s)
        case = f"`katye.assign` {rows:,} points, {name}, vs 3 × sjoin + sjoin_nearest"
        out.append(_ratio_row(case, ours, theirs, 20))
    return out


def map_rows(rows: int, runs: int) -> list[dict]:
    """make_map + save_map vs explore + save (warm process): build time, HTML size, first frame in Chromium."""
    measured = [bench_map.run(rows, big=0) for _ in range(runs)]

    def pick(measure: str) -> tuple[list[float], list[float]]:
        found = [next(r for r in run if r["measure"].startswith(measure)) for run in measured]
        return [r["katye"] for r in found], [r["explore"] for r in found]

    build, size, frame = pick("build"), pick("HTML size"), pick("first frame")
    case = f'{rows:,} incidents: `make_map` + `save_map` vs `explore(column="event_type")` + save'
    return [
        _ratio_row(f"{case}, build", *build, 10),
        _ratio_row(f"{case}, HTML size", *size, 5, unit=" MB", word="smaller"),
        _ratio_row(f"{case}, first frame in Chromium", *frame, 5),
    ]


def _process_times(argv: list[str], runs: int) -> list[float]:
    return bench_startup._times(argv, runs)


def command_rows(runs: int, small: int, big: int) -> list[dict]:
    """The ``katye`` command as a whole process: --help, map on a small and a big ACLED-layout CSV."""
    katye = bench_startup._command()
    folder = Path(tempfile.mkdtemp(prefix="katye-goals-"))
    out = []
    for case, argv, goal in (
        ("`katye --help`, whole process", [*katye, "--help"], 0.3),
        (
            f"`katye map` on {small:,} rows, whole process",
            [*katye, "--quiet", "map", str(acled_file(small)), "-o", str(folder / "small.html")],
            1.5,
        ),
        (
            f"`katye map` on a {big:,}-row ACLED CSV, whole process",
            [*katye, "--quiet", "map", str(acled_file(big)), "-o", str(folder / "big.html")],
            5.0,
        ),
    ):
        _process_times(argv, 1)  # the first run writes caches of the OS and Python (bytecode) alike
        times = _process_times(argv, runs)
        median = statistics.median(times)
        out.append(
            _row(case, times, None, unit=" s", ratio=f"median {median:.2f} s", goal=f"≤ {goal:g} s", met=median <= goal)
        )
    return out


def read_rows(rows: int, runs: int) -> list[dict]:
    """read_incidents vs pandas.read_csv + points_from_xy, in turn in one process; peak memory of each."""
    path = str(acled_file(rows))
    rounds = bench_read.side_by_side(path, runs, names=("katye.read_incidents", bench_read.BASELINE))
    ours = [wall for wall, _, _ in rounds["katye.read_incidents"]]
    theirs = [wall for wall, _, _ in rounds[bench_read.BASELINE]]
    peak = bench_read.peak_mb(path, bench_read.CONTENDERS["katye.read_incidents"])
    peer_peak = bench_read.peak_mb(path, bench_read.CONTENDERS[bench_read.BASELINE])
    ratios = [t / o for o, t in zip(ours, theirs, strict=True)]
    return [
        _row(
            f"`read_incidents` {rows:,} rows vs `pandas.read_csv` + `points_from_xy`",
            ours,
            theirs,
            unit=" s",
            ratio=_span(ratios, 2, "× as fast"),
            goal="≥ 1× as fast",
            met=statistics.median(ratios) >= 1,
        ),
        _row(
            f"`read_incidents` {rows:,} rows, peak memory of the process",
            [peak],
            [peer_peak],
            unit=" MB",
            ratio=f"{peak / peer_peak:.2f}× the memory",
            goal="≤ 1,000 MB",
            met=peak <= 1000,
        ),
    ]


def dask_rows(points: int, runs: int) -> list[dict]:
    """Points of a GeoParquet dataset counted per zone: katye on dask vs SedonaDB and dask-geopandas' sjoin.

    Each contender in a process of its own (bench_dask); the job is run ``runs`` times there. Needs
    the ``dask`` extra, and SedonaDB (``pip install "sedonadb[geopandas]"``) for its row.
    """
    import bench_dask

    folder = bench_dask.dataset(points)
    names = ("katye", "sedonadb", "dask-geopandas")
    results = {name: bench_dask._in_child(name, folder, repeat=runs) for name in names}
    ours = results["katye"]
    out = []
    case = f"{points:,} points from GeoParquet counted per zone, katye on a 2-worker LocalCluster"
    for name, word in (("sedonadb", "SedonaDB"), ("dask-geopandas", "dask-geopandas `sjoin` + `groupby`")):
        theirs = results.get(name, {})
        if "seconds" not in theirs or "seconds" not in ours:
            error = theirs.get("error") or ours.get("error") or "not run"
            out.append({"case": f"{case}, vs {word}", "katye": "", "peer": f"failed: {error[:60]}", "goal": ""})
            continue
        assert theirs["counts"] == ours["counts"], f"{name}: counts differ from katye's"
        ratios = [points / o / (points / t) for o, t in zip(ours["seconds"], theirs["seconds"], strict=True)]
        goal = 1.0 if name == "sedonadb" else None
        out.append(
            _row(
                f"{case}, vs {word}",
                [points / s / 1e6 for s in ours["seconds"]],
                [points / s / 1e6 for s in theirs["seconds"]],
                unit=" M points/s",
                ratio=_span(ratios, 1, "× the throughput"),
                goal=f"≥ {goal:g}× the throughput" if goal else "",
                met=goal is None or min(ratios) >= goal,
            )
        )
    if "peak_mb" in ours:
        out.append(
            _row(
                f"{case}, peak memory (client and workers)",
                [ours["peak_mb"]],
                [results["sedonadb"]["peak_mb"]] if "peak_mb" in results.get("sedonadb", {}) else None,
                unit=" MB",
                ratio="",
                goal="≤ 2,000 MB",
                met=ours["peak_mb"] <= 2000,
            )
        )
    return out


def machine() -> str:
    """One line on the machine: CPU, cores, memory, Python, and the load when the run began."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        memory = float("nan")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average {load:.2f} when the run began; "
        f"{dt.date.today().isoformat()}"
    )


def run(*, rows: int = 1_000_000, map_rows_: int = 50_000, runs: int = 3, dask_points: int = 0, progress=print):
    """Every goal's row; ``progress`` is told which part runs (they take minutes at full size)."""
    parts: list[tuple[str, Callable[[], list[dict]]]] = [
        ("assign", lambda: assign_rows(rows, runs)),
        ("maps", lambda: map_rows(map_rows_, runs)),
        ("the katye command", lambda: command_rows(max(runs, 5), map_rows_, rows)),
        ("reading", lambda: read_rows(rows, max(runs, 3))),
    ]
    if dask_points:
        parts.append(("dask", lambda: dask_rows(dask_points, runs)))
    out = []
    for name, part in parts:
        progress(f"… {name}")
        out += part()
    return out


def markdown(rows: list[dict], runs: int, command: str = "python benchmarks/run.py --readme") -> str:
    """The goals table in Markdown, with the command, the machine and how many runs the ranges span."""
    head = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
    body = "".join("| " + " | ".join(str(r[c]) for c in COLUMNS) + " |\n" for r in rows)
    return (
        f"Measured by `{command}` on {machine()}. Ranges are the lowest and "
        f"highest of {runs} runs (5 for whole processes), each side timed in turn in one process.\n\n" + head + body
    )


def write_readme(text: str, readme: Path) -> None:
    """Replace what stands between the goals markers of the README with ``text``."""
    content = readme.read_text(encoding="utf-8")
    start, end = content.index(README_START) + len(README_START), content.index(README_END)
    readme.write_text(content[:start] + "\n" + text + content[end:], encoding="utf-8")


if __name__ == "__main__":
    import argparse

    from common import table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print(table(run(rows=args.rows, runs=args.runs, progress=lambda m: print(m, file=sys.stderr)), COLUMNS))
