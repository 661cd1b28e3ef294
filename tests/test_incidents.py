"""Reading incident files: every ACLED layout, the user's own files, and nothing lost."""

from __future__ import annotations

import csv
import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

import katye
from katye.errors import InputError, UsageError
from katye.incidents.schema import ACLED_CURRENT, ACLED_PRE_2023, output_columns
from katye.samples import synthetic_acled

PETION = "Petion Ville - Pétion-Ville"


def acled_rows(n: int = 6) -> pd.DataFrame:
    """A few synthetic rows in the current layout, with a Creole name and a hard note."""
    frame = synthetic_acled(n, seed=7).iloc[:, :31].copy()
    frame.loc[0, "location"] = PETION
    frame.loc[0, "latitude"], frame.loc[0, "longitude"] = "18.5125", "-72.2853"
    frame.loc[1, "notes"] = 'He said "run"\nthen, on a second line; a semicolon'
    return frame


def write(path, frame: pd.DataFrame, *, delimiter=",", encoding="utf-8", newline="\n", header=None, extra_rows=()):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header or list(frame.columns))
    for row in extra_rows:
        writer.writerow(row)
    writer.writerows(frame.astype(str).values.tolist())
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def check_accounting(result, rows: int) -> None:
    incidents, rejected, report = result
    assert report.input_rows == rows
    assert report.accepted + report.outside + report.rejected == rows
    assert len(incidents) == report.accepted + report.outside
    assert len(rejected) == report.rejected
    assert rejected["reason"].ne("").all()
    lines = np.concatenate([incidents["line"].to_numpy(), rejected["line"].to_numpy()])
    assert len(set(lines)) == rows


def test_current_acled_export(tmp_path):
    frame = acled_rows()
    assert tuple(frame.columns) == ACLED_CURRENT
    assert len(frame.columns) == 31
    result = katye.read_incidents(write(tmp_path / "acled.csv", frame))
    check_accounting(result, len(frame))
    incidents = result.incidents
    assert list(incidents.columns[: len(output_columns())]) == list(output_columns())
    assert incidents.crs.to_epsg() == 4326
    assert result.report.layout == "ACLED export (current)"
    assert incidents.loc[0, "location"] == PETION
    assert incidents.loc[1, "notes"] == 'He said "run"\nthen, on a second line; a semicolon'
    assert {"disorder_type", "civilian_targeting", "tags", "interaction"} <= set(incidents.columns)
    assert incidents["fatalities"].dtype == np.int64
    assert str(incidents["geo_precision"].dtype) == "Int8"
    # The note spans two lines, so the rows after it start one line later.
    assert list(incidents.sort_values("line")["line"])[:3] == [2, 3, 5]


def to_pre_2023(frame: pd.DataFrame) -> pd.DataFrame:
    old = frame.copy()
    old["data_id"] = [str(9000 + i) for i in range(len(old))]
    old["event_id_no_cnty"] = [str(100 + i) for i in range(len(old))]
    old["iso3"] = "HTI"
    old["inter1"], old["inter2"], old["interaction"] = "3", "7", "37"
    old["event_date"] = pd.to_datetime(old["event_date"]).dt.strftime("%d %B %Y")
    return old[list(ACLED_PRE_2023)]


def test_pre_2023_export_with_numeric_inter_codes(tmp_path):
    frame = to_pre_2023(acled_rows())
    result = katye.read_incidents(write(tmp_path / "old.csv", frame))
    check_accounting(result, len(frame))
    assert result.report.layout == "ACLED export (before March 2023)"
    assert set(result.incidents["interaction"]) == {"37"}
    assert result.incidents.loc[0, "location"] == PETION
    expected = pd.to_datetime(acled_rows()["event_date"]).tolist()
    assert result.incidents["event_date"].tolist() == expected


def test_old_upper_case_headers(tmp_path):
    frame = to_pre_2023(acled_rows())
    header = [c.upper() for c in frame.columns]
    header[header.index("ISO")] = "GWNO"
    result = katye.read_incidents(write(tmp_path / "upper.csv", frame, header=header))
    check_accounting(result, len(frame))
    assert "upper-case headers" in result.report.layout
    assert "gwno" in result.incidents.columns
    assert result.incidents.loc[0, "location"] == PETION


