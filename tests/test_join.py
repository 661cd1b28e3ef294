"""Incidents to zones: edges, vertices, holes, outside, any CRS, and the same answer as brute force."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import katye
from katye.join import PolygonIndex

# Three 0.01-degree squares in a row near Solino; c has a square hole in its middle.
A = shapely.box(-72.33, 18.54, -72.32, 18.55)
B = shapely.box(-72.32, 18.54, -72.31, 18.55)
C = shapely.Polygon(
    shapely.box(-72.31, 18.54, -72.30, 18.55).exterior.coords,
    [shapely.box(-72.306, 18.544, -72.304, 18.546).exterior.coords],
)


def squares(crs=4326) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame({"zone_id": ["b", "c", "a"], "name": ["Bee", "Sea", "Ay"]}, geometry=[B, C, A], crs=4326)
    return frame.to_crs(crs)


def incidents(points, crs=4326, precision=1) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"event_id": [f"e{i}" for i in range(len(points))], "geo_precision": precision},
        geometry=[shapely.Point(p) for p in points],
        crs=4326,
    )
    return frame.to_crs(crs)


def brute_force(polygons, x, y) -> np.ndarray:
    """The first polygon covering each point, one polygon at a time."""
    brute = np.full(x.size, -1)
    for i in range(len(polygons) - 1, -1, -1):
        brute[shapely.covers(polygons[i], shapely.points(x, y))] = i
    return brute


def both_ways(polygons, x, y, *, cells=1024, listed=True) -> tuple[np.ndarray, np.ndarray]:
    """An index's answers from its tree (before a grid is built) and from its grid, checked equal to brute force."""
    index = PolygonIndex(polygons, cells=cells)
    tree = index.lookup(x, y)  # few points, no grid yet: the tree answers
    assert index._grid is None
    index.grid  # noqa: B018 (builds the grid: from now on the grid answers)
    assert (index.candidates is not None) == listed  # the candidate fast path is the one under test
    grid = index.lookup(x, y)
    brute = brute_force(polygons, x, y)
    assert (tree == brute).all()
    assert (grid == brute).all()
    return tree, grid


CASES = {
    "inside a": ((-72.325, 18.545), "a", "exact"),
    "shared edge a|b goes to a": ((-72.32, 18.545), "a", "exact"),
    "shared vertex a|b goes to a": ((-72.32, 18.55), "a", "exact"),
    "edge b|c goes to b": ((-72.31, 18.541), "b", "exact"),
    "in the hole of c": ((-72.305, 18.545), "", "outside"),
    "on the hole's edge": ((-72.306, 18.545), "c", "exact"),
    "outer edge of c": ((-72.30, 18.545), "c", "exact"),
    "outside to the east": ((-72.29, 18.545), "", "outside"),
}


def test_hand_built_cases():
    points = [case[0] for case in CASES.values()]
    result = katye.assign(incidents(points), squares())
    for (name, (_, zone, kind)), row in zip(CASES.items(), result.itertuples(), strict=True):
        assert (row.zone_id, row.assignment) == (zone, kind), name
    names = dict(zip(result.zone_id, result.zone_name, strict=True))
    assert names["a"] == "Ay"
    assert names["c"] == "Sea"


def test_same_assignments_whatever_the_crs():
    # Reprojection moves a point on an edge by a hair to one side or the other: test the others.
    points = [case[0] for name, case in CASES.items() if "edge" not in name and "vertex" not in name]
    reference = katye.assign(incidents(points), squares())
    for zone_crs, point_crs in ((32618, 4326), (3857, 32618), (32618, 3857)):
        shifted = katye.assign(incidents(points, crs=point_crs), squares(crs=zone_crs))
        assert list(shifted.zone_id) == list(reference.zone_id)
        assert shifted.crs.to_epsg() == point_crs  # the caller's CRS is kept


