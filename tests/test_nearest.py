"""Distances to the nearest zone: the segment grid and katye.assign give shapely's distances."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

import katye
from katye import join
from katye.nearest import NearestBoundary

TO_METRES = Transformer.from_crs(4326, 32618, always_xy=True)  # exact: the reference's projection


def _reference(polygons, x, y):
    return shapely.distance(shapely.union_all(polygons), shapely.points(x, y))


BOX = st.tuples(
    st.floats(0, 5000, allow_nan=False), st.floats(0, 5000, allow_nan=False), st.floats(1, 2000), st.floats(1, 2000)
)


@settings(max_examples=60, deadline=None)
@given(
    boxes=st.lists(BOX, min_size=1, max_size=6),
    seed=st.integers(0, 2**32 - 1),
    cells=st.sampled_from([4, 16, 64]),
    hole=st.booleans(),
)
# A segment 2e-162 long: its squared length is subnormal, and its inverse overflowed to inf.
@example(boxes=[(0.0, 0.0, 1.0, 1.0), (0.0, 2.1939590557749993e-162, 1.0, 1.0)], seed=0, cells=4, hole=False)
def test_grid_distances_equal_shapely(boxes, seed, cells, hole):
    polygons = [shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes]
    if hole:  # a hole: points in it are outside the polygon, and near its inner ring
        x, y, w, h = boxes[0]
        polygons[0] = polygons[0].difference(shapely.box(x + w / 4, y + h / 4, x + w / 2, y + h / 2))
    polygons = np.array([p for p in polygons if not p.is_empty], dtype=object)
    rng = np.random.default_rng(seed)
    # Near and far (beyond the grid's margin, where the tree answers), on one point many times,
    # and on the boundary itself (vertices: distance 0).
    corners = shapely.get_coordinates(shapely.boundary(polygons))
    x = np.r_[rng.uniform(-30_000, 40_000, 300), np.full(20, 7000.0), corners[:, 0]]
    y = np.r_[rng.uniform(-30_000, 40_000, 300), np.full(20, -100.0), corners[:, 1]]
    grid = NearestBoundary(polygons, cells=cells)
    # Cell corners: the points of a cell farthest from its centre, where a list cut too short fails.
    col, row = rng.integers(0, grid.cols, 300), rng.integers(0, grid.rows, 300)
    x, y = np.r_[x, grid.x0 + col * grid.size], np.r_[y, grid.y0 + row * grid.size]
    outside = ~shapely.contains_xy(shapely.union_all(polygons), x, y)
    x, y = x[outside], y[outside]
    np.testing.assert_allclose(grid.distance(x, y), _reference(polygons, x, y), rtol=0, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    boxes=st.lists(BOX, min_size=1, max_size=6),
    seed=st.integers(0, 2**32 - 1),
    cells=st.sampled_from([4, 16, 64]),
    spread=st.floats(10, 3000),
)
def test_far_points_stacked_on_a_few_towns_get_shapelys_distances(boxes, seed, cells, spread):
    # Off the grid, points that stack are measured per bin of points: each bin's list must hold
    # the nearest segment of its every point, the bin's corners too.
    polygons = np.array([shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes], dtype=object)
    grid = NearestBoundary(polygons, cells=cells)
    rng = np.random.default_rng(seed)
    towns = rng.uniform(-60_000, 70_000, (3, 2))
    x = np.concatenate([t[0] + rng.uniform(-spread, spread, 60) for t in towns])
    y = np.concatenate([t[1] + rng.uniform(-spread, spread, 60) for t in towns])
    size = grid.size * 8  # the bins' corners, where a list cut too short fails
    x = np.r_[x, grid.x0 + np.round((x - grid.x0) / size) * size]
    y = np.r_[y, grid.y0 + np.round((y - grid.y0) / size) * size]
    far = ~(
        (x >= grid.x0) & (x < grid.x0 + grid.cols * grid.size) & (y >= grid.y0) & (y < grid.y0 + grid.rows * grid.size)
    )
    x, y = x[far], y[far]
    np.testing.assert_allclose(grid.distance(x, y), _reference(polygons, x, y), rtol=0, atol=1e-6)


def test_grid_gives_nan_for_missing_coordinates():
    grid = NearestBoundary([shapely.box(0, 0, 10, 10)], cells=8)
    distance = grid.distance(np.array([np.nan, 20.0, np.inf]), np.array([5.0, np.nan, 5.0]))
    assert np.isnan(distance).all()


ZONES = katye.geodata.zones()
MINX, MINY, MAXX, MAXY = ZONES.total_bounds
#: Every vertex of the zones' boundaries: points exactly on an edge's end.
VERTICES = shapely.get_coordinates(shapely.boundary(ZONES.geometry.values))
RINGS = shapely.get_parts(shapely.boundary(ZONES.geometry.values))

AROUND = st.tuples(st.floats(MINX - 0.2, MAXX + 0.2), st.floats(MINY - 0.2, MAXY + 0.2))
FAR = st.tuples(st.floats(-80.0, -60.0), st.floats(10.0, 25.0))  # Jamaica to Puerto Rico and beyond
VERTEX = st.integers(0, len(VERTICES) - 1).map(lambda i: tuple(VERTICES[i]))
ON_EDGE = st.tuples(st.integers(0, len(RINGS) - 1), st.floats(0, 1)).map(
    lambda pick: shapely.get_coordinates(shapely.line_interpolate_point(RINGS[pick[0]], pick[1], normalized=True))[0]
)


def _frame(points) -> gpd.GeoDataFrame:
    x, y = np.array(points, dtype=float).reshape(-1, 2).T
    return gpd.GeoDataFrame({"location_precision": np.full(len(x), "exact")}, geometry=shapely.points(x, y), crs=4326)


def _check_against_shapely(result: gpd.GeoDataFrame) -> None:
    """Zones as brute force ``covers`` gives them, distances as shapely measures them in EPSG:32618."""
    x, y = result.geometry.x.to_numpy(), result.geometry.y.to_numpy()
    points = shapely.points(x, y)
    zones = katye.geodata.resolve_zones()  # sorted by zone_id: the first covering zone wins
    expected = np.full(len(x), "", dtype=object)
    for zone_id, polygon in zip(zones["zone_id"][::-1], zones.geometry.values[::-1], strict=True):
        expected[shapely.covers(polygon, points)] = zone_id
    assert list(result["zone_id"].astype(str)) == list(expected)
    outside = (result["assignment"] == "outside").to_numpy()
    assert (outside == (expected == "")).all()
    metric = shapely.points(*TO_METRES.transform(x, y))
    measured = shapely.distance(shapely.union_all(zones.to_crs(32618).geometry.values), metric)
    distance = result["distance_m"].to_numpy()
    assert (distance[~outside] == 0).all()
    # To a millimetre (the fast projection is within 0.2 mm), far inside the 1 m promised...
    bowed = outside & (measured == 0)
    np.testing.assert_allclose(distance[outside & ~bowed], measured[outside & ~bowed], rtol=0, atol=1e-3)
    # ...except right on an edge: straight in degrees and straight in metres are not the same line
    # (at most 5.4 cm apart on the shipped zones' longest edge, 2.7 km), so a point just outside in
    # degrees may be just inside in metres. It keeps its distance to the edge, as small as that.
    assert (distance[bowed] < 0.06).all()


@settings(max_examples=40, deadline=None)
@given(
    points=st.lists(st.one_of(AROUND, FAR, VERTEX, ON_EDGE), min_size=1, max_size=40),
    stacked=st.integers(0, 3),
    grid=st.booleans(),
)
def test_assign_equals_shapely_near_far_and_on_edges(points, stacked, grid):
    # Some points repeated, as ACLED stacks events on neighbourhood centres.
    points = points + points[:stacked] * 30
    original = join._grid_pays
    join._grid_pays = lambda places, *, shipped: grid  # both ways of measuring, the same answers
    try:
        result = katye.assign(_frame(points))
    finally:
        join._grid_pays = original
    _check_against_shapely(result)


def test_assign_on_many_scattered_and_stacked_points_equals_shapely():
    rng = np.random.default_rng(4)
    x, y = rng.uniform(MINX - 0.1, MAXX + 0.1, 3000), rng.uniform(MINY - 0.1, MAXY + 0.1, 3000)
    stacked = np.repeat(np.c_[x[:50], y[:50]], 40, axis=0)
    frame = _frame(np.r_[np.c_[x, y], stacked, VERTICES[::7]])
    result = katye.assign(frame)
    assert (result["assignment"] == "outside").sum() > 1000
    _check_against_shapely(result)


@pytest.mark.parametrize("grid", [True, False])
def test_user_zones_are_measured_like_the_shipped_ones(monkeypatch, grid):
    zones = ZONES.iloc[::3].copy()  # every third zone: gaps between them to measure across
    monkeypatch.setattr(join, "_grid_pays", lambda places, *, shipped: grid)
    rng = np.random.default_rng(5)
    frame = _frame(np.c_[rng.uniform(MINX, MAXX, 500), rng.uniform(MINY, MAXY, 500)])
    result = katye.assign(frame, zones)
    outside = (result["assignment"] == "outside").to_numpy()
    metric = shapely.points(*TO_METRES.transform(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()))
    measured = shapely.distance(shapely.union_all(zones.to_crs(32618).geometry.values), metric)
    assert outside.sum() > 100
    np.testing.assert_allclose(result["distance_m"].to_numpy()[outside], measured[outside], rtol=0, atol=1e-3)


def test_the_fast_projection_matches_the_exact_one_over_haiti_and_beyond():
    lon, lat = np.meshgrid(np.linspace(-90, -55, 71), np.linspace(10, 25, 31))
    x, y = join._to_metric(lon.ravel(), lat.ravel())
    ex, ey = TO_METRES.transform(lon.ravel(), lat.ravel())
    assert np.abs(np.r_[x - ex, y - ey]).max() < 2e-4  # exact beyond 5° from 75° W, 0.2 mm within
    nan_x, nan_y = join._to_metric(np.array([np.nan]), np.array([18.5]))
    assert np.isnan(nan_x).all()
    assert np.isnan(nan_y).all()