def test_hdx_copy_with_hashtag_row(tmp_path):
    frame = acled_rows()
    tags = ["#event+code" if c == "event_id_cnty" else f"#{c}" for c in frame.columns]
    tags[frame.columns.get_loc("latitude")], tags[frame.columns.get_loc("longitude")] = "#geo+lat", "#geo+lon"
    result = katye.read_incidents(write(tmp_path / "hdx.csv", frame, extra_rows=[tags]))
    check_accounting(result, len(frame))
    assert result.report.hxl_row
    assert "HDX" in result.report.layout
    assert result.incidents["line"].min() == 3  # header on line 1, hashtags on line 2


@pytest.mark.parametrize("layout", ["%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%m/%d/%Y"])
def test_every_acled_date_layout(tmp_path, layout):
    frame = acled_rows()
    expected = pd.to_datetime(frame["event_date"])
    frame["event_date"] = expected.dt.strftime(layout)
    result = katye.read_incidents(write(tmp_path / "dates.csv", frame))
    assert result.report.rejected == 0
    assert result.incidents["event_date"].tolist() == expected.tolist()


def test_a_year_mistyped_by_centuries_is_refused_with_its_reason(tmp_path):
    frame = acled_rows(4)
    frame["event_date"] = ["2024-10-24", "2124-10-24", "2524-10-24", "1024-10-24"]
    result = katye.read_incidents(write(tmp_path / "typo.csv", frame))
    check_accounting(result, 4)
    assert len(result.incidents) == 1
    assert set(result.rejected["reason"]) == {"date before 1900 or after 2100 (a mistyped year?)"}


def test_day_first_slashes_are_recognised_when_unambiguous(tmp_path):
    frame = acled_rows(3)
    frame["event_date"] = ["24/10/2024", "03/11/2024", "30/12/2024"]
    result = katye.read_incidents(write(tmp_path / "fr.csv", frame))
    assert [d.strftime("%Y-%m-%d") for d in result.incidents["event_date"]] == [
        "2024-10-24",
        "2024-11-03",
        "2024-12-30",
    ]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "newline"),
    [
        ("utf-8-sig", ",", "\r\n"),  # Excel "CSV UTF-8"
        ("cp1252", ";", "\r\n"),  # Excel in a French locale on Windows
        ("utf-8", "\t", "\n"),
    ],
)
def test_files_saved_by_excel(tmp_path, encoding, delimiter, newline):
    frame = acled_rows()
    path = write(tmp_path / "excel.csv", frame, delimiter=delimiter, encoding=encoding, newline=newline)
    result = katye.read_incidents(path)
    check_accounting(result, len(frame))
    assert result.incidents.loc[0, "location"] == PETION
    assert "event_id_cnty" not in result.incidents.columns  # the BOM did not stick to the first name
    assert result.incidents.loc[1, "notes"].replace("\r\n", "\n") == acled_rows().loc[1, "notes"]


def test_decimal_commas_from_a_french_spreadsheet(tmp_path):
    frame = acled_rows(3)
    frame["latitude"] = frame["latitude"].str.replace(".", ",")
    frame["longitude"] = frame["longitude"].str.replace(".", ",")
    result = katye.read_incidents(write(tmp_path / "comma.csv", frame, delimiter=";"))
    assert result.report.rejected == 0
    assert result.incidents.loc[0, "latitude"] == pytest.approx(18.5125)


def test_generic_csv_with_common_names_and_keywords(tmp_path):
    table = pd.DataFrame(
        {
            "uid": ["a", "b"],
            "day": ["2024-11-19", "2024-11-20"],
            "lat": ["18.51", "18.55"],
            "lng": ["-72.28", "-72.32"],
            "deaths": ["3", "0"],
            "quartier": ["Pétion-Ville", "Solino"],
        }
    )
    path = tmp_path / "mine.csv"
    table.to_csv(path, index=False)
    result = katye.read_incidents(path, date="day", event_id="uid", columns={"fatalities": "deaths"})
    check_accounting(result, 2)
    assert list(result.incidents.event_id) == ["a", "b"]
    assert list(result.incidents.fatalities) == [3, 0]
    assert list(result.incidents.location) == ["Pétion-Ville", "Solino"]