def test_outside_points_get_their_distance_in_metres():
    # 0.01 degree of longitude east of c at 18.545 N is about 1,054 m.
    result = katye.assign(incidents([(-72.29, 18.545), (-72.305, 18.545)]), squares())
    assert result.distance_m.iloc[0] == pytest.approx(1054, rel=0.01)
    assert result.distance_m.iloc[1] == pytest.approx(105, rel=0.02)  # from the hole to its edge


def test_coarse_incidents_keep_section_and_commune_not_a_zone():
    solino = (-72.32186, 18.54961)
    result = katye.assign(incidents([solino, solino, solino]).assign(geo_precision=[1, 2, 3]))
    assert list(result.assignment) == ["exact", "coarse", "coarse"]
    assert list(result.zone_id) == ["solino", "", ""]
    assert list(result.section_pcode) == ["HT0111-01", "HT0111-01", ""]
    assert list(result.commune_pcode) == ["HT0111"] * 3
    assert np.isnan(result.distance_m.iloc[1])


def test_the_callers_frame_is_not_changed():
    frame = incidents([(-72.325, 18.545), (-72.29, 18.545)])
    before = frame.copy()
    result = katye.assign(frame, squares())
    assert frame.equals(before)
    assert "zone_id" not in frame.columns
    # Nor by changing the result afterwards, nor are the two frames' attrs one dict.
    result.loc[0, "event_id"] = "changed"
    result.geometry.values[1] = shapely.Point(0, 0)
    result.attrs["mine"] = 1
    assert frame.equals(before)
    assert "mine" not in frame.attrs


def test_location_precision_comes_back_tidy_in_the_type_pandas_gives_text():
    frame = incidents([(-72.325, 18.545)] * 4)
    for written, expected in (
        (["exact"] * 4, ["exact"] * 4),
        ([" Exact", "NEAR", None, ""], ["exact", "near", "unknown", "unknown"]),
    ):
        result = katye.assign(frame.assign(location_precision=written), squares())
        assert list(result["location_precision"]) == expected
        assert result["location_precision"].dtype == pd.Series(expected).dtype


def test_missing_crs_and_wrong_inputs_are_clear():
    frame = incidents([(-72.325, 18.545)]).set_crs(None, allow_override=True)
    with pytest.raises(katye.CRSError, match="no coordinate reference system"):
        katye.assign(frame, squares())
    with pytest.raises(katye.InputError, match="zone_id"):
        katye.assign(incidents([(-72.325, 18.545)]), squares().rename(columns={"zone_id": "code"}))


def test_shipped_zones_against_sjoin_on_the_sample():
    sample = katye.read_incidents(katye.samples.path()).incidents
    result = katye.assign(sample.assign(location_precision="exact"))
    zones = katye.geodata.zones()
    joined = gpd.sjoin(sample[["geometry"]], zones[["zone_id", "geometry"]], predicate="within", how="left")
    expected = joined.groupby(level=0)["zone_id"].first().fillna("")
    assert (result.zone_id == expected).all()


@settings(max_examples=60, deadline=None)
@given(
    boxes=st.lists(
        st.tuples(st.floats(0, 9), st.floats(0, 9), st.floats(0.2, 4), st.floats(0.2, 4)), min_size=1, max_size=8
    ),
    seed=st.integers(0, 10_000),
    cells=st.sampled_from([4, 16, 64]),
)
def test_fast_lookup_equals_brute_force_covers(boxes, seed, cells):
    polygons = [shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes]
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 14, 400)
    y = rng.uniform(-1, 14, 400)
    # Points exactly on edges and corners too, where ties must go to the first polygon.
    corners = shapely.get_coordinates(shapely.boundary(polygons))
    x = np.concatenate([x, corners[:, 0], np.round(x[:50])])
    y = np.concatenate([y, corners[:, 1], np.round(y[:50])])
    overlapping = any(a.intersection(b).area > 0 for a, b in itertools.combinations(polygons, 2))
    both_ways(polygons, x, y, cells=cells, listed=not overlapping)


