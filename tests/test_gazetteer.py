"""The shipped gazetteer: what an analyst relies on when they load zones and sites."""

from __future__ import annotations

import itertools
import json
import re

import geopandas as gpd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from katye import geodata
from katye.incidents.precision import name_key

# Where each source puts each zone centre (COD-AB columns of the reference-point CSVs).
SOURCE_SECTIONS = {
    "solino": "HT0111-01",
    "petion-ville": "HT0114-05",
    "bel-air": "HT0111-01",
    "la-saline": "HT0111-01",
    "champ-de-mars": "HT0111-01",
    "cite-soleil": "HT0117-01",
    "croix-des-missions": "HT0118-03",
    "torcelle": "HT0118-04",
}
# Who's On First points with no COD-AB column in the sources: the commune is what the name says.
WOF_COMMUNES = {"thor": "HT0113", "la-boule": "HT0114"}


@pytest.fixture(scope="module")
def zones():
    return geodata.zones()


@pytest.fixture(scope="module")
def sites():
    return geodata.sites().set_index("site_id", drop=False)


@pytest.fixture(scope="module")
def sections():
    return geodata.sections()


def _containing(frame, point, column):
    return frame.loc[frame.covers(point), column].tolist()


def test_every_layer_loads_as_wgs84_with_its_id_column():
    for name, layer in geodata.LAYERS.items():
        frame = geodata.load(name)
        assert frame.crs.to_epsg() == 4326, name
        assert frame[layer.id_column].is_unique, name
        assert frame.geometry.is_valid.all(), name


def test_admin_layers_have_the_metro_counts_and_pcodes():
    communes = geodata.communes()
    assert len(communes) == 10
    assert {"HT0111", "HT0112", "HT0117", "HT0118", "HT0131"} <= set(communes.commune_pcode)
    cite_soleil = communes.set_index("commune_pcode").loc["HT0117"]
    assert cite_soleil["name_fr"] == "Cité Soleil"
    assert cite_soleil["name_en"] == "Cite Soleil"
    assert len(geodata.sections()) == 48
    for column in ("name_fr", "name_en", "name_ht"):
        assert column in communes.columns


def test_required_zones_exist_with_documented_columns(zones):
    assert {"solino", "petion-ville", "airport", "mss-base"} <= set(zones.zone_id)
    for column in ("zone_id", "name", "commune_pcode", "section_pcode", "area_km2", "method", "sources", "confidence"):
        assert column in zones.columns
        assert zones[column].notna().all(), column
    assert zones.set_index("zone_id").loc["petion-ville", "name"] == "Pétion-Ville"


@pytest.mark.parametrize(("zone_id", "section"), sorted(SOURCE_SECTIONS.items()))
def test_each_centre_is_in_its_own_zone_and_the_section_its_source_gives(zones, sites, sections, zone_id, section):
    zone = zones.set_index("zone_id").loc[zone_id]
    point = shapely.Point(zone["centre_lon"], zone["centre_lat"])
    assert _containing(zones, point, "zone_id") == [zone_id]
    assert _containing(sections, point, "section_pcode") == [section]
    assert zone["section_pcode"] == section
    assert zone["commune_pcode"] == section[:6]


@pytest.mark.parametrize(("zone_id", "commune"), sorted(WOF_COMMUNES.items()))
def test_wof_centres_are_in_their_own_zone_and_commune(zones, zone_id, commune):
    zone = zones.set_index("zone_id").loc[zone_id]
    point = shapely.Point(zone["centre_lon"], zone["centre_lat"])
    assert _containing(zones, point, "zone_id") == [zone_id]
    assert zone["commune_pcode"] == commune


def test_runway_midpoint_is_in_the_airport_zone_and_tabarre(zones, sites, sections):
    midpoint = sites.loc["airport", "geometry"]
    assert midpoint.equals(shapely.Point(-72.292549, 18.58005))
    assert _containing(zones, midpoint, "zone_id") == ["airport"]
    assert _containing(sections, midpoint, "section_pcode") == ["HT0118-03"]
    assert _containing(geodata.communes(), midpoint, "commune_pcode") == ["HT0118"]


