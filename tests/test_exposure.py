"""People exposed: zonal population from grids and official tables, rates per 100,000, people near events.

Every grid here is SYNTHETIC, written to a temporary GeoTIFF by the test itself.
"""

from __future__ import annotations

import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import katye
from conftest import readme_example
from katye.exposure import BEST_RADIUS_M, RADIUS_SOURCES
from katye.popgrid import coverage
from katye.testing import invoke, run_cli

rasterio = pytest.importorskip("rasterio")
from affine import Affine  # noqa: E402

#: A coarse SYNTHETIC grid over the 10 metro communes: 0.005° pixels (about 530 m).
METRO = (-72.58, 18.87, 0.005)  # west, north, pixel size
METRO_SHAPE = (116, 128)  # rows, columns: to 18.29 N and 71.94 W


def write_grid(path, values, *, west, north, size, crs="EPSG:4326", nodata=None, dtype="float32"):
    values = np.asarray(values)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype=dtype,
        crs=crs,
        transform=Affine(size, 0.0, west, 0.0, -size, north),
        nodata=nodata,
    ) as out:
        out.write(values.astype(dtype), 1)
    return path


@pytest.fixture(scope="module")
def metro_grid(tmp_path_factory):
    """SYNTHETIC people per pixel over the metro: a dense centre, a sparse edge, seeded noise."""
    rows, cols = METRO_SHAPE
    y, x = np.mgrid[0:rows, 0:cols]
    rng = np.random.default_rng(7)
    values = 20 + 3000 * np.exp(-((x - 45) ** 2 + (y - 60) ** 2) / 300) * rng.uniform(0.5, 1.5, (rows, cols))
    path = tmp_path_factory.mktemp("grid") / "metro_synthetic.tif"
    return write_grid(path, values, west=METRO[0], north=METRO[1], size=METRO[2], dtype="float64"), values


def squares(n=3, *, x0=-72.34, y0=18.53, side=0.01):
    """Zones a, b, c …: side-by-side squares (EPSG:4326)."""
    ids = [chr(ord("a") + i) for i in range(n)]
    return gpd.GeoDataFrame(
        {"zone_id": ids, "name": ids},
        geometry=[shapely.box(x0 + i * side, y0, x0 + (i + 1) * side, y0 + side) for i in range(n)],
        crs=4326,
    )


def incidents_at(points, *, event_type="Battles", fatalities=0, precision="exact"):
    frame = pd.DataFrame(
        {
            "event_type": event_type,
            "event_date": pd.Timestamp("2024-11-01"),
            "fatalities": fatalities,
            "location_precision": precision,
            "actor1": "Unidentified Armed Group (Haiti)",
            "actor2": "Civilians (Haiti)",
        },
        index=range(len(points)),
    )
    return gpd.GeoDataFrame(frame, geometry=[shapely.Point(p) for p in points], crs=4326)


# --- the coverage engine -------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    # On a 1e-3 grid: with subnormal coordinates (5e-324) shapely's own intersection goes wrong.
    st.lists(
        st.tuples(st.integers(0, 9000), st.integers(0, 9000)).map(lambda p: (p[0] / 1000, p[1] / 1000)),
        min_size=3,
        max_size=9,
    ),
    st.floats(0, 2),
    st.booleans(),
)
def test_pixel_fractions_equal_shapely_intersection_areas(points, grow, flip):
    polygon = shapely.MultiPoint(points).convex_hull.buffer(grow, quad_segs=4)
    if polygon.geom_type != "Polygon" or polygon.area < 1e-6:
        return
    polygon = polygon.difference(shapely.Point(points[0]).buffer(0.7))  # a bite, sometimes a hole
    if flip:  # the other winding, as files and flipped axes give it
        polygon = shapely.affinity.scale(polygon, 1, -1, origin=(0, 0))
    row0, col0, fractions = coverage(polygon, lambda x, y: (x, y))
    rows, cols = np.mgrid[0 : fractions.shape[0], 0 : fractions.shape[1]]
    cells = shapely.box(cols + col0, rows + row0, cols + col0 + 1, rows + row0 + 1)
    expected = shapely.area(shapely.intersection(cells, polygon))
    np.testing.assert_allclose(fractions, expected, atol=1e-9)


# --- zonal sums from a grid ----------------------------------------------------------------------------