def test_near_sites_measures_metres_in_utm():
    from pyproj import Transformer

    to_utm = Transformer.from_crs(4326, 32618, always_xy=True)
    to_lonlat = Transformer.from_crs(32618, 4326, always_xy=True)
    ax, ay = to_utm.transform(-72.292549, 18.58005)  # the airport site
    points = [to_lonlat.transform(ax + 1500, ay), to_lonlat.transform(ax, ay - 4000)]
    result = katye.near_sites(incidents(points), radii_m=(1000, 2000, 5000))
    assert result.dist_airport_m.tolist() == pytest.approx([1500, 4000], abs=0.01)
    assert result.within_airport_2000m.tolist() == [True, False]
    assert result.within_airport_5000m.tolist() == [True, True]
    assert "dist_mss_base_m" in result.columns
    assert "dist_us_embassy_m" in result.columns
    with pytest.raises(katye.UsageError, match="no site nowhere"):
        katye.near_sites(incidents(points), site_ids=["nowhere"])


@settings(max_examples=60, deadline=None)
@given(
    xs=st.lists(st.floats(0.5, 9.5), min_size=1, max_size=5, unique=True),
    ys=st.lists(st.floats(0.5, 9.5), min_size=1, max_size=5, unique=True),
    holes=st.booleans(),
    seed=st.integers(0, 10_000),
    cells=st.sampled_from([4, 16, 64, 256]),
)
def test_fast_lookup_on_tilings_equals_brute_force(xs, ys, holes, seed, cells):
    # A tiling like the shipped zones: no overlaps, shared edges, optionally holes.
    cuts_x, cuts_y = [0.0, *sorted(xs), 10.0], [0.0, *sorted(ys), 10.0]
    polygons = []
    for x0, x1 in itertools.pairwise(cuts_x):
        for y0, y1 in itertools.pairwise(cuts_y):
            cell = shapely.box(x0, y0, x1, y1)
            if holes and (x1 - x0) > 0.4 and (y1 - y0) > 0.4:
                cell = cell.difference(shapely.box(x0 + 0.1, y0 + 0.1, x0 + 0.3, y0 + 0.3))
            polygons.append(cell)
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(-1, 11, 500), shapely.get_coordinates(shapely.boundary(polygons))[:, 0]])
    y = np.concatenate([rng.uniform(-1, 11, 500), shapely.get_coordinates(shapely.boundary(polygons))[:, 1]])
    both_ways(polygons, x, y, cells=cells)


@settings(max_examples=60, deadline=None)
@given(
    hole=st.tuples(st.floats(1, 4), st.floats(1, 4), st.floats(0.5, 4), st.floats(0.5, 4)),
    island=st.tuples(st.floats(0.01, 0.45), st.floats(0.01, 0.45), st.floats(0.05, 0.5), st.floats(0.05, 0.5)),
    seed=st.integers(0, 10_000),
    cells=st.sampled_from([4, 16, 64]),
)
def test_fast_lookup_finds_islands_in_holes(hole, island, seed, cells):
    # A ring around a hole with an island in it, and a neighbour: points of the ring near the island
    # sit in cells marked for the island's boundary, however far their own ring's boundary is.
    hx, hy, hw, hh = hole
    ring = shapely.box(0, 0, 10, 10).difference(shapely.box(hx, hy, hx + hw, hy + hh))
    ix, iy, iw, ih = island
    inner = shapely.box(hx + ix * hw, hy + iy * hh, hx + (ix + iw) * hw, hy + (iy + ih) * hh)
    polygons = [inner, ring, shapely.box(10, 0, 12, 10)]
    rng = np.random.default_rng(seed)
    near = shapely.get_coordinates(shapely.boundary(polygons))
    x = np.r_[rng.uniform(-1, 13, 800), near[:, 0], near[:, 0] + rng.normal(0, 0.05, len(near))]
    y = np.r_[rng.uniform(-1, 11, 800), near[:, 1], near[:, 1] + rng.normal(0, 0.05, len(near))]
    both_ways(polygons, x, y, cells=cells)


