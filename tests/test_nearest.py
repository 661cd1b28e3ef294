"""Distances to the nearest zone by the segment grid: the same as a nearest query over whole polygons."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import katye
from katye import join
from katye.nearest import NearestBoundary


def _reference(polygons, x, y):
    tree = shapely.STRtree(polygons)
    (which, _), found = tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
    out = np.empty(len(x))
    out[which] = found
    return out


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
def test_grid_distances_equal_the_nearest_query(boxes, seed, cells, hole):
    polygons = [shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes]
    if hole:  # a hole: points in it are outside the polygon, and near its inner ring
        x, y, w, h = boxes[0]
        polygons[0] = polygons[0].difference(shapely.box(x + w / 4, y + h / 4, x + w / 2, y + h / 2))
    polygons = np.array([p for p in polygons if not p.is_empty], dtype=object)
    rng = np.random.default_rng(seed)
    # Near and far (beyond the grid's margin, where the tree answers), and on one point many times.
    x = np.r_[rng.uniform(-30_000, 40_000, 300), np.full(20, 7000.0)]
    y = np.r_[rng.uniform(-30_000, 40_000, 300), np.full(20, -100.0)]
    outside = ~shapely.contains_xy(shapely.union_all(polygons), x, y)
    x, y = x[outside], y[outside]
    grid = NearestBoundary(polygons, cells=cells)
    np.testing.assert_allclose(grid.distance(x, y), _reference(polygons, x, y), rtol=0, atol=1e-6)


def test_assign_measures_the_same_distances_with_the_grid(monkeypatch):
    rng = np.random.default_rng(4)
    minx, miny, maxx, maxy = katye.geodata.zones().total_bounds
    x, y = rng.uniform(minx - 0.1, maxx + 0.1, 3000), rng.uniform(miny - 0.1, maxy + 0.1, 3000)
    points = katye.geodata.zones().iloc[:0][["geometry"]].copy()
    incidents = points.reindex(range(3000))
    incidents["geometry"] = shapely.points(x, y)
    incidents = incidents.set_crs("EPSG:4326", allow_override=True)
    incidents["location_precision"] = "exact"
    by_tree = katye.assign(incidents)
    monkeypatch.setattr(join, "GRID_MIN_PLACES", 0)
    by_grid = katye.assign(incidents)
    outside = (by_tree["assignment"] == "outside").to_numpy()
    assert outside.sum() > 1000
    np.testing.assert_allclose(by_grid["distance_m"], by_tree["distance_m"], rtol=0, atol=1e-6)
