"""Emerging hot spots: Gi* per slice, the Mann-Kendall trend and ArcGIS's categories, checked by hand."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

import katye
from conftest import readme_example
from katye.emerging import CATEGORIES, classify, gi_star_slices, mann_kendall
from katye.gistar import contiguity, gi_star

# Five whole ACLED weeks (Saturday to Friday), 2 November to 6 December 2024.
SATURDAYS = ["2024-11-02", "2024-11-09", "2024-11-16", "2024-11-23", "2024-11-30"]
WEEKS = {"start": "2024-11-02", "end": "2024-12-06"}


def lattice(rows: int, cols: int, size_deg: float = 0.01) -> gpd.GeoDataFrame:
    """A rows x cols lattice of squares near Port-au-Prince, ids z<row><col>."""
    cells = [
        {
            "zone_id": f"z{r}{c}",
            "name": f"Z{r}{c}",
            "geometry": shapely.box(
                -72.34 + c * size_deg, 18.53 + r * size_deg, -72.34 + (c + 1) * size_deg, 18.53 + (r + 1) * size_deg
            ),
        }
        for r in range(rows)
        for c in range(cols)
    ]
    return gpd.GeoDataFrame(cells, crs=4326)


def incidents(zones: gpd.GeoDataFrame, counts: dict[str, list[int]], days: list[str], precision: int = 1):
    """counts[zone_id][k]: exact incidents at the zone's centre on days[k]."""
    centres = zones.set_index("zone_id").geometry.representative_point()
    rows = [
        (centres[zone_id].x, centres[zone_id].y, day)
        for zone_id, per_day in counts.items()
        for day, count in zip(days, per_day, strict=True)
        for _ in range(count)
    ]
    frame = pd.DataFrame(rows, columns=["lon", "lat", "event_date"])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    frame["fatalities"] = 1
    frame["geo_precision"] = precision
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.lon, frame.lat), crs=4326)


# --- Mann-Kendall --------------------------------------------------------------------------------


def normal_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def test_mann_kendall_by_hand():
    # 1..5: all 10 pairs rise, S = 10, Var(S) = 5*4*15/18, Z = (S - 1) / sqrt(Var(S)).
    tau, z, p = mann_kendall([1, 2, 3, 4, 5])
    assert tau == 1.0
    assert z == pytest.approx(9 / math.sqrt(300 / 18))
    assert p == pytest.approx(normal_p(9 / math.sqrt(300 / 18)))
    # 1,1,2,3: S = 5 (the tied pair counts 0); one tied pair: Var(S) = (4*3*13 - 2*1*9) / 18.
    tau, z, p = mann_kendall([1, 1, 2, 3])
    assert tau == pytest.approx(5 / 6)
    assert z == pytest.approx(4 / math.sqrt((156 - 18) / 18))
    # 3,2,2,1,0: S = -9, Var(S) = (5*4*15 - 2*1*9) / 18, Z = (S + 1) / sqrt(Var(S)).
    tau, z, p = mann_kendall([3, 2, 2, 1, 0])
    assert tau == pytest.approx(-9 / 10)
    assert z == pytest.approx(-8 / math.sqrt(282 / 18))
    assert p == pytest.approx(normal_p(-8 / math.sqrt(282 / 18)))
    assert mann_kendall([4, 4, 4, 4, 4]) == (0.0, 0.0, 1.0)  # no trend at all


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=5, max_size=30))
def test_mann_kendall_agrees_with_scipy_kendalltau(series):
    if len(set(series)) == 1:
        return  # kendalltau is undefined on a constant series
    tau, z, p = mann_kendall(series)
    n = len(series)
    pairs = n * (n - 1) / 2
    tied = sum(k * (k - 1) / 2 for k in pd.Series(series).value_counts())
    tau_b = stats.kendalltau(np.arange(n), series).statistic
    # Same S: Mann-Kendall's tau is tau-a = S / pairs; scipy's tau-b = S / sqrt(pairs * (pairs - tied)).
    assert tau * pairs == pytest.approx(tau_b * math.sqrt(pairs * (pairs - tied)))
    reversed_ = mann_kendall(series[::-1])
    assert reversed_ == pytest.approx((-tau, -z, p))  # reversing time negates the trend, not its strength


