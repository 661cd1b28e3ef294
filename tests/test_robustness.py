"""Hostile input: katye's own error or a warned repair, never a traceback; outputs that cannot harm the user."""

from __future__ import annotations

import csv
import io
import os
import stat
import time

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import katye
from katye.output import write_frame
from katye.render.html import read_payload
from katye.samples import hostile_csv
from katye.testing import invoke, run_cli

HEADER = "event_id_cnty,event_date,event_type,latitude,longitude,fatalities,location,notes"
ROWS = ["A1,2024-10-01,Battles,18.54,-72.33,1,Bel Air,x", "A2,2024-10-02,Battles,18.55,-72.33,0,Bel Air,y"]


def write(tmp_path, data: bytes, name: str = "in.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def balanced(result) -> None:
    incidents, rejected, report = result
    assert report.balanced
    assert len(incidents) + len(rejected) == report.input_rows
    lines = list(incidents["line"]) + list(rejected["line"])
    assert len(lines) == len(set(lines))


@pytest.mark.parametrize(
    ("encoding", "newline"),
    [("utf-8", "\r"), ("utf-16", "\n"), ("utf-16", "\r\n"), ("utf-16-le", "\r\n"), ("utf-16-be", "\n")],
)
def test_old_mac_line_endings_and_utf16_files_are_read(tmp_path, encoding, newline):
    text = newline.join([HEADER, *ROWS]) + newline
    result = katye.read_incidents(write(tmp_path, text.encode(encoding)))
    balanced(result)
    assert len(result.incidents) == 2
    assert list(result.incidents["line"]) == [2, 3]
    assert result.incidents["location"].iloc[0] == "Bel Air"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00" * 5000, "NUL bytes"),
        (bytes(range(256)) * 20, "NUL bytes"),
        (
            (HEADER + "\n" + ROWS[0] + "\n").encode() + b"A2,2024-10-02,Battles,18.55,-72.33,0,Bel\x81Air,y\n",
            r"not text in UTF-8 or Windows-1252.*0x81 at line 3",
        ),
    ],
)
def test_binary_and_undecodable_files_are_katyes_error(tmp_path, data, message):
    with pytest.raises(katye.InputError, match=message):
        katye.read_incidents(write(tmp_path, data))


def test_a_huge_field_in_a_ragged_file_is_read_or_named(tmp_path):
    data = "\n".join([HEADER, ROWS[0], "A2,2024-10-02,Battles,18.55,-72.33,0,Bel Air," + "x" * 200_000 + ",ragged"])
    balanced(katye.read_incidents(write(tmp_path, data.encode())))
    huge = "\n".join([HEADER, ROWS[0], 'A2,2024-10-02,Battles,18.55,-72.33,0,"' + "x" * (1 << 21) + '",y,z'])
    with pytest.raises(katye.InputError, match="up to 1 MiB"):
        katye.read_incidents(write(tmp_path, huge.encode(), "huge.csv"))


def test_mixed_time_zone_offsets_keep_the_local_day(tmp_path):
    data = "\n".join(
        [
            HEADER,
            "A1,2024-10-01T23:30:00-05:00,Battles,18.54,-72.33,1,Bel Air,x",
            "A2,2024-10-02T01:00:00+01:00,Battles,18.55,-72.33,0,Bel Air,y",
            "A3,2024-10-03,Battles,18.55,-72.33,0,Bel Air,y",
        ]
    )
    incidents = katye.read_incidents(write(tmp_path, data.encode())).incidents
    assert list(incidents["event_date"].astype(str)) == ["2024-10-01", "2024-10-02", "2024-10-03"]


def test_partial_dates_carry_their_precision_and_a_warning(tmp_path):
    data = "\n".join(
        [
            HEADER,
            "A1,2024,Battles,18.54,-72.33,1,Bel Air,x",
            "A2,2024-10,Battles,18.54,-72.33,1,Bel Air,x",
            "A3,October 2024,Battles,18.54,-72.33,1,Bel Air,x",
        ]
    )
    incidents, _, report = katye.read_incidents(write(tmp_path, data.encode()))
    assert list(incidents["date_precision"]) == [4, 3, 3]
    assert list(incidents["event_date"].astype(str)) == ["2024-01-01", "2024-10-01", "2024-10-01"]
    assert any("dated only to a month" in w for w in report.warnings)
    assert any("dated only to a year" in w for w in report.warnings)


