"""Scripts and stylesheets inlined into every map, read from installed packages (no CDN)."""

from __future__ import annotations

import base64
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
    """Leaflet's stylesheet with its images inlined or removed, so the page requests nothing.

    The layer control's icon (shown when the control is folded, on narrow screens) is inlined as a
    data URI; marker icons, which katye never draws, are removed.
    """
    folder = Path(xleaflet.BASE_DIR)

    def inline(match: re.Match) -> str:
        name = match.group(2)
        if not name.startswith("layers"):
            return "none"
        data = base64.b64encode((folder / "images" / name).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((['\"]?)images/([^)'\"]*)\1\)", inline, _read(folder / "leaflet.css"))


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
