"""Scripts and stylesheets inlined into every map, read from installed packages (no CDN)."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from pathlib import Path

import xstatic.pkg.leaflet as xleaflet


@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def leaflet_js() -> str:
    """Leaflet's minified script (xstatic-leaflet)."""
    return _read(Path(xleaflet.BASE_DIR) / "leaflet.js")


def leaflet_css() -> str:
    """Leaflet's stylesheet, with its image references removed so the page requests nothing.

    katye draws no marker icons and keeps the layer control open, so the images are never shown.
    """
    return re.sub(r"url\((['\"]?)images/[^)]*\)", "none", _read(Path(xleaflet.BASE_DIR) / "leaflet.css"))


def katye_js() -> str:
    """Katye's own map runtime."""
    return files("katye.render").joinpath("static/katye.js").read_text(encoding="utf-8")


def katye_css() -> str:
    """Katye's own map styles."""
    return files("katye.render").joinpath("static/katye.css").read_text(encoding="utf-8")


def script(source: str) -> str:
    """An inline <script> element; ``</script`` inside the source cannot close it early."""
    return "<script>" + source.replace("</script", "<\\/script") + "</script>"


def style(source: str) -> str:
    """An inline <style> element."""
    return "<style>" + source.replace("</style", "<\\/style") + "</style>"