def test_line_numbers_are_physical_lines_after_blank_lines(tmp_path):
    data = HEADER + "\n" + ROWS[0] + "\n\n\n" + ROWS[1] + "\n"
    assert list(katye.read_incidents(write(tmp_path, data.encode())).incidents["line"]) == [2, 5]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("inf", "fatalities above 100,000"),
        ("1e20", "fatalities above 100,000"),
        ("12345678901234567890", "fatalities above 100,000"),
        ("NaN", "fatalities is not a whole number"),
        ("100001", "fatalities above 100,000"),
    ],
)
def test_absurd_fatalities_are_rejected_with_a_reason(tmp_path, value, reason):
    data = HEADER + f"\nA1,2024-10-01,Battles,18.54,-72.33,{value},Bel Air,x\n"
    incidents, rejected, _ = katye.read_incidents(write(tmp_path, data.encode()))
    assert len(incidents) == 0
    assert list(rejected["reason"]) == [reason]


def test_headers_differing_in_case_and_a_column_called_line_stay_apart(tmp_path):
    header = "event_id_cnty,event_date,event_type,sub_event_type,actor1,latitude,longitude,notes,NOTES,line"
    data = "\n".join(
        [
            header,
            "A1,2024-10-01,Battles,Armed clash,G-9 Gang,18.54,-72.33,a,b,7",
            "A2,2024-10-01,Battles,Armed clash,G-9 Gang,18.54,-72.33,a,b,7,ragged",
        ]
    )
    incidents, rejected, _ = katye.read_incidents(write(tmp_path, data.encode()))
    assert incidents["notes"].iloc[0] == "a"
    assert incidents["NOTES"].iloc[0] == "b"
    assert incidents["line_input"].iloc[0] == "7"
    assert list(incidents["line"]) == [2]
    assert list(rejected["line"]) == [3]
    assert rejected.columns.is_unique


def test_pipes_devices_and_folders_exit_2_without_traceback(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for target in (str(fifo), "/dev/zero", str(tmp_path)):
        result = run_cli("validate", target)
        assert result.returncode == 2, (target, result.stderr)
        assert "Traceback" not in result.stderr, target
        assert "katye: error:" in result.stderr, target


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 10**9))
def test_hostile_files_give_katyes_error_or_a_balanced_account(tmp_path_factory, seed):
    path = tmp_path_factory.mktemp("fuzz") / "in.csv"
    path.write_bytes(hostile_csv(seed))
    try:
        result = katye.read_incidents(path)
    except katye.KatyeError:
        return
    balanced(result)


# --- outputs ----------------------------------------------------------------------------------


def test_csv_cells_and_headers_cannot_run_as_formulas(tmp_path):
    frame = pd.DataFrame({"note": ["x\r=1+1", " =SUM(A1)", "\t+cmd", "a\n@x", "-72.33", "fine"], "=b": range(6)})
    path = write_frame(frame, tmp_path / "out.csv")
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    assert rows[0] == ["note", "'=b"]
    assert [r[0] for r in rows[1:]] == ["'x\r=1+1", "' =SUM(A1)", "'\t+cmd", "'a\n@x", "-72.33", "fine"]
    assert len(rows) == 7  # every multi-line cell stayed one cell


def test_zone_names_starting_with_a_formula_sign_are_written_safely(tmp_path):
    shapes = gpd.points_from_xy([-72.33, -72.28], [18.54, 18.54]).buffer(0.02)
    zones = gpd.GeoDataFrame({"code": ["=z1", "+z2"]}, geometry=shapes, crs=4326)
    zones.to_file(tmp_path / "z.geojson")
    result = invoke("join", "-o", str(tmp_path / "j.csv"), "--zones", str(tmp_path / "z.geojson"), "--zone-id", "code")
    assert result.exit_code == 0, result.stderr
    assert "'=z1" in (tmp_path / "j.csv").read_text(encoding="utf-8")