def test_population_of_pixel_aligned_zones_is_the_sum_of_their_pixels(tmp_path):
    values = np.arange(1, 7 * 9 + 1, dtype=float).reshape(7, 9)
    path = write_grid(tmp_path / "g.tif", values, west=-72.35, north=18.55, size=0.01)
    zones = gpd.GeoDataFrame(
        {"zone_id": ["one", "block"]},
        geometry=[shapely.box(-72.34, 18.53, -72.33, 18.54), shapely.box(-72.33, 18.50, -72.30, 18.54)],
        crs=4326,
    )
    pop = katye.zone_population(zones, raster=path).set_index("zone_id")["population"]
    # Row 1 (18.54-18.53), column 1; then rows 1-4, columns 2-4.
    assert pop["one"] == pytest.approx(values[1, 1], rel=1e-12)
    assert pop["block"] == pytest.approx(values[1:5, 2:5].sum(), rel=1e-12)


def test_exposure_sums_equal_the_grids_population_within_the_zones(metro_grid):
    path, values = metro_grid
    communes = katye.zone_population("communes", raster=path)
    zones = katye.zone_population(None, raster=path)
    sections = katye.zone_population("sections", raster=path)
    # Zones tile their union, sections the communes: each pixel's people are split between them, none lost
    # or doubled (the shipped zones follow the commune lines to within rounding: 4e-7 of the people here).
    union = gpd.GeoDataFrame({"zone_id": ["all"]}, geometry=[zones.union_all()], crs=4326)
    assert zones["population"].sum() == pytest.approx(
        katye.zone_population(union, raster=path)["population"][0], rel=1e-9
    )
    assert zones["population"].sum() == pytest.approx(communes["population"].sum(), rel=1e-6)
    # The shipped sections nest in the communes to within 115 m² (Port-au-Prince's shore).
    per_commune = sections.groupby("commune_pcode")["population"].sum()
    merged = sections.dissolve("commune_pcode").reset_index().rename(columns={"commune_pcode": "zone_id"})
    whole = katye.zone_population(merged[["zone_id", "geometry"]], raster=path).set_index("zone_id")["population"]
    for pcode, people in communes.set_index("commune_pcode")["population"].items():
        assert per_commune[pcode] == pytest.approx(whole[pcode], rel=1e-9)
        assert per_commune[pcode] == pytest.approx(people, rel=1e-5)
    # And a box of whole pixels holds exactly their people.
    box = gpd.GeoDataFrame({"zone_id": ["box"]}, geometry=[shapely.box(-72.58, 18.29, -71.94, 18.87)], crs=4326)
    assert katye.zone_population(box, raster=path)["population"].iloc[0] == pytest.approx(values.sum(), rel=1e-12)
    info = zones.attrs["katye_population"]
    assert info["layer"] == "zones"
    assert info["kind"] == "grid"
    assert "pixel fraction" in info["method"]
    assert set(zones["population_source"]) == {"grid metro_synthetic.tif"}


def test_centre_rule_gives_each_pixel_to_one_zone(metro_grid):
    path, _ = metro_grid
    fraction = katye.zone_population("sections", raster=path)
    centre = katye.zone_population("sections", raster=path, method="centre")
    # Whole pixels per section: totals close, sections differ (that is why fraction is the default).
    assert centre["population"].sum() == pytest.approx(fraction["population"].sum(), rel=0.02)
    assert not np.allclose(centre["population"], fraction["population"])


def test_a_grid_in_utm_gives_people_by_true_area(tmp_path):
    # 100 m pixels of 5 people each in EPSG:32618 around Port-au-Prince: 500 people per km².
    path = write_grid(
        tmp_path / "utm.tif", np.full((60, 60), 5.0), west=780_000, north=2_055_000, size=100, crs="EPSG:32618"
    )
    zones = squares().to_crs(32618).assign(geometry=lambda f: f.geometry.buffer(0))  # a user's layer in UTM
    zones = zones.set_geometry(gpd.GeoSeries(squares().geometry.values, crs=4326).to_crs(32618).values)
    pop = katye.zone_population(zones, raster=path)
    area_km2 = zones.area.to_numpy() / 1e6
    np.testing.assert_allclose(pop["population"].to_numpy(), 500 * area_km2, rtol=1e-6)
    assert pop.crs.equals("EPSG:4326")  # katye returns EPSG:4326, as it stores everything


