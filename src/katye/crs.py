"""Coordinate reference systems: katye stores EPSG:4326 and measures in EPSG:32618."""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from katye.errors import CRSError

STORAGE_CRS = "EPSG:4326"
#: UTM zone 18N: metres, and Port-au-Prince sits near its central meridian (75° W).
METRIC_CRS = "EPSG:32618"


def parse_crs(value, *, what: str) -> CRS:
    """Turn ``value`` (``"EPSG:32618"``, ``32618``, WKT, a ``pyproj.CRS``) into a CRS.

    Raises
    ------
    CRSError
        If pyproj does not know ``value``.

    """
    try:
        return CRS.from_user_input(value)
    except (ProjCRSError, TypeError) as exc:
        raise CRSError(
            f"{what}: {value!r} is not a coordinate reference system pyproj knows. "
            "Pass an EPSG code such as 'EPSG:32618' or 4326."
        ) from exc


def require_crs(frame: gpd.GeoDataFrame, *, what: str) -> CRS:
    """Return the CRS of ``frame``, or raise a :class:`CRSError` that says how to set one."""
    if frame.crs is None:
        raise CRSError(
            f"{what} has no coordinate reference system. katye does not guess one: "
            "set it with GeoDataFrame.set_crs('EPSG:…') (or, for a file, pass crs='EPSG:…' "
            "or add a .prj / CRS to the file) and try again."
        )
    return frame.crs


def to_storage(frame: gpd.GeoDataFrame, *, what: str) -> gpd.GeoDataFrame:
    """A copy of ``frame`` in EPSG:4326 (the caller's frame is left as it is)."""
    crs = require_crs(frame, what=what)
    if CRS.from_user_input(crs).equals(CRS.from_user_input(STORAGE_CRS)):
        out = frame.copy()
        return out.set_crs(STORAGE_CRS, allow_override=True)
    return frame.to_crs(STORAGE_CRS)