def test_airport_zone_follows_the_runway_not_a_circle(zones, sites):
    airport = zones.set_index("zone_id").loc[["airport"]].to_crs(32618).geometry.iloc[0]
    ends = gpd.GeoSeries(
        [
            sites.loc["runway-10-threshold", "geometry"],
            sites.loc["runway-28-threshold", "geometry"],
            sites.loc["airport-terminal", "geometry"],
        ],
        crs=4326,
    ).to_crs(32618)
    assert all(airport.covers(p) for p in ends)
    box = shapely.minimum_rotated_rectangle(airport)
    sides = sorted(shapely.LineString(box.exterior.coords[i : i + 2]).length for i in range(2))
    assert sides[1] / sides[0] > 2.5  # long and thin along the 3 km runway
    assert 2.0 < airport.area / 1e6 < 4.0


def test_mss_base_is_shown_as_approximate_everywhere(zones, sites):
    site = sites.loc["mss-base"]
    assert bool(site["approximate"])
    assert site["confidence"] == "low"
    assert "near the airport" in site["note"]
    assert "APPROXIMATE" in site["note"]
    zone = zones.set_index("zone_id").loc["mss-base"]
    assert zone["confidence"] == "low"
    assert "approximate" in zone["name"].lower()
    assert _containing(zones, site["geometry"], "zone_id") == ["mss-base"]


def test_required_sites_exist_with_provenance(sites):
    assert {"airport", "mss-base", "us-embassy", "solino", "petion-ville", "pont-sonde"} <= set(sites.index)
    assert bool(sites.loc["us-embassy", "approximate"])
    assert sites.loc["us-embassy", "commune_pcode"] == "HT0118"
    for column in ("site_id", "name", "kind", "precision_m", "source", "licence", "confidence"):
        assert sites[column].notna().all(), column
        assert (sites[column].astype(str) != "").all(), column
    assert (sites.precision_m > 0).all()


def test_zones_are_valid_disjoint_and_tile_the_land_of_the_metro(zones):
    metric = zones.to_crs(32618)
    land = geodata.land().set_index("land_id").to_crs(32618).loc["metro", "geometry"]
    assert metric.is_valid.all()
    tree = shapely.STRtree(metric.geometry.values)
    for i, j in zip(*tree.query(metric.geometry.values, predicate="intersects"), strict=True):
        if i < j:
            shared = metric.geometry.iloc[i].intersection(metric.geometry.iloc[j]).area
            assert shared < 0.01, (metric.zone_id.iloc[i], metric.zone_id.iloc[j], shared)
    union = shapely.union_all(metric.geometry.values)
    # Noded on a 1e-6 degree grid: a few hundred square metres of rounding over 1,000 km2 of land.
    assert land.difference(union).area < 1000
    assert union.difference(land).area < 1000


def test_every_section_has_a_zone_named_after_it_or_is_shared_out_among_places(zones, sections):
    remainders = zones[zones.kind == "section"].set_index("section_pcode")
    communes = geodata.communes().set_index("commune_pcode")["name"]
    for section in sections.itertuples():
        if section.section_pcode in remainders.index:
            name = remainders.loc[section.section_pcode, "name"]
            assert name == f"{communes[section.commune_pcode]} — {section.name}"
        else:  # every bit of it went to places' zones (or the airport)
            assert (zones.section_pcode == section.section_pcode).any()


def test_every_place_zone_is_named_after_a_sourced_point_it_contains(zones, sites):
    places = zones[zones.kind == "neighbourhood"]
    assert len(places) >= 45
    for zone in places.itertuples():
        site = sites.loc[zone.zone_id]
        zone_key, site_key = name_key(zone.name.split(" (")[0]), name_key(site["name"].split(" (")[0])
        assert zone_key in site_key or site_key in zone_key, zone.zone_id
        assert zone.geometry.covers(site["geometry"]), zone.zone_id
        assert site["source"]
        assert site["source_ref"]
        assert site["licence"]
        assert site["precision_m"] > 0
        expected = "medium" if site["precision_m"] <= 500 else "low"
        assert zone.confidence == expected, zone.zone_id


def test_no_place_zone_passes_3_km2_in_the_dense_communes(zones):
    dense = zones[(zones.kind == "neighbourhood") & zones.commune_pcode.isin(["HT0111", "HT0112", "HT0114", "HT0117"])]
    assert len(dense) >= 30
    assert dense.area_km2.max() <= 3.0


def test_commune_labels_and_rounded_points_seed_no_zone(zones):
    # Delmas's and Tabarre's label points are arc-minute points kilometres from those quartiers.
    assert not {"delmas", "tabarre", "carrefour", "port-au-prince", "gressier"} & set(zones.zone_id)
    # Nor do points their sources doubt (a city label under a quartier's name, a centroid, an ambiguous name).
    assert not {"delmas-73", "cazeau", "santo", "martissant"} & set(zones.zone_id)