# --- Gi* -----------------------------------------------------------------------------------------


def test_gi_star_by_hand_on_three_zones_in_a_row():
    zones = lattice(1, 3)  # z00 - z01 - z02: the ends touch the middle only
    counts = {"z00": [1] * 5, "z01": [2] * 5, "z02": [3] * 5}
    table = gi_star_slices(incidents(zones, counts, SATURDAYS), zones, permutations=99, **WEEKS)
    assert list(table.period.unique()) == SATURDAYS
    # z00: neighbourhood {z00, z01} sums 3; n = 3, mean 2, S = sqrt(14/3 - 4), W = 2:
    # (3 - 2*2) / (S * sqrt((3*2 - 2**2) / 2)) = -sqrt(3/2).
    first = table[table.period == SATURDAYS[0]].set_index("zone_id")
    assert first.gi_z["z00"] == pytest.approx(-math.sqrt(1.5))
    assert math.isnan(first.gi_z["z01"])  # its neighbourhood is every zone: always the mean, Var = 0, as in esda
    assert first.gi_z["z02"] == pytest.approx(math.sqrt(1.5))
    assert (table.value.to_numpy() == np.tile([1, 2, 3], 5)).all()


def _libpysal_weights(zones):
    from libpysal import weights

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal's notice about islands
        return weights.fuzzy_contiguity(
            zones.to_crs("EPSG:32618").reset_index(drop=True), buffering=True, buffer=1.0, predicate="intersects"
        )


def test_gi_star_equals_esda_slice_by_slice():
    import esda

    zones = lattice(6, 6)
    w = contiguity(zones)
    reference_w = _libpysal_weights(zones)
    rng = np.random.default_rng(3)
    values = rng.poisson(rng.uniform(0, 4, 36), (6, 36)).astype(float)
    values[2] = 0.0  # a slice with no event: Gi* is undefined
    z, p = gi_star(values, w, permutations=999, seed=11)
    for row in (0, 1, 3, 4, 5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # esda's notice about its future default alternative
            reference = esda.G_Local(values[row], reference_w, star=True, transform="B", permutations=999, seed=11)
        assert z[row] == pytest.approx(reference.Zs, abs=1e-12)
        # esda keeps p-values as float32: compare the permutation counts behind them.
        assert (np.rint(p[row] * 1000) == np.rint(reference.p_sim * 1000)).all()
    assert np.isnan(z[2]).all()
    assert np.isnan(p[2]).all()


def test_contiguity_equals_libpysals_fuzzy_contiguity():
    # Edges that differ by a few centimetres (hand-made layers) and one zone well apart.
    jittered = lattice(5, 4)
    jittered.loc[jittered.index[3], "geometry"] = shapely.affinity.translate(jittered.geometry.iloc[3], xoff=0.0000004)
    far = lattice(1, 1).assign(zone_id="far", geometry=shapely.box(-72.0, 18.9, -71.99, 18.91))
    for zones in (lattice(3, 3), pd.concat([jittered, far], ignore_index=True), katye.geodata.zones()):
        ours = contiguity(zones).toarray()
        theirs = _libpysal_weights(zones).sparse.toarray()
        np.testing.assert_array_equal(ours, theirs)


def _scipy_contiguity(zones):
    """contiguity() as it was, a scipy.sparse CSR matrix: the reference for the arithmetic below."""
    from scipy import sparse

    metric = shapely.buffer(zones.to_crs("EPSG:32618").geometry.to_numpy(), 1.0)
    first, second = shapely.STRtree(metric).query(metric, predicate="intersects")
    keep = first != second
    n = len(zones)
    adjacency = sparse.csr_array((np.ones(int(keep.sum())), (first[keep], second[keep])), shape=(n, n), dtype=float)
    adjacency.sum_duplicates()
    return adjacency


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 7), st.integers(3, 7), st.integers(1, 12), st.integers(0, 2**32 - 1), st.booleans())
def test_neighbour_sums_equal_scipy_sparse_csr_products_exactly(rows, cols, slices, seed, with_island):
    zones = lattice(rows, cols)
    if with_island:
        far = lattice(1, 1).assign(zone_id="far", geometry=shapely.box(-72.0, 18.9, -71.99, 18.91))
        zones = pd.concat([far, zones], ignore_index=True)
    ours, reference = contiguity(zones), _scipy_contiguity(zones)
    np.testing.assert_array_equal(ours.toarray(), reference.toarray())
    np.testing.assert_array_equal(ours.cardinalities, np.diff(reference.indptr))
    for i, ids in enumerate(ours.neighbours):
        np.testing.assert_array_equal(ids, reference.indices[reference.indptr[i] : reference.indptr[i + 1]])
    rng = np.random.default_rng(seed)
    # Values of very different sizes: a sum taken in another order rounds differently.
    y = rng.normal(size=(slices, len(zones))) * 10.0 ** rng.integers(-8, 9, (slices, len(zones)))
    np.testing.assert_array_equal(ours.neighbour_sums(y), np.asarray(reference @ y.T).T)
    np.testing.assert_array_equal(ours.neighbour_sums(y[:1]), np.asarray(reference @ y[0])[np.newaxis, :])


