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
