"""Corridors: incidents near the user's roads, a recency-weighted risk per segment and per route."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import katye
from katye.corridors import OSM_CREDIT, UNKNOWN_CREDIT, corridor_risk, read_roads
from katye.crs import METRIC_CRS

# Synthetic roads in UTM 18N metres around Delmas (not real streets): two segments of one named
# road meeting at a corner, a second road, and an unnamed track far from everything.
X0, Y0 = 780_000.0, 2_052_000.0


def synthetic_roads(crs="EPSG:4326") -> gpd.GeoDataFrame:
    lines = [
        shapely.LineString([(X0, Y0), (X0 + 1000, Y0)]),
        shapely.LineString([(X0 + 1000, Y0), (X0 + 1000, Y0 + 1000)]),
        shapely.MultiLineString(
            [[(X0, Y0 + 3000), (X0 + 800, Y0 + 3000)], [(X0 + 900, Y0 + 3000), (X0 + 1500, Y0 + 3100)]]
        ),
        shapely.LineString([(X0 + 20_000, Y0), (X0 + 21_000, Y0)]),
    ]
    frame = gpd.GeoDataFrame(
        {
            "osm_id": [11, 12, 13, 14],
            "name": ["Route de Delmas", "Route de Delmas", "Rue <b>Synthétique</b>", None],
            "ref": ["RN1", "RN1", None, None],
            "highway": ["primary", "primary", "residential", "track"],
        },
        geometry=lines,
        crs=METRIC_CRS,
    )
    return frame.to_crs(crs)


def incidents(points_m, dates, *, precision="exact", fatalities=None) -> gpd.GeoDataFrame:
    """Incidents at points given in metres (EPSG:32618), stored in EPSG:4326 as katye reads them."""
    n = len(points_m)
    return gpd.GeoDataFrame(
        {
            "event_id": [f"SYN{i}" for i in range(n)],
            "event_date": pd.to_datetime(list(dates)),
            "fatalities": list(fatalities) if fatalities is not None else [1] * n,
            "location_precision": [precision] * n if isinstance(precision, str) else list(precision),
        },
        geometry=[shapely.Point(x, y) for x, y in points_m],
        crs=METRIC_CRS,
    ).to_crs("EPSG:4326")


@pytest.fixture
def road_file(tmp_path):
    path = tmp_path / "roads.gpkg"
    synthetic_roads().to_file(path)
    return path


def test_reads_geojson_and_geopackage_alike(tmp_path):
    frame = synthetic_roads()
    frame.to_file(tmp_path / "roads.geojson")
    frame.to_file(tmp_path / "roads.gpkg")
    a, b = read_roads(tmp_path / "roads.geojson"), read_roads(tmp_path / "roads.gpkg")
    assert list(a["road_id"]) == list(b["road_id"]) == ["r0", "r1", "r2", "r3"]
    assert list(a["name"]) == ["Route de Delmas", "Route de Delmas", "Rue <b>Synthétique</b>", ""]
    assert a.geometry.geom_type.tolist() == ["LineString", "LineString", "MultiLineString", "LineString"]
    assert a.attrs["katye_rejected"] == {}


def test_credit_osm_detected_given_or_unknown(tmp_path, road_file):
    assert read_roads(road_file).attrs["katye_credit"] == OSM_CREDIT == "© OpenStreetMap contributors, ODbL 1.0"
    assert read_roads(road_file, credit="Roads: MTPTC 2023").attrs["katye_credit"] == "Roads: MTPTC 2023"
    plain = synthetic_roads().drop(columns=["osm_id", "highway"])
    plain.to_file(tmp_path / "plain.geojson")
    assert read_roads(tmp_path / "plain.geojson").attrs["katye_credit"] == UNKNOWN_CREDIT
    result = corridor_risk(incidents([(X0, Y0)], ["2024-01-01"]), read_roads(road_file))
    assert result.attrs["katye_credit"] == OSM_CREDIT


def test_points_and_empty_rows_are_rejected_counted_and_logged(tmp_path, caplog):
    frame = synthetic_roads()
    extra = gpd.GeoDataFrame(
        {"osm_id": [20, 21], "name": ["a point", "nothing"], "ref": [None, None], "highway": ["x", "x"]},
        geometry=[shapely.Point(-72.3, 18.5), shapely.LineString()],
        crs="EPSG:4326",
    )
    pd.concat([frame, extra]).to_file(tmp_path / "mixed.geojson")
    with caplog.at_level(logging.WARNING, logger="katye"):
        roads = read_roads(tmp_path / "mixed.geojson")
    assert len(roads) == 4
    assert roads.attrs["katye_rejected"] == {"empty geometry": 1, "not a line (Point)": 1}
    assert "not a line (Point)" in caplog.text
    assert "mixed.geojson" in caplog.text


def test_a_polygon_layer_is_rejected_with_the_fix(tmp_path):
    areas = synthetic_roads().copy()
    areas["geometry"] = areas.to_crs(METRIC_CRS).buffer(10).to_crs("EPSG:4326")
    areas.to_file(tmp_path / "areas.gpkg")
    with pytest.raises(katye.InputError) as error:
        read_roads(tmp_path / "areas.gpkg")
    message = str(error.value)
    assert "areas.gpkg" in message
    assert "Polygon): 4 rows" in message
    assert "LineString" in message
    assert "export the road network as lines" in message
    with pytest.raises(katye.InputError, match="not lines"):
        corridor_risk(incidents([(X0, Y0)], ["2024-01-01"]), areas)


def test_missing_crs_is_an_error(tmp_path):
    bare = synthetic_roads().set_crs(None, allow_override=True)
    # (GeoJSON implies WGS 84; a shapefile without a .prj has no CRS at all.)
    with pytest.warns(UserWarning, match="crs"):
        bare.to_file(tmp_path / "bare.shp")
    with pytest.raises(katye.CRSError, match=r"bare\.shp"):
        read_roads(tmp_path / "bare.shp")
    with pytest.raises(katye.CRSError, match="the roads"):
        corridor_risk(incidents([(X0, Y0)], ["2024-01-01"]), bare)


def test_missing_file_and_name_column_say_what_to_do(tmp_path, road_file):
    with pytest.raises(katye.InputError, match=r"nope\.gpkg: no such file"):
        read_roads(tmp_path / "nope.gpkg")
    with pytest.raises(katye.InputError, match=r"no column 'nom'.*name_column="):
        read_roads(road_file, name_column="nom")
    assert list(read_roads(road_file, name_column="ref")["name"]) == ["RN1", "RN1", "", ""]


def test_a_segment_with_no_event_within_reach_has_risk_exactly_zero():
    events = incidents([(X0 + 500, Y0 + 10), (X0 + 500, Y0 + 499)], ["2024-01-01", "2024-01-10"])
    result = corridor_risk(events, synthetic_roads(), within_m=500)
    assert result.loc[3, "risk"] == 0.0
    assert result.loc[3, "events"] == 0
    assert result.loc[2, "risk"] == 0.0  # the road 3 km north
    assert result.loc[0, "events"] == 2


def test_an_event_on_as_of_weighs_one_and_a_half_life_earlier_one_half():
    at = [(X0 + 500, Y0 + 5)]
    today = corridor_risk(incidents(at, ["2024-03-31"]), synthetic_roads(), as_of="2024-03-31")
    assert today.loc[0, "risk"] == 1.0
    earlier = corridor_risk(incidents(at, ["2024-03-01"]), synthetic_roads(), as_of="2024-03-31", half_life_days=30)
    assert earlier.loc[0, "risk"] == 0.5
    later = corridor_risk(incidents(at, ["2024-04-02"]), synthetic_roads(), as_of="2024-03-31")
    assert later.loc[0, "events"] == 0
    assert later.attrs["katye_method"]["after_as_of_or_undated"] == 1
    # Default as_of: the last incident's date.
    both = corridor_risk(incidents(at * 2, ["2024-03-01", "2024-03-31"]), synthetic_roads())
    assert both.loc[0, "risk"] == 1.5
    assert both.attrs["katye_method"]["as_of"] == "2024-03-31"


def test_approximately_located_incidents_are_not_put_on_a_road():
    at = [(X0 + 500, Y0)] * 4
    events = incidents(at, ["2024-01-01"] * 4, precision=["exact", "near", "commune", "unknown"])
    result = corridor_risk(events, synthetic_roads())
    assert result.loc[0, "events"] == 1
    assert result.attrs["katye_method"]["not_exact"] == 3


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.floats(-800, 2800), st.floats(-800, 4200), st.integers(0, 90), st.integers(0, 5)),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from([50.0, 300.0, 750.0]),
    st.randoms(use_true_random=False),
)
def test_counts_match_shapely_distances_and_not_row_order(rows, within, rng):
    points = [(X0 + dx, Y0 + dy) for dx, dy, _, _ in rows]
    dates = [pd.Timestamp("2024-06-30") - pd.Timedelta(days=age) for _, _, age, _ in rows]
    events = incidents(points, dates, fatalities=[f for *_, f in rows])
    roads = synthetic_roads()
    result = corridor_risk(events, roads, within_m=within, as_of="2024-06-30")
    # Distances in metres by shapely, from the same points projected the exact way.
    metric_points = np.asarray(events.to_crs(METRIC_CRS).geometry.values)
    metric_roads = np.asarray(roads.to_crs(METRIC_CRS).geometry.values)
    distance = shapely.distance(metric_points[:, None], metric_roads[None, :])
    near = np.abs(distance - within) > 1e-3  # the fast projection is within a millimetre of the exact one
    inside = distance <= within
    ages = np.array([age for _, _, age, _ in rows])
    assert list(result["events"][near.all(axis=0)]) == list(inside.sum(axis=0)[near.all(axis=0)])
    expected = (inside * np.exp(-np.log(2) * ages / 30)[:, None]).sum(axis=0)
    np.testing.assert_allclose(result["risk"][near.all(axis=0)], expected[near.all(axis=0)], rtol=1e-12, atol=0)
    # Shuffled incidents and roads: the same numbers, to the bit.
    order = list(range(len(events)))
    rng.shuffle(order)
    road_order = [3, 1, 0, 2]
    shuffled = corridor_risk(events.iloc[order], roads.iloc[road_order], within_m=within, as_of="2024-06-30")
    again = shuffled.set_index("osm_id").loc[result["osm_id"]]
    assert list(again["events"]) == list(result["events"])
    assert list(again["risk"]) == list(result["risk"])
    assert list(again["fatalities"]) == list(result["fatalities"])
    pd.testing.assert_frame_equal(shuffled.attrs["routes"], result.attrs["routes"])


def test_routes_count_an_event_once_however_many_of_its_segments_it_is_near():
    # At the corner shared by both segments of Route de Delmas: near both, once for the route.
    corner = incidents([(X0 + 1000, Y0)], ["2024-01-01"], fatalities=[3])
    result = corridor_risk(corner, synthetic_roads())
    assert list(result["events"]) == [1, 1, 0, 0]
    routes = result.attrs["routes"].set_index("route")
    assert routes.loc["Route de Delmas", ["segments", "events", "fatalities"]].tolist() == [2, 1, 3]
    assert routes.loc["Route de Delmas", "risk"] == 1.0
    assert routes.loc["Route de Delmas", "max_segment_risk"] == 1.0
    assert routes.loc["Route de Delmas", "length_m"] == pytest.approx(2000, rel=1e-3)
    assert "" not in routes.index  # the unnamed track is no route
    by_ref = corridor_risk(corner, synthetic_roads(), route_column="ref").attrs["routes"]
    assert list(by_ref["route"]) == ["RN1"]
    assert corridor_risk(corner, synthetic_roads(), route_column=None).attrs["routes"] is None


def test_the_callers_frames_are_not_changed():
    events = incidents([(X0 + 10, Y0 + 10), (X0, Y0 + 3000)], ["2024-01-01", "2024-01-05"])
    roads = synthetic_roads()
    before_events, before_roads = events.copy(), roads.copy()
    corridor_risk(events, roads)
    pd.testing.assert_frame_equal(events, before_events)
    pd.testing.assert_frame_equal(roads, before_roads)


def test_roads_in_another_crs_give_the_same_answer():
    events = incidents([(X0 + 10, Y0 + 10), (X0 + 950, Y0 + 400)], ["2024-01-01", "2024-01-05"])
    a = corridor_risk(events, synthetic_roads())
    b = corridor_risk(events.to_crs(METRIC_CRS), synthetic_roads(METRIC_CRS))
    assert list(a["events"]) == list(b["events"])
    np.testing.assert_allclose(a["risk"], b["risk"])
    assert str(b.crs) == "EPSG:4326"


def test_bad_options_are_usage_errors():
    events = incidents([(X0, Y0)], ["2024-01-01"])
    with pytest.raises(katye.UsageError, match="within_m"):
        corridor_risk(events, synthetic_roads(), within_m=0)
    with pytest.raises(katye.UsageError, match="half_life_days"):
        corridor_risk(events, synthetic_roads(), half_life_days=-1)
    with pytest.raises(katye.UsageError, match="route_column='nom'"):
        corridor_risk(events, synthetic_roads(), route_column="nom")


# --- On the map ----------------------------------------------------------------------------------

HOSTILE = '<img src=x onerror="window.__pwned=1"> `${window.__pwned=2}` \\ </script><script>window.__pwned=3</script>'


@pytest.fixture(scope="module")
def mapped():
    """A few of the shipped SYNTHETIC incidents and synthetic roads through the exactly located ones."""
    sample = katye.read_incidents(katye.samples.path()).incidents.iloc[:300]
    exact = sample[sample["location_precision"] == "exact"].to_crs(METRIC_CRS).geometry
    spots = np.unique(np.c_[exact.x.round(), exact.y.round()], axis=0)[:6]
    lines = [shapely.LineString([(x - 400, y), (x + 400, y + 50)]) for x, y in spots]
    lines.append(shapely.LineString([(X0 + 20_000, Y0), (X0 + 21_000, Y0)]))  # far from every event
    roads = gpd.GeoDataFrame(
        {"osm_id": range(len(lines)), "name": [HOSTILE] * 2 + ["Route synthétique"] * (len(lines) - 2)},
        geometry=lines,
        crs=METRIC_CRS,
    ).to_crs("EPSG:4326")
    roads.attrs["katye_credit"] = OSM_CREDIT
    return sample, corridor_risk(sample, roads, within_m=200)


def corridor_layer(data: dict) -> dict:
    return next(layer for layer in data["layers"] if layer["key"] == "corridors")


def test_the_map_draws_the_corridors_with_their_credit_and_escaped_names(mapped):
    from katye.render import style
    from katye.render.html import read_payload

    sample, result = mapped
    html = katye.make_map(sample, roads=result).render_html()
    data = read_payload(html)
    layer = corridor_layer(data)
    assert layer["kind"] == "lines"
    assert layer["show"]
    assert layer["name"] == "Corridors"
    assert "Roads: © OpenStreetMap contributors, ODbL 1.0" in data["credits"]
    assert len(layer["features"]) == len(result)
    # Drawn low risk first; the far road has no event: grey and dashed.
    assert layer["features"][0]["stroke"] == style.CORRIDOR_NONE
    assert layer["features"][0]["dash"]
    assert {f["stroke"] for f in layer["features"][1:]} <= set(style.CORRIDOR_COLORS.values())
    assert HOSTILE in {f["title"] for f in layer["features"]}  # the name survives as data …
    assert "<img src=x" not in html
    assert "window.__pwned=3</script>" not in html
    labels = [item["label"] for item in layer["legend"]]
    assert labels[0].startswith("Exactly located events within 200 m")
    assert labels[-1] == "no event within reach"


@pytest.mark.parametrize(("lang", "name"), [("fr", "Axes routiers"), ("ht", "Gran wout")])
def test_the_corridor_layer_speaks_the_maps_language(mapped, lang, name):
    from katye.render.html import read_payload

    _, result = mapped
    data = read_payload(katye.make_map(None, roads=result, lang=lang).render_html())
    layer = corridor_layer(data)
    assert layer["name"] == name
    assert "OpenStreetMap" in data["credits"][-1]
    assert data["credits"][-1] != "Roads: © OpenStreetMap contributors, ODbL 1.0"
    english = {"Recency-weighted risk", "Events", "Road number", "Whole road"}
    assert not english & {row[0] for f in layer["features"] for row in f["rows"]}


def test_a_map_without_roads_is_unchanged(mapped):
    sample, _ = mapped
    plain = katye.make_map(sample).render_html()
    assert katye.make_map(sample, roads=None).render_html() == plain
    assert "Corridors" not in plain.split('id="katye-data"')[1]  # no word of the layer in the payload


def test_make_map_refuses_roads_that_were_not_measured():
    with pytest.raises(katye.UsageError, match="corridor_risk"):
        katye.make_map(None, roads=synthetic_roads())


def test_cli_map_with_roads_and_its_errors(tmp_path, mapped):
    from katye.render.html import read_payload
    from katye.testing import invoke

    _, result = mapped
    roads = result[["osm_id", "name", "geometry"]]
    roads.to_file(tmp_path / "roads.gpkg")
    out = tmp_path / "map.html"
    ran = invoke("map", "-o", out, "--roads", tmp_path / "roads.gpkg", "--within-m", "150")
    assert ran.exit_code == 0, ran.output
    layer = corridor_layer(read_payload(out.read_text(encoding="utf-8")))
    assert layer["legend"][0]["label"].startswith("Exactly located events within 150 m")
    missing = invoke("map", "-o", tmp_path / "x.html", "--roads", tmp_path / "nope.gpkg")
    assert missing.exit_code == 2
    assert "nope.gpkg: no such file" in missing.output
    assert "Traceback" not in missing.output
    unnamed = invoke("map", "-o", tmp_path / "y.html", "--roads", tmp_path / "roads.gpkg", "--roads-name", "nom")
    assert unnamed.exit_code == 2
    assert "no column 'nom'" in unnamed.output
    assert "--roads-name" in unnamed.output


def test_both_ways_of_summing_weights_agree(monkeypatch):
    from katye import corridors

    events = incidents([(X0 + 100 * i, Y0 + 20) for i in range(12)], [f"2024-01-{d:02d}" for d in range(1, 13)])
    table = corridor_risk(events, synthetic_roads())
    monkeypatch.setattr(corridors, "TABLE_MAX_CELLS", 0)
    sorted_pairs = corridor_risk(events, synthetic_roads())
    assert list(sorted_pairs["risk"]) == list(table["risk"])


def test_the_card_gives_the_whole_route_by_the_column_the_routes_were_grouped_on():
    from katye.render.html import read_payload

    corner = incidents([(X0 + 1000, Y0)], ["2024-01-01"], fatalities=[3])
    by_ref = corridor_risk(corner, synthetic_roads(), route_column="ref")
    data = read_payload(katye.make_map(None, roads=by_ref).render_html())
    rows = {f["title"]: dict(f["rows"]) for f in corridor_layer(data)["features"]}
    assert rows["Route de Delmas"]["Whole road"] == "1 event, risk 1.00"
    assert "Whole road" not in rows["Unnamed road"]


def test_a_credit_the_user_gives_is_shown_as_given():
    from katye.render.html import read_payload

    roads = synthetic_roads()
    roads.attrs["katye_credit"] = "Roads: <MTPTC> 2023"
    result = corridor_risk(incidents([(X0, Y0)], ["2024-01-01"]), roads)
    assert read_payload(katye.make_map(None, roads=result).render_html())["credits"][-1] == "Roads: <MTPTC> 2023"


def test_a_layer_in_memory_is_read_like_a_file_and_anything_else_is_a_clear_error():
    layer = gpd.GeoDataFrame(
        {"name": ["Route de Delmas"]}, geometry=[shapely.LineString([(-72.30, 18.54), (-72.29, 18.55)])], crs=4326
    )
    roads = katye.read_roads(layer)
    assert list(roads["name"]) == ["Route de Delmas"]
    with pytest.raises(katye.UsageError, match="GeoDataFrame"):
        katye.read_roads(42)
