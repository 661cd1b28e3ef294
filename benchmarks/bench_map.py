"""Building and opening the map: katye.make_map vs GeoDataFrame.explore(), side by side.

For 50,000 incidents: build time (make + save), HTML size, and first frame in Chromium (navigation
start until the layers are drawn). explore() links Leaflet and its plugins from CDNs; for the timing its
links are pointed at local copies (Leaflet from xstatic, the others empty files) so that both pages
open offline. Sizes are of the files as written, without those linked scripts.
For 1,000,000 incidents: katye's file size and time to first frame.
Run: ``python benchmarks/bench_map.py [--rows N] [--big N]``.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

import xstatic.pkg.leaflet as xleaflet

import katye
from common import acled_file, table
from katye.testing import chromium


def localise(path: Path) -> Path:
    """A copy of an explore() page whose CDN links point at local files (Leaflet from xstatic, others empty)."""
    folder = path.parent / "cdn"
    folder.mkdir(exist_ok=True)

    def local(match: re.Match) -> str:
        url = match.group(2)
        name = url.rsplit("/", 1)[-1].split("?")[0]
        source = Path(xleaflet.BASE_DIR) / name
        target = folder / name
        if not target.exists():
            target.write_bytes(source.read_bytes() if "leaflet@" in url and source.exists() else b"")
        return f'{match.group(1)}="{target.as_uri()}"'

    html = re.sub(r'(src|href)="(https?://[^"]+\.(?:js|css))"', local, path.read_text(encoding="utf-8"))
    out = path.with_name(path.stem + "_local.html")
    out.write_text(html, encoding="utf-8")
    return out


def first_frame(path: Path, ready: str, repeat: int = 3) -> float:
    best = float("inf")
    with chromium() as browser:
        for _ in range(repeat):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(path.as_uri(), wait_until="commit", timeout=120_000)
            page.wait_for_function(ready, polling="raf", timeout=120_000)
            best = min(best, page.evaluate("() => performance.now()") / 1000)
            page.close()
    return best


def run(rows: int = 50_000, big: int = 1_000_000) -> list[dict]:
    folder = Path(tempfile.mkdtemp(prefix="katye-map-bench-"))
    incidents = katye.read_incidents(acled_file(rows, seed=5)).incidents
    katye.make_map(incidents.iloc[:100])  # warm imports for both sides alike
    start = time.perf_counter()
    ours = folder / "katye.html"
    katye.save_map(katye.make_map(incidents), ours)
    build_ours = time.perf_counter() - start
    start = time.perf_counter()
    theirs = folder / "explore.html"
    # The peer as an analyst would call it: coloured by event type, with five columns a popup needs.
    shown = incidents[["event_date", "event_type", "actor1", "location", "fatalities", "geometry"]]
    shown.assign(event_date=shown["event_date"].dt.strftime("%Y-%m-%d")).explore(column="event_type").save(str(theirs))
    build_theirs = time.perf_counter() - start
    frame_ours = first_frame(ours, "window.katyeReady !== undefined")
    frame_theirs = first_frame(localise(theirs), "document.querySelectorAll('path.leaflet-interactive').length > 0")
    size_ours, size_theirs = ours.stat().st_size / 1e6, theirs.stat().st_size / 1e6
    out = [
        {
            "case": f"map of {rows:,} incidents",
            "measure": "build (make + save), s",
            "katye": round(build_ours, 2),
            "explore": round(build_theirs, 2),
            "ratio": f"{build_theirs / build_ours:.1f}x faster",
        },
        {
            "case": f"map of {rows:,} incidents",
            "measure": "HTML size, MB",
            "katye": round(size_ours, 2),
            "explore": round(size_theirs, 2),
            "ratio": f"{size_theirs / size_ours:.1f}x smaller",
        },
        {
            "case": f"map of {rows:,} incidents",
            "measure": "first frame in Chromium, s",
            "katye": round(frame_ours, 2),
            "explore": round(frame_theirs, 2),
            "ratio": f"{frame_theirs / frame_ours:.1f}x faster",
        },
    ]
    if big:
        many = katye.read_incidents(acled_file(big, seed=1)).incidents
        start = time.perf_counter()
        path = folder / "katye_big.html"
        katye.save_map(katye.make_map(many), path)
        build_big = time.perf_counter() - start
        out += [
            {"case": f"map of {big:,} incidents", "measure": "build (make + save), s", "katye": round(build_big, 2)},
            {
                "case": f"map of {big:,} incidents",
                "measure": "HTML size, MB",
                "katye": round(path.stat().st_size / 1e6, 2),
            },
            {
                "case": f"map of {big:,} incidents",
                "measure": "first frame in Chromium, s",
                "katye": round(first_frame(path, "window.katyeReady !== undefined"), 2),
            },
        ]
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    args = parser.parse_args()
    print(table(run(args.rows, args.big), ["case", "measure", "katye", "explore", "ratio"]))