def test_gi_star_z_scores_are_those_of_the_scipy_sparse_version():
    from katye.gistar import _z_scores

    zones = katye.geodata.zones()
    w, reference = contiguity(zones), _scipy_contiguity(zones)
    rng = np.random.default_rng(5)
    y = rng.poisson(rng.uniform(0, 3, len(zones)), (8, len(zones))).astype(float) * rng.uniform(0.5, 40.0, (8, 1))
    z, _ = gi_star(y, w, permutations=0)
    cards = np.diff(reference.indptr)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = _z_scores(y, np.asarray(reference @ y.T).T + y, y.sum(axis=1), cards + 1.0, len(zones))
    expected[:, cards == 0] = np.nan
    np.testing.assert_array_equal(z, expected)


def test_contiguity_is_none_when_gi_star_cannot_compare():
    assert contiguity(lattice(1, 2)) is None  # fewer than three zones
    apart = lattice(1, 5).iloc[::2]  # z00, z02, z04: none touches another
    assert contiguity(apart) is None


def test_permutation_draws_are_esdas_and_leave_numpys_global_state_alone():
    pytest.importorskip("esda")
    try:
        import numba  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("with numba installed esda draws from numba's generator, not NumPy's")
    from esda.crand import vec_permutations

    from katye.gistar import permutation_draws

    for max_card, n, permutations, seed in ((1, 3, 5, 0), (6, 40, 99, 11), (12, 99, 999, 2026)):
        np.random.seed(123)
        before = np.random.random()
        np.random.seed(123)
        ours = permutation_draws(max_card, n, permutations, seed)
        assert np.random.random() == before
        np.testing.assert_array_equal(ours, vec_permutations(max_card, n, permutations, seed))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.001, 1.0), min_size=1, max_size=40), st.sampled_from([0.01, 0.05, 0.1]))
def test_fdr_threshold_equals_esdas(p, alpha):
    import esda

    from katye.gistar import fdr_threshold

    assert fdr_threshold(np.array(p), alpha) == esda.fdr(np.array(p), alpha)