def test_xy_in_metres_with_crs(tmp_path):
    to_utm = Transformer.from_crs(4326, 32618, always_xy=True)
    x, y = to_utm.transform([-72.28528, -72.32186], [18.5125, 18.54961])
    table = pd.DataFrame({"X": x, "Y": y, "date": ["2024-11-19", "2024-10-17"]})
    path = tmp_path / "utm.csv"
    table.to_csv(path, index=False)
    result = katye.read_incidents(path, lon="X", lat="Y", crs="EPSG:32618")
    assert result.incidents.longitude.tolist() == pytest.approx([-72.28528, -72.32186])
    assert result.incidents.latitude.tolist() == pytest.approx([18.5125, 18.54961])
    assert result.report.warnings[0].startswith("the file has no fatalities column")


@pytest.mark.parametrize(("suffix", "crs"), [(".geojson", 4326), (".gpkg", 3857), (".parquet", 32618)])
def test_gis_files_of_points(tmp_path, suffix, crs):
    frame = gpd.GeoDataFrame(
        {
            "event_id": ["p1", "p2"],
            "event_date": ["2024-11-11", "2024-11-19"],
            "location": ["Aéroport", "Pétion-Ville"],
        },
        geometry=gpd.points_from_xy([-72.2925, -72.2853], [18.5800, 18.5125]),
        crs=4326,
    )
    path = tmp_path / f"points{suffix}"
    (frame.to_crs(crs).to_parquet(path) if suffix == ".parquet" else frame.to_crs(crs).to_file(path))
    result = katye.read_incidents(path)
    check_accounting(result, 2)
    assert result.report.row_unit == "feature"
    assert result.incidents.longitude.tolist() == pytest.approx([-72.2925, -72.2853])
    assert result.incidents.location.tolist() == ["Aéroport", "Pétion-Ville"]


def bad_rows() -> pd.DataFrame:
    frame = acled_rows(12)
    edits = {
        1: {"latitude": ""},
        2: {"longitude": "west"},
        3: {"latitude": "0", "longitude": "0"},
        4: {"latitude": "95.0", "longitude": "-72.3"},
        5: {"event_date": "sometime in 2024"},
        6: {"fatalities": "-2"},
        7: {"fatalities": "two"},
        8: {"geo_precision": "7"},
        9: {"event_id_cnty": frame.loc[0, "event_id_cnty"]},
        10: {"latitude": "-72.3219", "longitude": "18.5496"},
    }
    for row, values in edits.items():
        for column, value in values.items():
            frame.loc[row, column] = value
    return frame


def test_every_bad_row_is_set_aside_with_its_reason_and_line(tmp_path):
    result = katye.read_incidents(write(tmp_path / "bad.csv", bad_rows()), swapped="reject")
    check_accounting(result, 12)
    reasons = dict(zip(result.rejected.line, result.rejected.reason, strict=True))
    # Row 1 (line 3) has the two-line note, so row k >= 2 starts on line k + 3.
    assert reasons == {
        3: "missing coordinates",
        5: "coordinates are not numbers",
        6: "coordinates are (0, 0)",
        7: "latitude or longitude out of range",
        8: "date could not be read",
        9: "negative fatalities",
        10: "fatalities is not a whole number",
        11: "precision code is not 1, 2 or 3",
        12: "duplicate event id",
        13: "latitude and longitude swapped",
    }
    duplicate = result.rejected.set_index("line").loc[12, "detail"]
    assert duplicate.endswith("first seen at line 2")
    assert result.rejected.set_index("line").loc[8, "event_date"] == "sometime in 2024"


def test_swapped_coordinates_are_repaired_by_default_with_a_warning(tmp_path):
    result = katye.read_incidents(write(tmp_path / "bad.csv", bad_rows()))
    row = result.incidents.set_index("line").loc[13]
    assert (row.latitude, row.longitude) == (18.5496, -72.3219)
    assert any("swapped them back (line 13)" in w for w in result.report.warnings)


