"""Distinct places among incident points: shared objects and repeated coordinates are found once."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import katye
from katye import places as places_module
from katye.places import coordinates, places


def _rows(found: places_module.Places) -> np.ndarray:
    return np.c_[found.per_row(found.x), found.per_row(found.y)]


def test_rows_on_one_object_or_one_coordinate_are_one_place():
    a, b = shapely.Point(-72.33, 18.54), shapely.Point(-72.30, 18.55)
    copy_of_a = shapely.Point(-72.33, 18.54)  # another object, the same place
    values = np.array([a, b, a, a, copy_of_a, b] * 100, dtype=object)
    found = places(values)
    assert len(found.x) == 2
    np.testing.assert_array_equal(_rows(found), shapely.get_coordinates(values))


def test_scattered_points_are_left_as_they_are():
    rng = np.random.default_rng(0)
    values = shapely.points(rng.uniform(0, 1, 10_000), rng.uniform(0, 1, 10_000))
    found = places(values)
    assert found.where is None  # no grouping: it would cost more than it saves
    np.testing.assert_array_equal(_rows(found), shapely.get_coordinates(values))


def test_missing_and_empty_points_have_nan_coordinates():
    values = np.array([shapely.Point(1, 2), None, shapely.Point(), shapely.Point(np.nan, 3)], dtype=object)
    x, y = coordinates(values)
    assert x[0] == 1
    assert y[0] == 2
    assert np.isnan(x[1:]).all()
    assert np.isnan(y[1:]).all()  # a half-NaN point is no place at all, never mixed with a real one


def test_a_shape_that_is_not_a_point_is_refused():
    values = np.array([shapely.Point(1, 2), shapely.box(0, 0, 1, 1)], dtype=object)
    with pytest.raises(katye.InputError, match="must be points"):
        places(values)


def test_any_marks_the_places_of_the_rows_asked():
    a, b, c = shapely.Point(0, 0), shapely.Point(1, 1), shapely.Point(2, 2)
    found = places(np.array([a, b, a, c] * 50, dtype=object))
    rows = np.zeros(200, dtype=bool)
    rows[3] = True  # a row on c
    marked = found.any(rows)
    assert marked.sum() == 1
    assert (found.x[marked], found.y[marked]) == ([2.0], [2.0])


POOL = [shapely.Point(x, y) for x, y in [(0, 0), (0, 1), (1, 0), (0.5, 0.5), (-72.3, 18.5)]] + [None]


def _value(pick: int):
    """One of the pool's points itself, or (for the higher numbers) a copy: another object, the same place."""
    point = POOL[pick % len(POOL)]
    return point if pick < len(POOL) or point is None else shapely.Point(point.x, point.y)


@settings(max_examples=80, deadline=None)
@given(
    picks=st.lists(st.integers(0, 2 * len(POOL) - 1), min_size=0, max_size=300),
    scattered=st.integers(0, 300),
)
def test_each_row_gets_its_own_coordinates_back(picks, scattered):
    # Shared objects, copies of them, scattered points, missing ones, in any mix and number.
    values = [_value(p) for p in picks] + list(shapely.points(np.arange(scattered) / 7, np.arange(scattered) / 3))
    values = np.array(values, dtype=object)
    found = places(values)
    x, y = coordinates(values)
    np.testing.assert_array_equal(found.per_row(found.x), x)
    np.testing.assert_array_equal(found.per_row(found.y), y)
    assert len(found.x) <= len(values)