def test_gi_star_leaves_a_zone_without_neighbours_out():
    far = lattice(1, 1).assign(zone_id="far", geometry=shapely.box(-72.0, 18.9, -71.99, 18.91))
    z, p = gi_star(np.array([[5.0, 1.0, 0.0, 2.0, 9.0]]), contiguity(pd.concat([lattice(2, 2), far])), seed=0)
    assert np.isnan(z[0, -1])  # esda would call this island significant
    assert np.isnan(p[0, -1])
    assert np.isfinite(z[0, :-1]).all()


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=9, max_size=9), st.integers(2, 7))
def test_gi_star_does_not_depend_on_the_unit(values, factor):
    w = contiguity(lattice(3, 3))
    y = np.array([values], dtype=float)
    z, p = gi_star(y, w, permutations=99, seed=2)
    z_scaled, p_scaled = gi_star(y * factor, w, permutations=99, seed=2)
    np.testing.assert_allclose(z_scaled, z, rtol=1e-9)
    np.testing.assert_array_equal(p_scaled, p)


# --- Categories ----------------------------------------------------------------------------------

RISING, FALLING, FLAT = (3.0, 0.001), (-3.0, 0.001), (0.4, 0.7)
CASES = [
    ([0] * 9 + [1], FLAT, "new hot spot"),
    ([0] * 7 + [1, 1, 1], FLAT, "consecutive hot spot"),
    ([0] + [1] * 8, FLAT, "consecutive hot spot"),  # 8 of 9 is less than 90 %
    ([0] + [1] * 9, RISING, "intensifying hot spot"),  # 9 of 10 is 90 %
    ([1] * 10, FLAT, "persistent hot spot"),
    ([1] * 10, FALLING, "diminishing hot spot"),
    ([1, 0, 1, 0, 0, 1, 0, 0, 0, 1], FLAT, "sporadic hot spot"),
    ([1, 1, 0, 0, 0, 0, 0, 0, 1, 1], FLAT, "sporadic hot spot"),  # two runs: not consecutive
    ([-1, 0, 0, 1, 0, 0, 0, 0, 0, 1], FLAT, "oscillating hot spot"),
    ([-1, 0, 0, 0, 0, 0, 0, 0, 0, 1], FLAT, "oscillating hot spot"),  # a cold history is not new
    ([1] * 9 + [0], FLAT, "historical hot spot"),
    ([1] * 9 + [-1], FLAT, "oscillating cold spot"),  # the final slice decides first
    ([0] * 10, FLAT, "no pattern detected"),
    ([1] + [0] * 9, FLAT, "no pattern detected"),  # hot once, long ago
]


@pytest.mark.parametrize(("states", "trend", "expected"), CASES)
def test_each_category_from_a_constructed_series(states, trend, expected):
    assert classify(states, *trend) == expected


@pytest.mark.parametrize(("states", "trend", "expected"), CASES)
def test_cold_spots_mirror_hot_spots(states, trend, expected):
    mirrored = expected.replace("hot", "HOT").replace("cold", "hot").replace("HOT", "cold")
    assert classify([-s for s in states], -trend[0], trend[1]) == mirrored


def test_every_category_is_reachable_in_a_fixed_legend_order():
    found = set()
    for states, trend, _ in CASES:
        found |= {classify(states, *trend), classify([-s for s in states], -trend[0], trend[1])}
    assert found == set(CATEGORIES)
    assert len(CATEGORIES) == 17
    assert (CATEGORIES[0], CATEGORIES[8]) == ("new hot spot", "new cold spot")
    assert CATEGORIES[-1] == "no pattern detected"


series = st.lists(st.sampled_from([-1, 0, 1]), min_size=5, max_size=40)
trends = st.tuples(st.floats(-5, 5), st.sampled_from([0.001, 0.04, 0.2, 0.9]))


@settings(max_examples=300, deadline=None)
@given(series, trends)
def test_categories_are_symmetric_between_hot_and_cold(states, trend):
    hot = classify(states, *trend)
    cold = classify([-s for s in states], -trend[0], trend[1])
    assert hot in CATEGORIES
    assert cold == hot.replace("hot", "HOT").replace("cold", "hot").replace("HOT", "cold")