def test_rows_with_the_wrong_number_of_fields_are_rejected_not_lost(tmp_path):
    path = write(tmp_path / "ragged.csv", acled_rows(4))
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(5, "HTI-BROKEN,2024-01-01,only three fields")  # after the row with a two-line note
    path.write_text("\n".join(lines), encoding="utf-8")
    result = katye.read_incidents(path)
    check_accounting(result, 5)
    broken = result.rejected.set_index("line").loc[6]
    assert broken.reason == "wrong number of fields"
    assert "found 3" in broken.detail
    assert "HTI-BROKEN" in broken.raw_text


def test_strict_mode_stops_at_the_first_kind_of_problem_with_line_numbers(tmp_path):
    path = write(tmp_path / "bad.csv", bad_rows())
    expected = r"bad\.csv: strict mode: 1 row rejected because missing coordinates \(line 3\)"
    with pytest.raises(InputError, match=expected):
        katye.read_incidents(path, strict=True)


def test_outside_the_study_area_is_kept_and_counted(tmp_path):
    frame = acled_rows(3)
    frame.loc[2, "latitude"], frame.loc[2, "longitude"] = "19.14836", "-72.61436"  # Pont-Sondé
    result = katye.read_incidents(write(tmp_path / "pont.csv", frame))
    assert result.report.outside == 1
    assert result.report.accepted == 2
    assert result.incidents["in_study_area"].tolist() == [True, True, False]


def test_geo_precision_warning_names_the_count(tmp_path):
    frame = acled_rows(5)
    frame["geo_precision"] = ["3", "3", "1", "2", "1"]
    report = katye.read_incidents(write(tmp_path / "p.csv", frame)).report
    assert "2 events coded geo_precision 3 in the file: located only to a commune or a wider area" in report.warnings
    assert report.geo_precision == {"1": 2, "3": 2, "2": 1}


def test_clear_errors_for_files_katye_cannot_use(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        katye.read_incidents(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match=r"empty\.csv: the file is empty"):
        katye.read_incidents(empty)
    nocoords = tmp_path / "nocoords.csv"
    nocoords.write_text("id,date,place\n1,2024-01-01,Solino\n")
    with pytest.raises(InputError, match=r"no latitude or longitude column found.*id, date, place.*lat='…'"):
        katye.read_incidents(nocoords)
    xlsx = tmp_path / "book.xlsx"
    xlsx.write_bytes(b"PK")
    with pytest.raises(InputError, match="CSV UTF-8"):
        katye.read_incidents(xlsx)
    with pytest.raises(UsageError, match="no column 'lattitude'"):
        katye.read_incidents(write(tmp_path / "a.csv", acled_rows(2)), lat="lattitude")


def test_header_only_file_reads_as_zero_rows(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(",".join(ACLED_CURRENT) + "\n")
    result = katye.read_incidents(path)
    check_accounting(result, 0)


def test_the_callers_file_is_not_touched(tmp_path):
    path = write(tmp_path / "acled.csv", bad_rows())
    before = path.read_bytes()
    katye.read_incidents(path)
    assert path.read_bytes() == before


def test_shipped_samples_are_marked_and_read_cleanly():
    result = katye.read_incidents(katye.samples.path("acled"))
    check_accounting(result, 3000)
    assert result.report.rejected == 0
    assert set(result.incidents["synthetic"]) == {"true"}
    assert result.incidents["source"].str.contains("SYNTHETIC").all()
    reported = katye.read_incidents(katye.samples.path("reported"))
    assert reported.report.rejected == 0
    assert reported.report.input_rows == 6
    assert reported.incidents["approximate_location"].eq("true").all()
    assert reported.incidents["source_url"].str.startswith("https://").all()


def test_the_result_indexes_like_the_tuple_it_unpacks_into():
    result = katye.read_incidents(katye.samples.path())
    incidents, rejected, report = result
    assert result[0] is incidents
    assert result[-1] is report
    assert len(result) == 3
    assert result[:2] == (incidents, rejected)
