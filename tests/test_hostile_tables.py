"""Control tables and zone layers that once crashed katye: each is now katye's error or read as meant."""

from __future__ import annotations

import json

import pytest

import katye
from katye.control import read_control

HEADER = "zone_id,as_of,status,actor,source,confidence,note\n"


def control(tmp_path, body: str):
    path = tmp_path / "control.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_a_header_without_rows_is_an_error(tmp_path):
    with pytest.raises(katye.errors.InputError, match="no rows"):
        read_control(control(tmp_path, ""))


@pytest.mark.parametrize(
    "as_of",
    ["2024-01-01T00:00:00+05:00", "2024-01-01T23:30:00-05:00", "2024-01-01 08:00"],
)
def test_a_time_or_offset_after_the_day_keeps_the_day_written(tmp_path, as_of):
    table = read_control(control(tmp_path, f"solino,{as_of},gang,G9,s,low,n\nbel-air,2024-02-01,gang,G9,s,low,n\n"))
    assert str(table.loc[table.zone_id == "solino", "as_of"].iloc[0].date()) == "2024-01-01"
    assert table["as_of"].dt.tz is None


@pytest.mark.parametrize("as_of", ["2300-01-01", "1200-05-05", "2024-13-01"])
def test_an_implausible_day_names_its_line(tmp_path, as_of):
    with pytest.raises(katye.errors.InputError, match=r"as_of must be a date .* at line 2"):
        read_control(control(tmp_path, f"solino,{as_of},gang,G9,s,low,n\n"))


