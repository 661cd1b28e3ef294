"""Build a monthly series of report maps (HTML and PNG) from one incident file.

    python examples/monthly_series.py [INCIDENTS] [--out maps/] [--control CONTROL.csv] [--lang en|fr|ht]

With no INCIDENTS it uses katye's shipped SYNTHETIC sample and its ILLUSTRATIVE control table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import katye


def build_series(incidents, out: Path, *, control=None, lang: str = "en", months=None) -> list[Path]:
    """Write ``pap-YYYY-MM.html`` and ``.png`` for each month with incidents; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    periods = sorted(incidents["event_date"].dt.to_period("M").unique())
    for period in periods if months is None else [p for p in periods if str(p) in months]:
        start, end = period.start_time.normalize(), period.end_time.normalize()
        html = out / f"pap-{period}.html"
        png = out / f"pap-{period}.png"
        katye.save_map(katye.make_map(incidents, control=control, start=start, end=end, lang=lang), html)
        katye.render_static(incidents, control=control, start=start, end=end, lang=lang, path=png)
        written += [html, png]
        print(f"{period}: {html.name}, {png.name}")
    return written


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("incidents", nargs="?")
    parser.add_argument("--out", type=Path, default=Path("maps"))
    parser.add_argument("--control")
    parser.add_argument("--lang", default="en", choices=["en", "fr", "ht"])
    parser.add_argument("--months", nargs="*", help="only these months (YYYY-MM)")
    args = parser.parse_args()
    source = args.incidents or katye.samples.path("acled")
    control = args.control or (None if args.incidents else katye.samples.path("control"))
    incidents = katye.read_incidents(source).incidents
    table = katye.read_control(control) if control else None
    build_series(incidents, args.out, control=table, lang=args.lang, months=args.months)


if __name__ == "__main__":
    main()
