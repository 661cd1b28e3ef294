"""The distinct places among many incident points, found cheaply, so that each is looked up once.

Real exports stack thousands of events on a few hundred points, and :func:`katye.read_incidents`
gives the rows on one coordinate one shared shapely object. Reading a million points' coordinates
costs more than anything done with them afterwards, so places are found in two steps, each
skipped when a sample shows most rows distinct (then it would cost more than it saves):

1. rows holding the same object, told by identity: the array's object pointers read as integers
   (never followed), with no Python call and no geometry access per row;
2. rows with equal coordinates, exactly (no rounding).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from katye.errors import InputError
from katye.incidents.columns import pair_codes

#: Rows sampled to tell stacked incidents from scattered ones.
SAMPLE_ROWS = 4096
#: Distinct objects per sampled row above which rows are not grouped by object: telling objects
#: apart is cheap (one integer hash a row), so even a few repeats pay.
SCATTERED_OBJECTS = 0.8
#: The same for coordinate pairs, which cost three hashes a row.
SCATTERED_PAIRS = 0.5


@dataclass(frozen=True)
class Places:
    """Distinct places (``x``, ``y``; NaN where a row has no point) and each row's place."""

    x: np.ndarray
    y: np.ndarray
    #: Each row's place; None when each row is its own place (row ``i`` is place ``i``).
    where: np.ndarray | None

    def per_row(self, values: np.ndarray) -> np.ndarray:
        """Values of the places, one per row."""
        return values if self.where is None else values[self.where]

    def any(self, rows: np.ndarray) -> np.ndarray:
        """For each place, True if any of its rows is True in ``rows``."""
        if self.where is None:
            return rows
        out = np.zeros(len(self.x), dtype=bool)
        out[self.where[rows]] = True
        return out


def places(geometry) -> Places:
    """The distinct places of point geometries (an array of shapely points, None or empty for none).

    Raises
    ------
    InputError
        Some geometry is not a point.

    """
    values = np.ascontiguousarray(np.asarray(geometry, dtype=object))
    objects = _shared(_object_codes, SCATTERED_OBJECTS, values)
    if objects is not None:
        values = values[objects[1]]
    spots = places_xy(*coordinates(values))
    if objects is None:
        return spots
    return Places(spots.x, spots.y, objects[0] if spots.where is None else spots.where[objects[0]])


def places_xy(x: np.ndarray, y: np.ndarray) -> Places:
    """The distinct places among coordinates (NaN pairs where a row has no point), equal pairs grouped exactly."""
    pairs = _shared(pair_codes, SCATTERED_PAIRS, x, y)
    if pairs is None:
        return Places(x, y, None)
    return Places(x[pairs[1]], y[pairs[1]], pairs[0])


def coordinates(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates of each point, as x and y; NaN (both) where there is none (None or an empty point)."""
    try:
        # NaN for anything that is not a point: only those rows' types are checked below.
        x, y = shapely.get_x(values), shapely.get_y(values)
    except shapely.errors.GEOSException:  # an empty point
        x, y = np.full(len(values), np.nan), np.full(len(values), np.nan)
        located = np.flatnonzero(shapely.get_type_id(values) == 0)
        coords, row = shapely.get_coordinates(values[located], return_index=True)
        x[located[row]], y[located[row]] = coords[:, 0], coords[:, 1]
    unplaced = np.flatnonzero(np.isnan(x) | np.isnan(y))
    if unplaced.size:
        if not np.isin(shapely.get_type_id(values[unplaced]), (-1, 0)).all():
            raise InputError("the incidents must be points; some geometries are not. Use read_incidents().")
        x[unplaced] = y[unplaced] = np.nan  # one NaN pair: one place, never mixed with a real one
    return x, y


def _shared(codes, scattered: float, *columns: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``codes(*columns)`` (each row's code, each code's first row), or None when a sample is mostly distinct.

    Up to ``SAMPLE_ROWS`` rows are always grouped: it costs next to nothing.
    """
    rows = len(columns[0])
    if rows > SAMPLE_ROWS:
        sample = [column[:: rows // SAMPLE_ROWS] for column in columns]
        if len(codes(*sample)[1]) > scattered * len(sample[0]):
            return None
    return codes(*columns)


def _object_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's object, numbered in order of first appearance, and each object's first row."""
    where, uniques = pd.factorize(np.asarray(_Addresses(values)), sort=False)
    first = np.full(len(uniques), len(where), dtype=np.int64)
    np.minimum.at(first, where, np.arange(len(where)))  # each object's lowest row
    return where, first


class _Addresses:
    """An object array's pointers seen as unsigned integers: identity, without a Python call per row.

    Only read, never followed; the array is kept alive by this view for as long as it is used.
    """

    def __init__(self, values: np.ndarray) -> None:
        values = np.ascontiguousarray(values, dtype=object).reshape(-1)
        self.values = values
        self.__array_interface__ = {
            "shape": values.shape,
            "typestr": np.dtype(np.uintp).str,
            "data": (values.ctypes.data, True),
            "version": 3,
        }