@pytest.mark.filterwarnings("ignore:invalid value encountered in from_wkb:RuntimeWarning")
def test_zones_with_coordinates_that_are_not_numbers_are_refused(tmp_path):
    path = tmp_path / "zones.geojson"
    ring = [[-72.3, 18.5], [float("nan"), 18.5], [-72.2, 18.6], [-72.3, 18.5]]
    feature = {
        "type": "Feature",
        "properties": {"zone_id": "a"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    with pytest.raises(katye.errors.InputError, match="not numbers"):
        katye.geodata.read_areas(path, id_column="zone_id")


def test_the_geometry_column_cannot_be_the_id(tmp_path):
    path = tmp_path / "zones.geojson"
    katye.geodata.zones()[["zone_id", "geometry"]].head(3).to_file(path)
    with pytest.raises(katye.errors.InputError, match="no column 'geometry'"):
        katye.geodata.read_areas(path, id_column="geometry")


def acled_csv(tmp_path, frame, name="x.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_an_upper_case_copy_of_a_column_before_the_lower_case_one_is_read(tmp_path):
    frame = katye.samples.synthetic_acled(20, seed=5).iloc[:, :31]
    frame.insert(2, "NOTES", "shouted")
    result = katye.read_incidents(acled_csv(tmp_path, frame))
    assert len(result.incidents) == 20
    assert set(result.incidents["notes"].astype(str)) == set(frame["notes"])
    assert set(result.incidents["NOTES"].astype(str)) == {"shouted"}


def test_a_header_given_twice_is_said_in_the_report(tmp_path):
    frame = katye.samples.synthetic_acled(10, seed=5).iloc[:, :31]
    path = acled_csv(tmp_path, frame)
    text = path.read_text(encoding="utf-8").replace("location", "notes", 1)
    path.write_text(text, encoding="utf-8")
    warnings = katye.read_incidents(path).report.warnings
    assert any("'notes' appears more than once" in w for w in warnings)


def test_a_map_dated_before_every_control_row_shows_every_zone_unknown():
    sample = katye.read_incidents(katye.samples.path()).incidents
    data = katye.prepare(sample, control=katye.samples.path("control"), as_of="2023-12-31")
    assert {data.status(z) for z in data.zones["zone_id"]} <= {"unknown"} | set(data.inferred["inferred_status"])
    assert data.snapshot.empty


@pytest.mark.parametrize("value", ["ILLUSTRATIVE", "y", "oui", "maybe", "tru\u0435"])
def test_an_illustrative_flag_that_is_neither_true_nor_false_is_an_error(tmp_path, value):
    path = tmp_path / "control.csv"
    path.write_text(HEADER.strip() + ",illustrative\n" + f"solino,2024-01-01,gang,G9,s,low,n,{value}\n")
    with pytest.raises(katye.errors.InputError, match="illustrative must be true or false at line 2"):
        read_control(path)


def test_start_after_end_is_a_usage_error():
    sample = katye.read_incidents(katye.samples.path()).incidents
    with pytest.raises(katye.errors.UsageError, match="after end"):
        katye.prepare(sample, start="2024-12-01", end="2024-01-01")


def test_a_half_life_that_is_not_a_number_is_refused():
    sample = katye.read_incidents(katye.samples.path()).incidents
    with pytest.raises(katye.errors.UsageError, match="half_life_days"):
        katye.risk(sample, half_life_days=float("nan"))


def test_control_characters_in_data_do_not_break_svg(tmp_path):
    import xml.etree.ElementTree as ET

    sample = katye.read_incidents(katye.samples.path()).incidents.head(50)
    path = tmp_path / "map.svg"
    katye.render_static(sample, title="Report\x0cPage\x1b[31m", path=path)
    ET.parse(path)  # well-formed XML


def test_a_stack_grows_no_bigger_than_the_cap():
    from katye.render import style

    assert style.stack_radius(20_000) == style.STACK_MAX_PX
    assert style.stack_radius(4) < style.STACK_MAX_PX


def test_a_gis_file_is_read_from_its_geometry_not_from_attribute_columns_named_x_and_y(tmp_path):
    import geopandas as gpd

    frame = katye.samples.synthetic_acled(20, seed=8).iloc[:, :31]
    points = gpd.GeoDataFrame(
        frame.drop(columns=["latitude", "longitude"]),
        geometry=gpd.points_from_xy(frame["longitude"].astype(float), frame["latitude"].astype(float)),
        crs="EPSG:4326",
    ).to_crs("EPSG:32618")
    points["x"], points["y"] = points.geometry.x, points.geometry.y  # metres, as a GIS export adds them
    path = tmp_path / "incidents.gpkg"
    points.to_file(path)
    result = katye.read_incidents(path)
    assert result.report.rejected == 0
    assert "points from the geometry" in result.report.layout


def test_one_column_cannot_be_both_latitude_and_longitude():
    with pytest.raises(katye.errors.UsageError, match="named for two fields"):
        katye.read_incidents(katye.samples.path(), lat="latitude", lon="latitude")


def test_cli_warnings_print_once_with_control_characters_escaped(tmp_path):
    from katye.testing import run_cli

    zones = katye.geodata.zones()[["zone_id", "geometry"]].head(3).copy()
    zones["zone_id"] = zones["zone_id"].astype(object)
    zones.loc[zones.index[0], "zone_id"] = "EVIL\x1b[41mRED"
    zones.loc[zones.index[1], "geometry"] = zones.geometry.iloc[0]  # overlaps the first: a warning
    path = tmp_path / "zones.geojson"
    zones.to_file(path)
    result = run_cli("join", "-o", str(tmp_path / "j.csv"), "--zones", str(path))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr
    assert "EVIL\\x1b[41mRED" in result.stderr
    assert result.stderr.count("of areas overlap") == 1
    assert "UserWarning" not in result.stderr


@pytest.mark.parametrize("kind", ["gz", "zip"])
def test_a_compressed_download_is_named_as_such(tmp_path, kind):
    import gzip
    import zipfile

    data = katye.samples.path().read_bytes()
    path = tmp_path / f"acled.csv.{kind}"
    if kind == "gz":
        path.write_bytes(gzip.compress(data))
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("acled.csv", data)
    with pytest.raises(katye.errors.InputError, match=r"Decompress|Extract"):
        katye.read_incidents(path)