mostly_hot = st.lists(st.sampled_from([1] * 15 + [0, -1]), min_size=3, max_size=40)


@settings(max_examples=200, deadline=None)
@given(mostly_hot, trends)
def test_reversing_time_swaps_intensifying_and_diminishing(states, trend):
    hot = [1, *states, 1]  # hot at both ends, so it stays hot in the final slice reversed
    before = classify(hot, *trend)
    assume(before in ("intensifying hot spot", "diminishing hot spot", "persistent hot spot"))
    swap = {"intensifying hot spot": "diminishing hot spot", "diminishing hot spot": "intensifying hot spot"}
    assert classify(hot[::-1], -trend[0], trend[1]) == swap.get(before, before)


@settings(max_examples=200, deadline=None)
@given(series, trends)
def test_a_category_agrees_with_the_history(states, trend):
    category = classify(states, *trend)
    hot, cold, n = states.count(1), states.count(-1), len(states)
    if category.endswith("hot spot") and not category.startswith("historical"):
        assert states[-1] == 1
    if category.startswith(("intensifying", "persistent", "diminishing", "historical")):
        assert 10 * max(hot, cold) >= 9 * n
    if category == "no pattern detected":
        assert states[-1] == 0


# --- The whole analysis ---------------------------------------------------------------------------


def burst_in_the_last_week():
    """7 x 7 zones; four flat weeks (one event everywhere), then a burst in the corner 3 x 3 block."""
    zones = lattice(7, 7)
    block = {f"z{r}{c}" for r in range(3) for c in range(3)}
    counts = {zone_id: [1, 1, 1, 1, 12 if zone_id in block else 1] for zone_id in zones.zone_id}
    return zones, incidents(zones, counts, SATURDAYS)


def test_a_burst_in_the_final_week_is_a_new_hot_spot():
    zones, events = burst_in_the_last_week()
    result = katye.emerging_hotspots(events, zones, **WEEKS).set_index("zone_id")
    centre = result.loc["z11"]
    assert centre.category == "new hot spot"
    assert centre.history == "....H"
    assert (centre.hot_slices, centre.cold_slices, centre.slices) == (1, 0, 5)
    assert set(result.category) <= set(CATEGORIES)
    assert result.total.sum() == len(events)
    assert result.attrs["katye_method"]["slices"] == SATURDAYS
    assert result.crs == zones.crs


def test_the_same_seed_gives_the_same_result_and_inputs_stay_as_they_were():
    zones, events = burst_in_the_last_week()
    events_before, zones_before = events.copy(), zones.copy()
    first = katye.emerging_hotspots(events, zones, seed=5, **WEEKS)
    again = katye.emerging_hotspots(events, zones, seed=5, **WEEKS)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(events, events_before)
    pd.testing.assert_frame_equal(zones, zones_before)


def test_only_exact_incidents_count():
    zones, events = burst_in_the_last_week()
    coarse = incidents(zones, {"z66": [0, 0, 0, 0, 30]}, SATURDAYS, precision=3)
    with_coarse = pd.concat([events, coarse], ignore_index=True)
    result = katye.emerging_hotspots(with_coarse, zones, value="fatalities", **WEEKS).set_index("zone_id")
    assert result.total.sum() == len(events)  # one death each, the coarse ones in no zone
    assert result.loc["z11", "category"] == "new hot spot"


def test_slices_cut_by_the_period_are_left_out():
    zones, events = burst_in_the_last_week()
    # Ending on Thursday 5 December cuts the final week: four whole weeks remain, too few.
    with pytest.raises(katye.UsageError, match="4 whole week"):
        katye.emerging_hotspots(events, zones, start="2024-11-02", end="2024-12-05")


