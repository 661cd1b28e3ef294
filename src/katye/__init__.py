"""katye: map insecurity in Port-au-Prince from incident data.

The shipped gazetteer lives in :mod:`katye.geodata`; see the README for the
command line and the data's sources and licences.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from katye import geodata, samples

# Modules are named apart from the functions they hold (katye.scoring holds katye.risk), so
# ``import katye.scoring`` gives the module and ``katye.risk`` the function.
from katye.control import control_as_of, infer_control, read_control
from katye.errors import CRSError, InputError, KatyeError, UsageError
from katye.gistar import hotspots
from katye.incidents import IncidentRead, ReadReport, read_incidents
from katye.incidents.actors import read_actors
from katye.incidents.columns import plain_text
from katye.join import assign, near_sites
from katye.kde import DensitySurface, density
from katye.mapdata import MapData, prepare
from katye.scoring import risk, summarize


def __getattr__(name: str):
    # The map functions import folium and matplotlib; load them only when asked for.
    if name in ("make_map", "save_map", "render_static"):
        from katye import render

        return getattr(render, name)
    raise AttributeError(f"module 'katye' has no attribute {name!r}")


try:
    __version__ = version("katye")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

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
    "density",
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
    "render_static",
    "risk",
    "samples",
    "save_map",
    "summarize",
]