def test_nodata_and_nan_pixels_hold_nobody(tmp_path):
    values = np.full((4, 4), 10.0)
    values[0, 0] = -99999
    values[1, 1] = np.nan
    path = write_grid(tmp_path / "n.tif", values, west=-72.35, north=18.55, size=0.01, nodata=-99999)
    whole = gpd.GeoDataFrame({"zone_id": ["all"]}, geometry=[shapely.box(-72.35, 18.51, -72.31, 18.55)], crs=4326)
    pop = katye.zone_population(whole, raster=path)
    assert pop["population"].iloc[0] == pytest.approx(140.0)
    assert pop.attrs["katye_population"]["nodata_pixels_read_as_zero"] == 2


def test_negative_people_are_refused_with_the_pixel(tmp_path):
    values = np.full((4, 4), 10.0)
    values[2, 3] = -5
    path = write_grid(tmp_path / "neg.tif", values, west=-72.35, north=18.55, size=0.01)
    whole = gpd.GeoDataFrame({"zone_id": ["all"]}, geometry=[shapely.box(-72.35, 18.51, -72.31, 18.55)], crs=4326)
    with pytest.raises(katye.InputError, match=r"negative number of people .* row 2, column 3.*nodata"):
        katye.zone_population(whole, raster=path)


def test_a_grid_that_does_not_cover_the_zones_is_a_clear_error(tmp_path):
    path = write_grid(tmp_path / "small.tif", np.ones((3, 3)), west=-72.345, north=18.545, size=0.01)
    # It spans -72.345..-72.315: zones a and b, not c (-72.32..-72.31).
    with pytest.raises(katye.InputError, match=r"small.tif: .*does not cover 1 of the zones \(c\).*uncovered='nan'"):
        katye.zone_population(squares(), raster=path)
    partial = katye.zone_population(squares(), raster=path, uncovered="nan")
    assert partial["population"].isna().tolist() == [False, False, True]
    assert partial["population"].iloc[0] == pytest.approx(1.0)  # a square of 0.01° on whole pixels of 0.01°
    assert partial.attrs["katye_population"]["uncovered"] == ["c"]


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_a_grid_without_crs_and_a_missing_file_are_input_errors(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32") as out:
        out.write(np.ones((2, 2), dtype="float32"), 1)
    with pytest.raises(katye.CRSError, match="no coordinate reference system"):
        katye.zone_population(squares(), raster=path)
    with pytest.raises(katye.InputError, match="no such file"):
        katye.zone_population(squares(), raster=tmp_path / "missing.tif")
    (tmp_path / "text.tif").write_text("not a grid")
    with pytest.raises(katye.InputError, match="could not read this population grid"):
        katye.zone_population(squares(), raster=tmp_path / "text.tif")


def test_without_rasterio_the_error_says_how_to_install_it(monkeypatch, metro_grid):
    monkeypatch.setitem(sys.modules, "rasterio", None)
    with pytest.raises(katye.UsageError, match=r'pip install "katye\[population\]"'):
        katye.zone_population(squares(), raster=metro_grid[0])


def test_arguments_are_checked_before_any_work(metro_grid):
    with pytest.raises(katye.UsageError, match="one of them"):
        katye.zone_population(squares())
    with pytest.raises(katye.UsageError, match="rescale_to"):
        katye.zone_population(squares(), table=pd.DataFrame(), rescale_to=pd.DataFrame())
    with pytest.raises(katye.UsageError, match="method"):
        katye.zone_population(squares(), raster=metro_grid[0], method="mean")
    with pytest.raises(katye.UsageError, match="shipped layer"):
        katye.zone_population("quartiers", raster=metro_grid[0])


# --- official tables (COD-PS) ---------------------------------------------------------------------------


def cod_ps_sections(tmp_path, *, people=None):
    """A SYNTHETIC COD-PS-style table per section: P-codes of the metro, made-up people, an HXL row."""
    sections = katye.geodata.sections()
    counts = people if people is not None else 1000 * (np.arange(len(sections)) + 1)
    lines = ["ADM3_PCODE,ADM3_FR,ADM2_PCODE,T_TL", "#adm3+code,#adm3+name,#adm2+code,#population+total"]
    for pcode, name, commune, n in zip(
        sections["section_pcode"], sections["name"], sections["commune_pcode"], counts, strict=True
    ):
        lines.append(f'{pcode},"{name}",{commune},"{int(n):,}"')
    path = tmp_path / "hti_pop_adm3_synthetic.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, pd.Series(counts, index=sections["section_pcode"]).astype(float)


def test_a_section_table_gives_sections_communes_and_zones(tmp_path):
    path, people = cod_ps_sections(tmp_path)
    sections = katye.zone_population("sections", table=path).set_index("section_pcode")
    assert (sections["population"] == people.reindex(sections.index)).all()
    communes = katye.zone_population("communes", table=path).set_index("commune_pcode")
    by_commune = people.groupby(katye.geodata.sections().set_index("section_pcode")["commune_pcode"]).sum()
    assert (communes["population"] == by_commune.reindex(communes.index)).all()
    zones = katye.zone_population(None, table=path)
    # Split by area within each section: the zones of a section add up to its people (to within the
    # slivers where the shipped zones miss a section's edge by rounding).
    per_section = zones.groupby("section_pcode")["population"].sum()
    np.testing.assert_allclose(per_section.reindex(people.index), people, rtol=1e-4)
    assert "split by area" in zones["population_method"].iloc[0]
    assert zones.attrs["katye_population"]["caveat"].startswith("Population: official table hti_pop_adm3_synthetic.csv")


def test_table_mistakes_name_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("ADM2_PCODE,T_TL\nHT0111,100\nHT9999,5\n", encoding="utf-8")
    with pytest.raises(katye.InputError, match=r"bad.csv: ADM2_PCODE holds 'HT9999' at line 3"):
        katye.zone_population("communes", table=bad)
    bad.write_text("ADM2_PCODE,T_TL\nHT0111,100\nHT0111,5\n", encoding="utf-8")
    with pytest.raises(katye.InputError, match="HT0111 appears at lines 2, 3"):
        katye.zone_population("communes", table=bad)
    bad.write_text("ADM2_PCODE,T_TL\nHT0111,-4\n", encoding="utf-8")
    with pytest.raises(katye.InputError, match=r"T_TL holds '-4' at line 2; expected a number of people"):
        katye.zone_population("communes", table=bad)
    bad.write_text("ADM2_PCODE,people\nHT0111,4\n", encoding="utf-8")
    with pytest.raises(katye.InputError, match=r"no population column.*population_column="):
        katye.zone_population("communes", table=bad)
    with pytest.raises(katye.InputError, match=r"no row for commune\(s\) HT0112"):
        katye.zone_population("communes", table=bad, population_column="people")


def test_a_dataframe_table_works_too():
    table = pd.DataFrame({"commune_pcode": ["HT0111", "HT0112"], "population": [987_310, 395_260]})
    communes = katye.geodata.communes()
    two = communes[communes["commune_pcode"].isin(["HT0111", "HT0112"])]
    pop = katye.zone_population(two, table=table).set_index("commune_pcode")["population"]
    assert pop.to_dict() == {"HT0111": 987_310.0, "HT0112": 395_260.0}


# --- rescaling a grid to official totals ---------------------------------------------------------------


def test_rescaling_makes_each_unit_sum_to_the_official_total(tmp_path, metro_grid):
    path, _ = metro_grid
    grid_sections = katye.zone_population("sections", raster=path).set_index("section_pcode")["population"]
    # Official numbers the grid gets wrong by up to 2x: the peri-urban sections have twice the grid's people.
    factor = np.where(np.arange(len(grid_sections)) % 3 == 0, 2.0, 0.8)
    table, official = cod_ps_sections(tmp_path, people=np.round(grid_sections.to_numpy() * factor))
    zones = katye.zone_population(None, raster=path, rescale_to=table)
    per_section = zones.groupby("section_pcode")["population"].sum()
    # To within the people on the slivers where the shipped zones miss a section's edge by rounding.
    np.testing.assert_allclose(per_section.reindex(official.index), official, rtol=1e-4)
    # Within a section the grid still decides who lives where.
    ratio = zones["population"] / zones["population_grid"]
    np.testing.assert_allclose(ratio, zones["rescale_factor"], rtol=1e-9)
    expected = zones["section_pcode"].map(official / grid_sections)
    np.testing.assert_allclose(ratio, expected, rtol=1e-4)  # a zone spills into the next section by rounding
    info = zones.attrs["katye_population"]
    assert info["kind"] == "grid rescaled to table"
    assert info["level"] == "section"
    assert info["max_disagreement"] == pytest.approx(2.0, rel=0.01)
    assert len(info["rescale"]) == len(grid_sections)
    assert "differed from them by up to 2.0×" in info["caveat"]


def test_rescaling_without_a_grid_is_refused(tmp_path):
    table, _ = cod_ps_sections(tmp_path)
    with pytest.raises(katye.UsageError, match="rescale_to= rescales a grid"):
        katye.zone_population(None, table=table, rescale_to=table)


# --- rates per 100,000 people, and risk per population -------------------------------------------------


def test_events_and_fatalities_per_100000_people(tmp_path):
    # 10 people per 0.001° pixel; each square of 0.01° holds 100 pixels: 1,000 people.
    path = write_grid(tmp_path / "flat.tif", np.full((30, 50), 10.0), west=-72.345, north=18.545, size=0.001)
    zones = squares()
    population = katye.zone_population(zones, raster=path)
    assert population["population"].tolist() == pytest.approx([1000, 1000, 1000])
    incidents = pd.concat(
        [
            incidents_at([(-72.335, 18.535)] * 3, fatalities=2),
            incidents_at([(-72.325, 18.535)], fatalities=5),
            incidents_at([(-72.325, 18.535)], precision="commune"),  # not exact: in no zone
        ],
        ignore_index=True,
    )
    rates = katye.exposure_rates(incidents, population).set_index("zone_id")
    assert rates.loc["a", "events"] == 3
    assert rates.loc["a", "events_per_100k"] == pytest.approx(300.0)
    assert rates.loc["a", "fatalities_per_100k"] == pytest.approx(600.0)
    assert rates.loc["b", "events_per_100k"] == pytest.approx(100.0)
    assert rates.loc["c", "events_per_100k"] == 0
    assert rates.attrs["katye_exposure"]["counted"] == "exact incidents only"
    assert rates.attrs["katye_exposure"]["not_counted"] == 1


def test_rates_per_commune_count_commune_precise_events(tmp_path):
    table = pd.DataFrame({"ADM2_PCODE": katye.geodata.communes()["commune_pcode"], "T_TL": 100_000})
    population = katye.zone_population("communes", table=table)
    solino = (-72.3275, 18.5555)
    incidents = pd.concat(
        [incidents_at([solino] * 2), incidents_at([solino] * 3, precision="commune")], ignore_index=True
    )
    rates = katye.exposure_rates(incidents, population).set_index("commune_pcode")
    commune = katye.assign(incidents)["commune_pcode"].iloc[0]
    assert rates.loc[commune, "events"] == 5
    assert rates.loc[commune, "events_per_100k"] == pytest.approx(5.0)


def test_risk_takes_the_population_table_and_leaves_zones_without_people_unrated(tmp_path):
    values = np.full((30, 50), 10.0)
    values[:, 15:25] = 0  # nobody in zone b (an airport): columns of -72.33..-72.32
    path = write_grid(tmp_path / "gap.tif", values, west=-72.345, north=18.545, size=0.001)
    zones = squares()
    population = katye.zone_population(zones, raster=path)
    incidents = pd.concat([incidents_at([(-72.335, 18.535)] * 4), incidents_at([(-72.325, 18.535)] * 2)])
    scored = katye.risk(incidents, zones, as_of="2024-11-30", per="population", population=population)
    plain = katye.risk(incidents, zones, as_of="2024-11-30")
    a = scored.set_index("zone_id")
    assert a.loc["a", "risk_index"] == pytest.approx(plain.set_index("zone_id").loc["a", "score"] / 0.01)
    assert np.isnan(a.loc["b", "risk_index"])
    assert a.loc["b", "risk_class"] == "none"
    assert a["population"].tolist() == pytest.approx([1000, 0, 1000])
    assert scored.attrs["katye_method"]["no_population"] == ["b"]
    assert scored.attrs["katye_population"]["grid"] == "gap.tif"
    # The rates table feeds it too.
    rates = katye.exposure_rates(incidents, population)
    again = katye.risk(incidents, zones, as_of="2024-11-30", per="population", population=rates)
    assert again["risk_index"].equals(scored["risk_index"])


def test_a_map_says_where_the_people_came_from(tmp_path, metro_grid):
    from katye.mapdata import prepare

    path, _ = metro_grid
    sections = katye.zone_population("sections", raster=path).set_index("section_pcode")["population"]
    table, _ = cod_ps_sections(tmp_path, people=np.round(sections.to_numpy() * 1.9))
    population = katye.zone_population(None, raster=path, rescale_to=table)
    incidents = incidents_at([(-72.3275, 18.5555)] * 3)
    data = prepare(incidents, risk_per="population", population=population)
    assert any(
        "rescaled to the official totals of hti_pop_adm3_synthetic.csv" in c and "1.9×" in c for c in data.caveats
    )
    french = prepare(incidents, risk_per="population", population=population, lang="fr")
    assert any("recalée sur les totaux officiels" in c and "1,9×" in c for c in french.caveats)


# --- people near each event ----------------------------------------------------------------------------


def test_people_within_each_radius_on_a_uniform_grid(tmp_path):
    # 1 person per 100 m pixel in UTM: a disc of r metres holds pi r^2 / 10,000 people.
    path = write_grid(
        tmp_path / "one.tif", np.ones((200, 200)), west=770_000, north=2_060_000, size=100, crs="EPSG:32618"
    )
    points = gpd.GeoSeries(shapely.points([[780_000, 2_050_000], [780_037, 2_050_061]]), crs=32618).to_crs(4326)
    incidents = gpd.GeoDataFrame(
        {"event_type": ["Explosions/Remote violence", "Protests"]}, geometry=points.values, crs=4326
    )
    near = katye.event_exposure(incidents, path)
    for radius in (1000, 2000, 5000):
        np.testing.assert_allclose(near[f"people_{radius // 1000}km"], np.pi * radius**2 / 10_000, rtol=2e-3)
    assert near["best_radius_m"].tolist() == [5000, 1000]
    assert near["people_best"].tolist() == [near["people_5km"].iloc[0], near["people_1km"].iloc[1]]


def test_people_near_events_match_exact_disc_sums(metro_grid):
    path, _ = metro_grid
    rng = np.random.default_rng(3)
    points = np.column_stack([rng.uniform(-72.45, -72.2, 12), rng.uniform(18.45, 18.65, 12)])
    incidents = incidents_at(points)
    near = katye.event_exposure(incidents, path, rings=(2000, 5000))
    metric = incidents.to_crs(32618)
    for radius in (2000, 5000):
        discs = gpd.GeoDataFrame(
            {"zone_id": [str(i) for i in range(12)]}, geometry=metric.buffer(radius, quad_segs=64), crs=32618
        )
        exact = katye.zone_population(discs, raster=path)["population"].to_numpy()
        np.testing.assert_allclose(near[f"people_{radius // 1000}km"], exact, rtol=0.01)


def test_event_radii_are_acleds_where_documented_and_overridable(metro_grid):
    assert BEST_RADIUS_M["Explosions/Remote violence"] == 5000
    assert BEST_RADIUS_M["Protests"] == 1000
    assert all(name in RADIUS_SOURCES for name in BEST_RADIUS_M)
    assert "ACLED" in RADIUS_SOURCES["Protests"]
    assert "katye's choice" in RADIUS_SOURCES["Battles"]
    incidents = incidents_at([(-72.33, 18.54)] * 3)
    incidents["event_type"] = ["Battles", "Kidnapping", "Battles"]
    near = katye.event_exposure(incidents, metro_grid[0], radii={"Battles": 3000, "Kidnapping": 1000})
    assert near["best_radius_m"].tolist() == [3000, 1000, 3000]
    assert near["people_best"].iloc[1] == pytest.approx(near["people_1km"].iloc[1])
    untyped = katye.event_exposure(incidents, metro_grid[0])
    assert np.isnan(untyped["people_best"].iloc[1])
    assert untyped.attrs["katye_event_exposure"]["types_without_radius"] == ["Kidnapping"]
    with pytest.raises(katye.UsageError, match=r"radii\['Battles'\]"):
        katye.event_exposure(incidents, metro_grid[0], radii={"Battles": -1})


def test_events_whose_disc_leaves_the_grid_get_nan(tmp_path):
    # 16 pixels of 0.001°: 1.7 km across; its middle is 0.84 km from every edge.
    path = write_grid(tmp_path / "tiny.tif", np.ones((16, 16)), west=-72.348, north=18.548, size=0.001)
    incidents = incidents_at([(-72.34, 18.54), (-72.0, 18.54)])
    near = katye.event_exposure(incidents, path, rings=(1000,))
    assert np.isnan(near["people_1km"]).all()
    small = katye.event_exposure(incidents, path, rings=(500,))
    assert np.isfinite(small["people_0.5km"].iloc[0])
    assert np.isnan(small["people_0.5km"].iloc[1])
    assert small.attrs["katye_event_exposure"]["outside_grid"] == 1


# --- the command line ----------------------------------------------------------------------------------


def test_cli_exposure_risk_and_errors(tmp_path, metro_grid):
    path, _ = metro_grid
    out = tmp_path / "exposure.csv"
    events = tmp_path / "events.csv"
    done = invoke("exposure", "--population", path, "-o", out, "--events", events, "--radius", "Battles=5000")
    assert done.exit_code == 0, done.output
    rates = pd.read_csv(out)
    assert {"zone_id", "population", "events_per_100k", "fatalities_per_100k"} <= set(rates.columns)
    assert "Population: modelled grid metro_synthetic.tif" in done.stderr
    near = pd.read_csv(events)
    assert {"people_1km", "people_2km", "people_5km", "people_best", "best_radius_m"} <= set(near.columns)
    assert (near.loc[near["event_type"] == "Battles", "best_radius_m"] == 5000).all()
    risk = invoke("risk", "-o", tmp_path / "risk.csv", "--per", "population", "--population", path)
    assert risk.exit_code == 0, risk.output
    assert "population" in pd.read_csv(tmp_path / "risk.csv").columns
    # Errors: one line, katye's exit codes, before any incident is read.
    column = invoke("risk", "-o", tmp_path / "r.csv", "--per", "population", "--population", "pop")
    assert column.exit_code == 1
    assert "--zones" in column.stderr
    rescale = invoke("exposure", "--population", out, "--rescale-to", out, "-o", tmp_path / "y.csv")
    assert rescale.exit_code == 1
    assert "rescales a population grid" in rescale.stderr
    # As a user meets it: a new process, no traceback.
    missing = run_cli("exposure", "--population", str(tmp_path / "none.tif"), "-o", str(tmp_path / "x.csv"))
    assert missing.returncode == 2
    assert "none.tif: no such file" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_the_readme_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(readme_example("## People exposed"), "README.md", "exec"), namespace)
    rescaled = namespace["rescaled"]
    assert "up to 2.0× (Cabaret)" in rescaled.attrs["katye_population"]["caveat"]
    assert {"events_per_100k", "fatalities_per_100k"} <= set(namespace["rates"].columns)
    assert namespace["scored"].attrs["katye_method"]["per"] == "population"
    assert np.isfinite(namespace["near"]["people_best"]).any()


def test_radii_are_ground_metres_on_a_web_mercator_grid(tmp_path):
    # 100 m of Web Mercator is cos(latitude) x 100 m on the ground near Port-au-Prince.
    from pyproj import Transformer

    west, north = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(-72.45, 18.62)
    path = write_grid(
        tmp_path / "mercator.tif", np.full((200, 200), 5.0), west=west, north=north, size=100.0, crs="EPSG:3857"
    )
    events = incidents_at([(-72.36, 18.55)])
    near = katye.event_exposure(events, path, rings=(1000,))
    latitude = np.radians(18.55)
    expected = 5.0 * np.pi * 1000**2 / (100.0 * np.cos(latitude)) ** 2
    assert near["people_1km"].iloc[0] == pytest.approx(expected, rel=0.01)


def test_a_grid_that_holds_nobody_over_the_zones_is_an_error(tmp_path):
    path = write_grid(
        tmp_path / "empty.tif", np.full((80, 80), -9999.0), west=-72.36, north=18.56, size=0.001, nodata=-9999.0
    )
    with pytest.raises(katye.InputError, match="holds nobody"):
        katye.zone_population(squares(), raster=path)
