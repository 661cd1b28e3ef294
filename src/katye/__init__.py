"""katye: map insecurity in Port-au-Prince from incident data.

The shipped gazetteer lives in :mod:`katye.geodata`; see the README for the
command line and the data's sources and licences.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging

from katye.errors import CRSError, InputError, KatyeError, UsageError

# Everything else loads on first use (PEP 562), so that ``katye --help`` and ``import katye`` do
# not pay for geopandas, scipy, folium and matplotlib before they are needed. Modules are named
# apart from the functions they hold (katye.scoring holds katye.risk).
_LAZY = {
    "control_as_of": "katye.control",
    "infer_control": "katye.control",
    "read_control": "katye.control",
    "corridor_risk": "katye.corridors",
    "read_roads": "katye.corridors",
    "hotspots": "katye.gistar",
    "emerging_hotspots": "katye.emerging",
    "IncidentRead": "katye.incidents",
    "ReadReport": "katye.incidents",
    "read_incidents": "katye.incidents",
    "read_actors": "katye.incidents.actors",
    "plain_text": "katye.incidents.columns",
    "assign": "katye.join",
    "near_sites": "katye.join",
    "DensitySurface": "katye.kde",
    "density": "katye.kde",
    "event_exposure": "katye.exposure",
    "exposure_rates": "katye.exposure",
    "zone_population": "katye.exposure",
    "MapData": "katye.mapdata",
    "prepare": "katye.mapdata",
    "risk": "katye.scoring",
    "summarize": "katye.scoring",
    "make_map": "katye.render",
    "save_map": "katye.render",
    "render_static": "katye.render",
}


def __getattr__(name: str):
    if name == "__version__":
        globals()[name] = _installed_version()
        return globals()[name]
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"katye.{name}") is not None:
        return importlib.import_module(f"katye.{name}")  # a submodule: katye.geodata, katye.samples …
    raise AttributeError(f"module 'katye' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, "__version__", "geodata", "samples"})


def _installed_version() -> str:
    """The installed distribution's version (importlib.metadata costs ~50 ms: read on first use)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("katye")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


logging.getLogger("katye").addHandler(logging.NullHandler())

__all__ = [
    "CRSError",
    "DensitySurface",
    "IncidentRead",
    "InputError",
    "KatyeError",
    "MapData",
    "ReadReport",
    "UsageError",
    "__version__",
    "assign",
    "control_as_of",
    "corridor_risk",
    "density",
    "emerging_hotspots",
    "event_exposure",
    "exposure_rates",
    "geodata",
    "hotspots",
    "infer_control",
    "make_map",
    "near_sites",
    "plain_text",
    "prepare",
    "read_actors",
    "read_control",
    "read_incidents",
    "read_roads",
    "render_static",
    "risk",
    "samples",
    "save_map",
    "summarize",
    "zone_population",
]