def test_bad_options_and_missing_crs_are_clear_errors():
    zones, events = burst_in_the_last_week()
    with pytest.raises(katye.UsageError, match="period='day'"):
        katye.emerging_hotspots(events, zones, period="day", **WEEKS)
    with pytest.raises(katye.UsageError, match="value='deaths'"):
        katye.emerging_hotspots(events, zones, value="deaths", **WEEKS)
    with pytest.raises(katye.UsageError, match="after end"):
        katye.emerging_hotspots(events, zones, start="2024-12-06", end="2024-11-02")
    with pytest.raises(katye.InputError, match="no incident has a date"):
        katye.emerging_hotspots(events.iloc[:0], zones, end="2024-12-06")
    with pytest.raises(katye.UsageError, match="one state per slice"):
        classify([], 0.0, 1.0)
    with pytest.raises(katye.CRSError, match="no coordinate reference system"):
        katye.emerging_hotspots(events.set_crs(None, allow_override=True), zones, **WEEKS)
    with pytest.raises(katye.CRSError):
        katye.emerging_hotspots(events, zones.set_crs(None, allow_override=True), **WEEKS)


def test_monthly_emerging_hot_spots_of_the_shipped_sample():
    sample = katye.read_incidents(katye.samples.path()).incidents
    result = katye.emerging_hotspots(sample, period="month", permutations=99)
    assert len(result) == len(katye.geodata.zones())
    assert set(result.category) <= set(CATEGORIES)
    assert (result.slices == 12).all()
    assert (result.history.str.len() == 12).all()
    assert ((result.hot_slices + result.cold_slices) <= result.slices).all()
    exact = katye.assign(sample).assignment.eq("exact").sum()
    assert result.total.sum() == exact  # 2024 is twelve whole months: every exact incident counts
    table = gi_star_slices(sample, period="month", permutations=99)
    assert len(table) == 12 * len(result)


def test_the_readme_example_runs():
    namespace: dict = {}
    exec(compile(readme_example("## Where violence is emerging"), "README.md", "exec"), namespace)
    assert set(namespace["emerging"].category) <= set(CATEGORIES)


def test_no_exactly_located_incident_is_an_error_not_a_map_of_no_pattern():
    sample = katye.read_incidents(katye.samples.path()).incidents
    coarse = sample[(sample.location_precision != "exact").to_numpy()]
    with pytest.raises(katye.UsageError, match="located exactly"):
        katye.emerging_hotspots(coarse, period="month")


def test_too_few_weeks_does_not_suggest_weeks():
    sample = katye.read_incidents(katye.samples.path()).incidents
    with pytest.raises(katye.UsageError) as raised:
        katye.emerging_hotspots(sample, period="week", start="2024-11-02", end="2024-11-29")
    assert "period='week'" not in str(raised.value)


def test_contiguity_is_kept_per_layer_and_a_changed_layer_is_measured_again():
    from katye.gistar import _contiguity

    zones = lattice(3, 3)
    first = contiguity(zones)
    assert contiguity(zones.copy()) is first  # the same outlines: kept
    moved = zones.copy()
    moved.loc[moved.index[4], "geometry"] = shapely.affinity.translate(moved.geometry.iloc[4], xoff=1.0)
    apart = contiguity(moved)
    assert apart is not first
    np.testing.assert_array_equal(apart.toarray(), _contiguity(moved).toarray())
    assert apart.toarray()[4].sum() == 0  # the middle zone moved away touches nothing
    projected = contiguity(zones.to_crs("EPSG:3857"))  # other coordinates, same neighbours
    assert projected is not first
    np.testing.assert_array_equal(projected.toarray(), first.toarray())


def test_contiguity_takes_a_zone_with_no_outline():
    zones = lattice(3, 3)
    holed = zones.assign(geometry=[None, *zones.geometry.values[1:]])
    w = contiguity(holed)
    assert w.cardinalities[0] == 0  # nothing to touch
    np.testing.assert_array_equal(w.toarray()[1:, 1:], contiguity(zones).toarray()[1:, 1:])