def test_land_layer_has_the_metro_and_a_backdrop():
    land = geodata.land().set_index("land_id")
    assert list(land.index) == ["metro", "haiti"]
    communes = shapely.union_all(geodata.communes().to_crs(32618).geometry.values)
    metro = land.to_crs(32618).loc["metro", "geometry"]
    assert abs(metro.area - communes.area) < 1000
    assert land.loc["haiti", "geometry"].covers(shapely.Point(-72.34, 18.54))
    assert not land.loc["haiti", "geometry"].covers(shapely.Point(-72.45, 18.62))  # the bay


def test_zone_areas_match_their_geometry(zones):
    measured = zones.to_crs(32618).area / 1e6
    assert ((measured - zones.area_km2).abs() < 0.001).all()


def test_no_zone_crosses_a_section_line(zones, sections):
    metric_sections = sections.to_crs(32618).set_index("section_pcode")
    for zone in zones.to_crs(32618).itertuples():
        # Half a metre of slack: the zones were noded on a 1e-6 degree grid (about 0.1 m).
        section = metric_sections.loc[zone.section_pcode, "geometry"].buffer(0.5)
        assert zone.geometry.difference(section).area < 0.01, zone.zone_id


@pytest.mark.parametrize("name", sorted(geodata.LAYERS))
def test_shipped_coordinates_have_at_most_six_decimals(name):
    text = (geodata.data_dir() / geodata.LAYERS[name].file).read_text(encoding="utf-8")
    coordinates = json.loads(text)["features"]
    numbers = re.findall(r"-?\d+\.\d+", json.dumps([f["geometry"] for f in coordinates]))
    assert numbers
    assert all(len(n.split(".")[1]) <= 6 for n in numbers)


def test_every_feature_carries_its_provenance():
    for name in ("communes", "sections", "urban_extent", "zones", "land"):
        frame = geodata.load(name)
        source_column = "sources" if name == "zones" else "source"
        for column in (source_column, "licence", "method", "confidence"):
            assert (frame[column].astype(str).str.len() > 0).all(), (name, column)


def test_catalog_matches_the_files():
    catalog = geodata.catalog().set_index("name")
    assert set(catalog.index) == set(geodata.LAYERS) | set(geodata.TABLES)
    for name, row in catalog.iterrows():
        if name in geodata.TABLES:
            assert row["features"] == len(geodata.load_table(name)) > 0
            assert row["geometry_type"] == "table"
            assert row["licence"]
            assert row["source"]
            continue
        raw = json.loads((geodata.data_dir() / row["file"]).read_text(encoding="utf-8"))
        assert row["features"] == len(raw["features"]) == len(geodata.load(name))
        assert row["licence"]
        assert row["attribution"]
        assert row["source"]
    assert "CC BY-IGO 3.0" in catalog.loc["communes", "attribution"]
    assert "Who's On First" in catalog.loc["urban_extent", "attribution"]


def test_loaders_hand_out_copies_the_caller_may_change():
    first = geodata.zones()
    first.loc[:, "name"] = "changed"
    first.loc[first.index[0], "geometry"] = shapely.Point(0, 0)
    again = geodata.zones()
    assert "changed" not in set(again.name)
    assert again.geometry.iloc[0].geom_type != "Point"
    assert len(again) == geodata.catalog().set_index("name").loc["zones", "features"]


def test_unknown_layer_name_is_a_clear_error():
    with pytest.raises(ValueError, match=r"no shipped layer called 'quartiers'.*zones"):
        geodata.load("quartiers")


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1))
def test_every_point_on_the_metros_land_is_in_exactly_one_zone(fx, fy):
    zones = geodata.zones()
    land = geodata.land().set_index("land_id").loc["metro", "geometry"]
    minx, miny, maxx, maxy = land.bounds
    point = shapely.Point(minx + fx * (maxx - minx), miny + fy * (maxy - miny))
    inside_zones = int(zones.geometry.contains(point).sum())
    if land.buffer(-1e-5).contains(point):
        assert inside_zones == 1
    elif not land.buffer(1e-5).contains(point):
        assert inside_zones == 0


def test_zone_pairs_do_not_share_ids_or_names_by_accident(zones):
    assert zones.zone_id.is_unique
    for a, b in itertools.combinations(zones.name, 2):
        assert a != b
