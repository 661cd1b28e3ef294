"""Make the README's screenshot: the shipped sample's November 2024 map, shot in Chromium.

    python scripts/screenshot.py [--out docs/katye-map.png]

Needs Debian's chromium (/usr/bin/chromium) and Playwright; opens the map offline.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import katye
from katye.testing import chromium

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "katye-map.png")
    args = parser.parse_args()
    incidents = katye.read_incidents(katye.samples.path("acled")).incidents
    page_file = Path(tempfile.mkdtemp()) / "map.html"
    katye.save_map(
        katye.make_map(incidents, control=katye.samples.path("control"), start="2024-11-01", end="2024-11-30"),
        page_file,
    )
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 820})
        page.goto(page_file.as_uri())
        page.wait_for_function("window.katyeReady !== undefined")
        page.wait_for_timeout(300)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
