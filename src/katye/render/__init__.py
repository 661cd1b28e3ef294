"""Maps: self-contained HTML (Leaflet, inlined) and static images. The only package that imports folium."""

from katye.render.figure import render_static, save_static
from katye.render.html import make_map, save_map

__all__ = ["make_map", "render_static", "save_map", "save_static"]