def test_an_edge_clipping_a_cells_corner_between_two_samples_is_seen():
    # On a grid of unit cells from (-1, -1), boundaries are sampled every quarter cell. The edge
    # x + y = 8.1 has samples at x = 3.962 and 4.138 and none in the corner it clips off the
    # cell [4, 5] x [4, 5]: that cell must still count as a boundary cell, and (4.02, 4.02) go to
    # the lower polygon.
    lower = shapely.Polygon([(0, 0), (8, 0), (8, 0.1), (0.1, 8), (0, 8)])
    upper = shapely.Polygon([(8, 0.1), (8, 8), (0.1, 8)])
    x = np.array([4.02, 4.01, 4.06, 4.5])
    y = np.array([4.02, 4.08, 4.03, 4.5])
    _, grid = both_ways([lower, upper], x, y, cells=8)
    assert grid.tolist() == [0, 0, 0, 1]


def test_an_index_builds_its_grid_once_its_tree_has_answered_enough_points(monkeypatch):
    monkeypatch.setattr(katye.index, "GRID_MIN_POINTS", 1000)
    index = PolygonIndex([A, B, C])
    x, y = np.full(400, -72.325), np.full(400, 18.545)
    assert index.lookup(x, y).tolist() == [0] * 400
    assert index.lookup(x, y).tolist() == [0] * 400
    assert index._grid is None  # 800 points asked: the tree still answers
    assert index.lookup(x, y).tolist() == [0] * 400
    assert index._grid is not None  # 1,200: the grid is built and answers from now on


def test_cells_finer_than_the_coordinates_rounding_leave_the_answers_to_the_tree(monkeypatch):
    # Squares 1e-12 degree wide near Port-au-Prince: a grid of them cannot place a point in a
    # cell (doubles there are 1.4e-14 apart), so the index never answers from one.
    monkeypatch.setattr(katye.index, "GRID_MIN_POINTS", 1)
    squares = [shapely.box(-72.3 + i * 1e-12, 18.5, -72.3 + (i + 1) * 1e-12, 18.5 + 1e-12) for i in range(3)]
    x, y = np.array([-72.3 + 0.5e-12, -72.3 + 1.5e-12]), np.array([18.5 + 0.5e-12] * 2)
    index = PolygonIndex(squares)
    assert not index.gridded
    assert index.lookup(x, y).tolist() == brute_force(squares, x, y).tolist() == [0, 1]
    assert PolygonIndex([A, B, C]).gridded  # the shipped zones' scale is far from it


def test_points_far_away_or_nan_are_outside():
    x = np.array([np.nan, -200.0, 500.0, -72.325, np.inf])
    y = np.array([18.545, 18.545, 95.0, np.nan, 18.545])
    for answers in both_ways([A, B, C], x, y):
        assert answers.tolist() == [-1, -1, -1, -1, -1]


def test_an_incident_at_sea_is_outside_with_its_distance_to_the_coast():
    bay = shapely.Point(-72.40, 18.60)
    frame = gpd.GeoDataFrame({"location_precision": ["exact"]}, geometry=[bay], crs=4326)
    result = katye.assign(frame)
    land = katye.geodata.land().set_index("land_id").to_crs(32618).loc["metro", "geometry"]
    coast = land.distance(gpd.GeoSeries([bay], crs=4326).to_crs(32618).iloc[0])
    assert result["assignment"].iloc[0] == "outside"
    assert coast > 1000
    assert result["distance_m"].iloc[0] == pytest.approx(coast, abs=1.0)


def test_canaan_and_kenscoff_events_are_counted_in_zones():
    sites = katye.geodata.sites().set_index("site_id")
    frame = gpd.GeoDataFrame(
        {"location_precision": ["exact", "exact"]},
        geometry=[sites.loc["canaan", "geometry"], sites.loc["kenscoff", "geometry"]],
        crs=4326,
    )
    result = katye.assign(frame)
    assert list(result["zone_id"].astype(str)) == ["canaan", "kenscoff"]
