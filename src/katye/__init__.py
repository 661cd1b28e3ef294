"""katye: map insecurity in Port-au-Prince from incident data.

The shipped gazetteer lives in :mod:`katye.geodata`; see the README for the
command line and the data's sources and licences.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from katye import geodata, samples
from katye.errors import CRSError, InputError, KatyeError, UsageError
from katye.incidents import IncidentRead, ReadReport, read_incidents

try:
    __version__ = version("katye")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

logging.getLogger("katye").addHandler(logging.NullHandler())

__all__ = [
    "CRSError",
    "IncidentRead",
    "InputError",
    "KatyeError",
    "ReadReport",
    "UsageError",
    "__version__",
    "geodata",
    "read_incidents",
    "samples",
]
