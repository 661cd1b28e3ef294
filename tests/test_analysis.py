"""Risk, trend, hot spots, density, control and summaries, checked against hand computations."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import katye
from katye.scoring import trend_band


def grid_zones(n: int = 3, size_deg: float = 0.01) -> gpd.GeoDataFrame:
    """An n x n lattice of squares near Port-au-Prince, ids z00 … z22 (row, column)."""
    zones = []
    for r in range(n):
        for c in range(n):
            x0, y0 = -72.34 + c * size_deg, 18.53 + r * size_deg
            zones.append(
                {
                    "zone_id": f"z{r}{c}",
                    "name": f"Z{r}{c}",
                    "geometry": shapely.box(x0, y0, x0 + size_deg, y0 + size_deg),
                }
            )
    return gpd.GeoDataFrame(zones, crs=4326)


def events(rows) -> gpd.GeoDataFrame:
    """rows: (zone centre lon, lat, date, event_type, fatalities, actor1, actor2)."""
    frame = pd.DataFrame(rows, columns=["lon", "lat", "event_date", "event_type", "fatalities", "actor1", "actor2"])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    frame["geo_precision"] = 1
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.lon, frame.lat), crs=4326)


def centre(zones, zone_id):
    point = zones.set_index("zone_id").loc[zone_id, "geometry"].centroid
    return point.x, point.y


def test_risk_index_by_hand():
    zones = grid_zones()
    x, y = centre(zones, "z11")
    rows = [
        (x, y, "2024-11-30", "Battles", 1, "A Gang", ""),
        (x, y, "2024-10-31", "Battles", 1, "A Gang", ""),  # 30 days old: half weight
        (x, y, "2024-11-30", "Protests", 0, "Protesters (Haiti)", ""),
        (x, y, "2024-08-01", "Battles", 5, "A Gang", ""),
    ]  # 121 days old: outside a 90-day window
    result = katye.risk(events(rows), zones, as_of="2024-11-30", window_days=90, half_life_days=30)
    row = result.set_index("zone_id").loc["z11"]
    expected_score = (1 + math.log(2)) * 1.0 + (1 + math.log(2)) * 0.5 + 0.1 * 1.0
    assert row["score"] == pytest.approx(expected_score)
    assert row["risk_index"] == pytest.approx(expected_score)  # per zone by default
    per_km2 = katye.risk(events(rows), zones, as_of="2024-11-30", per="km2").set_index("zone_id").loc["z11"]
    assert per_km2["risk_index"] == pytest.approx(expected_score / row["area_km2"])
    assert row["events"] == 3
    assert row["fatalities"] == 2
    assert row["events_previous"] == 1
    assert row["risk_class"] != "none"
    assert set(result.drop(index=result.index[result.zone_id == "z11"]).risk_class) == {"none"}
    assert result.attrs["katye_method"]["half_life_days"] == 30


@pytest.mark.parametrize(
    ("current", "previous", "band"),
    [
        (13, 10, "large increase"),
        (12, 10, "moderate increase"),
        (11, 10, "moderate increase"),
        (10, 10, "limited change"),
        (8, 10, "limited change"),
        (7, 10, "large decrease"),
        (3, 2, "low baseline"),
        (6, 0, "new activity"),
        (0, 0, "low baseline"),
    ],
)
def test_trendfinder_bands(current, previous, band):
    assert trend_band(current, previous, low_baseline=5)[1] == band


def test_risk_classes_use_mapclassify_schemes_case_insensitively():
    zones = grid_zones()
    rows = []
    for i, zone_id in enumerate(sorted(zones.zone_id)):
        x, y = centre(zones, zone_id)
        rows += [(x, y, "2024-11-30", "Battles", 0, "G", "")] * (i + 1)
    for scheme in ("quantiles", "Fisher_Jenks"):
        result = katye.risk(events(rows), zones, as_of="2024-11-30", scheme=scheme)
        ordered = result.sort_values("risk_index").risk_class.tolist()
        assert ordered[0] == "very low"
        assert ordered[-1] == "very high"
    with pytest.raises(katye.UsageError, match="scheme='equal'"):
        katye.risk(events(rows), zones, as_of="2024-11-30", scheme="equal")


def test_getis_ord_gi_star_matches_the_formula():
    zones = grid_zones()
    values = pd.Series(
        [9.0, 8.0, 1.0, 7.0, 1.0, 0.0, 1.0, 0.0, 0.0],
        index=["z00", "z01", "z02", "z10", "z11", "z12", "z20", "z21", "z22"],
    )
    result = katye.hotspots(values, zones, permutations=99, seed=1).set_index("zone_id")
    # Gi* by hand, Queen neighbours plus self, binary weights.
    x = values.reindex(sorted(values.index)).to_numpy()
    n, mean, s = len(x), x.mean(), math.sqrt((x**2).mean() - x.mean() ** 2)
    neighbours = {"z00": ["z00", "z01", "z10", "z11"], "z22": ["z22", "z21", "z12", "z11"]}
    for zone_id, members in neighbours.items():
        w = len(members)
        total = values[members].sum()
        z = (total - mean * w) / (s * math.sqrt((n * w - w**2) / (n - 1)))
        assert result.loc[zone_id, "gi_z"] == pytest.approx(z)
    assert result.loc["z00", "gi_z"] > 0 > result.loc["z22", "gi_z"]
    again = katye.hotspots(values, zones, permutations=99, seed=1).set_index("zone_id")
    assert again.p_sim.equals(result.p_sim)  # fixed seed, same pseudo p-values


def test_hot_spot_classes_are_fdr_corrected():
    zones = grid_zones(6)
    values = pd.Series(0.0, index=zones.zone_id)
    values[[f"z{r}{c}" for r in range(3) for c in range(3)]] = 50.0
    result = katye.hotspots(values, zones, permutations=999, seed=0).set_index("zone_id")
    assert result.loc["z11", "hotspot"].startswith("hot")
    assert set(result.hotspot) <= {
        "hot 99%",
        "hot 95%",
        "hot 90%",
        "cold 99%",
        "cold 95%",
        "cold 90%",
        "not significant",
    }


def test_density_keeps_all_the_mass_and_places_it():
    sample = katye.read_incidents(katye.samples.path()).incidents
    surface = katye.density(sample, bandwidth_m=500, cell_m=100)
    assert surface.mass() == pytest.approx(len(sample), rel=0.005)
    weighted = katye.density(sample, weights="fatalities")
    assert weighted.mass() == pytest.approx(sample.fatalities.sum(), rel=0.005)
    row, col = np.unravel_index(np.argmax(surface.values), surface.values.shape)
    a, _, c, _, e, f = surface.transform
    peak = gpd.GeoSeries([shapely.Point(c + (col + 0.5) * a, f + (row + 0.5) * e)], crs=32618).to_crs(4326)
    assert katye.geodata.communes().covers(peak.iloc[0]).any()


def test_density_saves_with_its_transform(tmp_path):
    one = events([(-72.3, 18.55, "2024-01-01", "Battles", 0, "G", "")])
    surface = katye.density(one, bandwidth_m=200, cell_m=50)
    path = surface.save(tmp_path / "kde.npz")
    saved = np.load(path)
    assert np.allclose(saved["values"], surface.values)
    assert tuple(saved["transform"]) == surface.transform
    assert str(saved["crs"]) == "EPSG:32618"


# Without scipy (it costs `katye map` ~90 ms to import), the same bits as scipy.ndimage: a drift in
# the order of the arithmetic would change the map, so these compare exactly, not approximately.


def _random_grid(seed: int, shape: tuple[int, int]) -> np.ndarray:
    """Counts, weights spanning magnitudes, negatives and exact zeros: rounding shows if the order drifts."""
    rng = np.random.default_rng(seed)
    grid = rng.poisson(0.4, shape) * rng.choice([1.0, 0.1, 3.7e5, -2.5e-3], shape)
    return grid + rng.normal(0, 1e-3, shape) * (rng.random(shape) < 0.2)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.tuples(st.integers(1, 45), st.integers(1, 45)),
    st.one_of(
        st.floats(0.01, 0.124),  # radius 0 at truncate 4
        st.floats(0.126, 0.37),  # radius 1
        st.floats(0.38, 9.0),
        st.sampled_from([0.0, 1e-16, 5.0, 2.5, 1 / 3]),
    ),
    st.sampled_from([4.0, 3.0, 1.0, 2.7]),
)
def test_gaussian_smooth_equals_scipys_gaussian_filter_exactly(seed, shape, sigma, truncate):
    from scipy import ndimage

    from katye.kde import gaussian_smooth

    grid = _random_grid(seed, shape)
    expected = ndimage.gaussian_filter(grid, sigma=sigma, mode="constant", truncate=truncate)
    np.testing.assert_array_equal(gaussian_smooth(grid, sigma, truncate), expected)


def test_gaussian_smooth_equals_scipy_on_a_map_sized_grid():
    from scipy import ndimage

    from katye.kde import TRUNCATE, gaussian_smooth

    grid = np.random.default_rng(7).poisson(0.05, (700, 520)).astype(float)  # rows over several blocks
    for sigma in (5.0, 12.5):
        expected = ndimage.gaussian_filter(grid, sigma=sigma, mode="constant", truncate=TRUNCATE)
        np.testing.assert_array_equal(gaussian_smooth(grid, sigma, TRUNCATE), expected)


def test_density_smooths_as_scipy_does(monkeypatch):
    from scipy import ndimage

    sample = katye.read_incidents(katye.samples.path()).incidents
    ours = katye.density(sample, bandwidth_m=500, cell_m=100, weights="fatalities")
    # density() as it was with scipy's filter: the surface is the same to the last bit.
    monkeypatch.setattr(
        "katye.kde.gaussian_smooth",
        lambda grid, sigma, truncate: ndimage.gaussian_filter(grid, sigma=sigma, mode="constant", truncate=truncate),
    )
    np.testing.assert_array_equal(
        ours.values, katye.density(sample, bandwidth_m=500, cell_m=100, weights="fatalities").values
    )


def _coordinates(rng, length: int, size: int) -> np.ndarray:
    """Positions along an axis of ``length`` cells: inside, on the edges, just and far outside, NaN."""
    last = length - 1.0
    kinds = [
        rng.uniform(0, last, size),
        rng.uniform(0, 1e-6, size) + rng.integers(0, length, size),  # tiny fractions: 1 - (1 - f) is not f
        rng.integers(0, length, size).astype(float),
        np.full(size, 0.0),
        np.full(size, last),
        np.nextafter(np.full(size, last), np.inf),
        np.nextafter(np.full(size, 0.0), -np.inf),
        np.full(size, -0.0),
        rng.uniform(-1.5, 0, size),
        rng.uniform(last, last + 1.5, size),
        rng.uniform(-1e6, 1e6, size),
        np.array([np.nan, np.inf, -np.inf, 1e300, -1e300, -1.0, length, last - 1e-13, 1e-300, 0.5][:size]),
    ]
    return rng.permutation(np.concatenate(kinds))


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.tuples(st.integers(1, 9), st.integers(1, 9)))
def test_bilinear_equals_scipys_map_coordinates_exactly(seed, shape):
    from scipy import ndimage

    from katye.kde import bilinear

    rng = np.random.default_rng(seed)
    values = _random_grid(seed, shape)  # many exact zeros: one tap's weight alone decides a value
    if seed % 3 == 0:  # an infinite or NaN cell: a tap of weight 0 (scipy's, at the last index) shows
        values[rng.integers(0, shape[0]), rng.integers(0, shape[1])] = rng.choice([np.inf, -np.inf, np.nan])
    rows, cols = _coordinates(rng, shape[0], 10), _coordinates(rng, shape[1], 10)
    expected = ndimage.map_coordinates(values, [rows, cols], order=1, cval=0.0)
    ours = bilinear(values, rows, cols)
    np.testing.assert_array_equal(ours, expected)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(expected))  # even the sign of a zero
    # On a grid of positions, as the map samples them.
    grid_rows, grid_cols = np.meshgrid(rows[:20], cols[:15], indexing="ij")
    expected = ndimage.map_coordinates(values, [grid_rows, grid_cols], order=1, cval=0.0)
    np.testing.assert_array_equal(bilinear(values, grid_rows, grid_cols), expected)


def test_control_table_is_checked_with_line_numbers(tmp_path):
    path = tmp_path / "control.csv"
    path.write_text(
        "zone_id,as_of,status,actor,source,confidence,note\n"
        "solino,2024-01-01,state,PNH,me,high,\n"
        "nowhere,2024-01-01,gang,X,me,low,\n"
        "solino,2024-10-20,occupied,X,me,low,\n"
        "airport,someday,international,MSS,me,low,\n",
        encoding="utf-8",
    )
    with pytest.raises(katye.InputError) as error:
        katye.read_control(path)
    message = str(error.value)
    assert "unknown zone_id (nowhere) at line 3" in message
    assert "status must be one of state, contested, gang, international, unknown at line 4" in message
    assert "as_of must be a date (YYYY-MM-DD, 1900 to 2100) at line 5" in message


def test_control_snapshot_takes_the_latest_row_on_or_before_the_date():
    table = katye.read_control(katye.samples.path("control"))
    assert table["note"].str.startswith("ILLUSTRATIVE").all()
    before = katye.control_as_of(table, "2024-10-19").set_index("zone_id")
    after = katye.control_as_of(table, "2024-10-20").set_index("zone_id")
    assert before.loc["solino", "status"] == "state"
    assert after.loc["solino", "status"] == "contested"
    assert "mss-base" not in katye.control_as_of(table, "2024-06-30").zone_id.tolist()


def test_inferred_control_and_disagreement():
    zones = grid_zones()
    a, b, c = centre(zones, "z00"), centre(zones, "z01"), centre(zones, "z02")
    rows = (
        [(*a, "2024-11-01", "Battles", 0, "A Gang", "Police Forces of Haiti (2017-)")] * 8
        + [(*a, "2024-11-02", "Violence against civilians", 1, "B Gang", "Civilians (Haiti)")] * 2
        + [(*b, "2024-11-01", "Battles", 0, "A Gang", "Police Forces of Haiti (2017-)")] * 3
        + [(*b, "2024-11-01", "Battles", 0, "B Gang", "")] * 3
        + [(*c, "2024-11-01", "Battles", 0, "C Gang", "")] * 2
    )
    declared = pd.DataFrame(
        {
            "zone_id": ["z00", "z01"],
            "as_of": pd.to_datetime(["2024-01-01", "2024-01-01"]),
            "status": ["state", "contested"],
            "actor": ["PNH", ""],
            "source": "me",
            "confidence": "low",
            "note": "",
        }
    )
    result = katye.infer_control(events(rows), zones, as_of="2024-11-30", declared=declared).set_index("zone_id")
    assert result.loc["z00", "leading_actor"] == "A Gang"
    assert result.loc["z00", "leading_share"] == 0.8
    assert result.loc["z00", "inferred_status"] == "gang"
    assert result.loc["z00", "disagrees"]
    assert result.loc["z01", "inferred_status"] == "contested"
    assert not result.loc["z01", "disagrees"]
    assert result.loc["z02", "inferred_status"] == "unknown"  # 2 events: fewer than min_events
    assert result.loc["z00", "inferred_confidence"] == "medium"


def test_summarize_by_month_and_type():
    zones = grid_zones()
    x, y = centre(zones, "z11")
    rows = [
        (x, y, "2024-10-03", "Battles", 2, "G", ""),
        (x, y, "2024-10-20", "Violence against civilians", 1, "G", "Civilians (Haiti)"),
        (x, y, "2024-11-05", "Battles", 0, "G", ""),
        (x, y, "2023-01-01", "Battles", 9, "G", ""),
    ]
    table = katye.summarize(events(rows), zones, by=("month", "event_type"), start="2024-01-01")
    october = table[table.month == "2024-10"].set_index("event_type")
    assert october.loc["Battles", "events"] == 1
    assert october.loc["Battles", "fatalities"] == 2
    assert october.loc["Violence against civilians", "civilians_targeted"] == 1
    assert october["share_of_zone_events"].sum() == pytest.approx(1.0)
    area = zones.to_crs(32618).set_index("zone_id").area.loc["z11"] / 1e6
    assert october.loc["Battles", "events_per_km2"] == pytest.approx(1 / area)
    assert "2023-01" not in set(table.month)


def test_incidents_assigned_to_shipped_zones_are_reassigned_to_user_zones():
    zones = grid_zones()
    x, y = centre(zones, "z11")
    assigned = katye.assign(events([(x, y, "2024-11-30", "Battles", 0, "G", "")]))  # shipped zones
    assert assigned.zone_id.iloc[0] != "z11"
    result = katye.risk(assigned, zones, as_of="2024-11-30").set_index("zone_id")
    assert result.loc["z11", "events"] == 1


def test_incidents_assigned_to_user_zones_are_reassigned_to_the_shipped_ones():
    zones = grid_zones()
    solino = katye.geodata.zones().set_index("zone_id").loc["solino"]
    point = (solino["centre_lon"], solino["centre_lat"])
    assigned = katye.assign(events([(*point, "2024-11-30", "Battles", 0, "G", "")]), zones)
    result = katye.risk(assigned, as_of="2024-11-30").set_index("zone_id")
    assert result.loc["solino", "events"] == 1


def test_an_assignment_to_the_same_zones_is_reused_not_redone(monkeypatch):
    import katye.join

    assigned = katye.assign(events([(-72.32, 18.55, "2024-11-30", "Battles", 0, "G", "")]))
    assert assigned["zone_id"].tolist() == ["solino"]
    monkeypatch.setattr(katye.join, "assign", lambda *a, **k: pytest.fail("assigned again"))
    result = katye.risk(assigned[assigned.event_date >= "2024-01-01"], as_of="2024-11-30").set_index("zone_id")
    assert result["events"].sum() == 1  # the earlier assignment was used, not thrown away
    assert result.loc["solino", "events"] == 1


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.floats(0.001, 1e6, allow_nan=False), min_size=1, max_size=120),
    k=st.integers(2, 5),
    repeats=st.integers(0, 3),
)
def test_quantile_classes_equal_mapclassifys(values, k, repeats):
    import mapclassify

    from katye.scoring import quantile_classes

    y = np.array(values + values[:1] * repeats)  # ties, which make mapclassify merge classes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = mapclassify.Quantiles(y, k=k).yb
    np.testing.assert_array_equal(quantile_classes(y, k), expected)