def test_an_output_that_is_an_input_is_refused(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(katye.samples.path().read_bytes())
    for args in (("join", str(source), "-o", str(source)), ("validate", str(source), "--rejected", str(source))):
        result = run_cli(*args)
        assert result.returncode == 1, (args, result.stderr)
        assert "is also an input file" in result.stderr, args
    assert source.read_bytes() == katye.samples.path().read_bytes()


def test_overwriting_keeps_the_mode_and_writes_through_a_symlink(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    write_frame(pd.DataFrame({"a": [1]}), link)
    assert link.is_symlink()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text(encoding="utf-8").splitlines() == ["a", "1"]


def test_unwritable_outputs_are_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    for target in (blocker / "out.csv", tmp_path / ("x" * 300 + ".csv")):
        with pytest.raises(katye.UsageError, match="cannot write there"):
            write_frame(pd.DataFrame({"a": [1]}), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # no temporary file left behind


def test_geopackages_are_byte_identical_run_to_run(tmp_path):
    frame = katye.geodata.zones().iloc[:3]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_frame(frame, tmp_path / "a" / "zones.gpkg").read_bytes()
    time.sleep(1.1)  # a timestamp would now differ
    assert write_frame(frame, tmp_path / "b" / "zones.gpkg").read_bytes() == first


# --- text is never interpreted -----------------------------------------------------------------


def test_dollars_in_static_text_are_not_maths(tmp_path):
    incidents = katye.read_incidents(katye.samples.path()).incidents
    figure = katye.render_static(incidents, title=r"Costs $5 and $10, \invalid$", path=tmp_path / "m.png")
    assert figure._suptitle.get_text().count(r"\$") == 3


def test_terminal_control_sequences_from_a_file_are_shown_not_run(tmp_path):
    data = HEADER + "\nA1,2024-10-01,Battles,18.54,-72.33,1,\x1b[2JBel Air,x\n"
    path = write(tmp_path, data.encode())
    frame = pd.read_csv(path)
    frame["actor1"] = "\x1b]0;pwned\x07Gang"
    frame["sub_event_type"] = "Armed clash"
    frame.to_csv(path, index=False)
    result = run_cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert "\\x1b" in result.stdout


def test_quiet_and_verbose_work_after_the_command_too(tmp_path):
    result = run_cli("validate", "-q")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert run_cli("join", "-o", str(tmp_path / "j.csv"), "--quiet").stdout == ""


def test_a_single_zone_layer_maps_and_scores(tmp_path):
    incidents = katye.read_incidents(katye.samples.path()).incidents
    zone = katye.geodata.zones().iloc[:1]
    spots = katye.hotspots(katye.risk(incidents, zone), zone)
    assert list(spots["hotspot"]) == ["not significant"]
    katye.save_map(katye.make_map(incidents, zones=zone), tmp_path / "one.html")
    html = (tmp_path / "one.html").read_text(encoding="utf-8")
    data = read_payload(html)
    risk = next(layer for layer in data["layers"] if layer["key"] == "risk")
    assert [feature["title"] for feature in risk["features"]] == [zone["name"].iloc[0]]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_a_gis_file_without_crs_takes_the_crs_option(tmp_path):
    points = gpd.GeoDataFrame({"event_date": ["2024-10-01"]}, geometry=gpd.points_from_xy([780000.0], [2052000.0]))
    points.to_file(tmp_path / "pts.shp")
    (tmp_path / "pts.prj").unlink(missing_ok=True)
    with pytest.raises(katye.CRSError):
        katye.read_incidents(tmp_path / "pts.shp")
    incidents = katye.read_incidents(tmp_path / "pts.shp", crs="EPSG:32618").incidents
    assert 18.4 < incidents.geometry.y.iloc[0] < 18.7
    assert -72.5 < incidents.geometry.x.iloc[0] < -72.2


# --- zones that cannot be right --------------------------------------------------------------------


def _square(x: float, y: float, size: float):
    return gpd.GeoSeries.from_xy([x], [y]).buffer(size, cap_style="square").iloc[0]


def test_zones_with_swapped_axes_a_wrong_crs_or_overlaps_are_warned(tmp_path):
    swapped = gpd.GeoDataFrame({"id": ["a"]}, geometry=[_square(18.54, -72.33, 0.01)], crs=4326)
    swapped.to_file(tmp_path / "swapped.geojson")
    with pytest.warns(UserWarning, match="axes swapped"):
        katye.geodata.read_areas(tmp_path / "swapped.geojson", id_column="id")
    degrees = gpd.GeoDataFrame({"id": ["a"]}, geometry=[_square(-72.33, 18.54, 0.01)], crs=32618)
    degrees.to_file(tmp_path / "degrees.gpkg")
    with pytest.warns(UserWarning, match="look like degrees|not in Haiti") as record:
        katye.geodata.read_areas(tmp_path / "degrees.gpkg", id_column="id")
    messages = " ".join(str(w.message) for w in record)
    assert "look like degrees" in messages
    assert "not in Haiti" in messages
    overlapping = gpd.GeoDataFrame(
        {"id": ["a", "b"]}, geometry=[_square(-72.33, 18.54, 0.01), _square(-72.325, 18.54, 0.01)], crs=4326
    )
    overlapping.to_file(tmp_path / "overlap.geojson")
    with pytest.warns(UserWarning, match="a and b share"):
        katye.geodata.read_areas(tmp_path / "overlap.geojson", id_column="id")


def test_assigning_to_zones_that_hold_no_incident_says_so(caplog):
    far = gpd.GeoDataFrame({"zone_id": ["far"]}, geometry=[_square(-70.0, 19.5, 0.01)], crs=4326)
    incidents = katye.read_incidents(katye.samples.path()).incidents
    with caplog.at_level("WARNING", logger="katye"):
        katye.assign(incidents, far)
    assert "falls in any of the 1 zones" in caplog.text


# --- second round of hostile input ---------------------------------------------------------------


def test_blank_lines_before_the_header_and_a_bom_on_cp1252_text(tmp_path):
    data = ("\n\r\n" + HEADER + "\n" + ROWS[0] + "\n").encode()
    incidents = katye.read_incidents(write(tmp_path, data)).incidents
    assert list(incidents["line"]) == [4]
    assert incidents["event_id"].iloc[0] == "A1"
    row = "A1,2024-10-01,Battles,18.54,-72.33,1,P\xe9tion-Ville,x\n"
    bom = b"\xef\xbb\xbf" + (HEADER + "\n" + row).encode("cp1252")
    incidents = katye.read_incidents(write(tmp_path, bom, "bom.csv")).incidents
    assert incidents["event_id"].iloc[0] == "A1"
    assert incidents["location"].iloc[0] == "Pétion-Ville"


def test_a_file_name_that_is_not_utf8(tmp_path):
    name = os.fsdecode(b"in\xff.csv")
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    assert len(katye.read_incidents(path).incidents) == 2


def test_cr_only_files_count_blank_lines_and_breaks_in_cells(tmp_path):
    data = (
        "\r".join(
            [
                HEADER,
                ROWS[0],
                "",
                'A3,2024-10-02,Battles,18.55,-72.33,0,Bel Air,"a\rb"',
                "",
                "",
                "A7,2024-10-02,Battles,18.55,-72.33,0,Bel Air,y",
            ]
        )
        + "\r"
    )
    assert list(katye.read_incidents(write(tmp_path, data.encode())).incidents["line"]) == [2, 4, 8]


def test_an_unclosed_quote_that_swallows_rows_is_an_error(tmp_path):
    later = "A5,2024-10-03,Battles,18.55,-72.33,0,Bel Air,z"
    data = "\n".join([HEADER, ROWS[0], 'A3,2024-10-02,Battles,18.55,-72.33,0,Bel Air,"abc', ROWS[1], later, later])
    with pytest.raises(katye.InputError, match="line 3 seems never to be closed"):
        katye.read_incidents(write(tmp_path, data.encode()))


def test_nul_bytes_after_the_first_64_kib_are_refused(tmp_path):
    body = "\n".join(ROWS[0].replace("A1", f"A{i}") for i in range(1, 3000))
    data = (HEADER + "\n" + body + "\n").encode() + b"A9999,2024-10-01,Battles,18.54,-72.33,1,Bel\x00Air,x\n"
    with pytest.raises(katye.InputError, match="NUL byte"):
        katye.read_incidents(write(tmp_path, data))


def test_a_field_over_1_mib_is_refused_on_every_path(tmp_path):
    data = "\n".join([HEADER, ROWS[0], 'A2,2024-10-02,Battles,18.55,-72.33,0,Bel Air,"' + "x" * (1 << 21) + '"'])
    with pytest.raises(katye.InputError, match="line 3 holds a field"):
        katye.read_incidents(write(tmp_path, data.encode()))


def test_utf8_that_turns_into_cp1252_late_is_read(tmp_path):
    early = "\n".join(f"A{i},2024-10-01,Battles,18.54,-72.33,1,Pétion-Ville,x" for i in range(1, 2000))
    data = (HEADER + "\n" + early + "\n").encode() + b"A9999,2024-10-01,Battles,18.54,-72.33,1,Caf\xe9,x\n"
    incidents, _, report = katye.read_incidents(write(tmp_path, data))
    assert len(incidents) == 2000
    assert incidents["location"].iloc[-1] == "Café"
    assert report.encoding == "cp1252"


def test_month_and_year_dates_are_never_finer_than_they_say(tmp_path):
    header = "event_id_cnty,event_date,time_precision,event_type,latitude,longitude"
    data = "\n".join(
        [
            header,
            "A1,2024-10,1,Battles,18.54,-72.33",
            "A2,2024,2,Battles,18.54,-72.33",
            "A3,2024/10,,Battles,18.54,-72.33",
            "A4,Oct 2024,,Battles,18.54,-72.33",
            "A5,2024-10-05,1,Battles,18.54,-72.33",
            "A6,2024-10-05T10:00:00z,,Battles,18.54,-72.33",
        ]
    )
    incidents = katye.read_incidents(write(tmp_path, data.encode())).incidents.set_index("event_id")
    assert list(incidents["date_precision"].astype("Int64")) == [3, 4, 3, 3, 1, pd.NA]
    assert str(incidents.loc["A3", "event_date"].date()) == "2024-10-01"


def test_control_and_actor_tables_give_physical_lines_and_refuse_ragged_rows(tmp_path):
    control = tmp_path / "control.csv"
    control.write_text(
        "zone_id,as_of,status\nairport,2024-10-01,state\n\n\nbel-air,2024-13-01,gang\n", encoding="utf-8"
    )
    with pytest.raises(katye.InputError, match=r"as_of must be a date .* at line 5"):
        katye.read_control(control)
    control.write_text("zone_id,as_of,status\nairport,2024-10-01,state,extra,extra2\n", encoding="utf-8")
    with pytest.raises(katye.InputError, match="line 2 do not have the header's 3 fields"):
        katye.read_control(control)
    actors = tmp_path / "actors.csv"
    actors.write_bytes(b"acled_name,actor,kind\nA Gang,A,armed\x00_group\n")
    with pytest.raises(katye.InputError, match="NUL"):
        katye.read_actors(actors)


def test_empty_and_unconnected_zone_layers(tmp_path):
    empty = katye.geodata.zones().iloc[:0]
    empty.to_file(tmp_path / "empty.gpkg")
    with pytest.raises(katye.InputError, match="no areas"):
        katye.geodata.read_areas(tmp_path / "empty.gpkg", id_column="zone_id")
    apart = katye.geodata.zones().set_index("zone_id").loc[["canaan", "kenscoff", "cabaret"]].reset_index()
    incidents = katye.read_incidents(katye.samples.path()).incidents
    spots = katye.hotspots(katye.risk(incidents, apart), apart)
    assert set(spots["hotspot"]) == {"not significant"}


def test_map_outputs_are_checked_before_any_work(tmp_path):
    html = tmp_path / "m.html"
    for extra in (["--png", str(html)], ["--pdf", str(tmp_path / "s.pdf"), "--svg", str(tmp_path / "s.pdf")]):
        result = run_cli("map", "-o", str(html), *extra)
        assert result.returncode == 1, (extra, result.stderr)
        assert "Traceback" not in result.stderr, extra
    assert not html.exists()


def test_invisible_characters_before_a_formula_do_not_hide_it(tmp_path):
    frame = pd.DataFrame({"note": ["\u200b=1+1", "\ufeff@x", "\x7f-2+3"]})
    text = write_frame(frame, tmp_path / "o.csv").read_text(encoding="utf-8")
    assert text.splitlines()[1:] == ["'\u200b=1+1", "'\ufeff@x", "'\x7f-2+3"]


def test_quiet_after_geodata(tmp_path):
    result = run_cli("geodata", "-q", "export", "sites", "-o", str(tmp_path / "s.csv"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
