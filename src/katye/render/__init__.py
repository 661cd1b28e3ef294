"""Maps: self-contained HTML (Leaflet, inlined) and static images. The only package that imports folium."""

from katye.render.html import make_map, save_map

__all__ = ["make_map", "render_static", "save_map", "save_static"]


def __getattr__(name: str):
    # matplotlib loads only for a static figure: an HTML map does not wait for it.
    if name in ("render_static", "save_static"):
        from katye.render import figure

        return getattr(figure, name)
    raise AttributeError(f"module 'katye.render' has no attribute {name!r}")
