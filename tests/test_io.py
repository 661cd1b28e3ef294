"""Every reader meets a bad file the same way: katye's error, exit code 2, the file named, no traceback.

The readers are incidents (``katye validate``), area layers (``--zones``), control tables
(``katye risk --control``, ``katye map --control``), actor tables (``--actors``) and katye's own
shipped data (``KATYE_GEODATA_DIR``). Each is fed a missing path, a folder, binary garbage, a file
with NUL bytes, an empty file and a truncated GeoJSON; a Windows-1252 file is read, end to end.

The command runs in a real process (the exit code and stderr as a user sees them). Each process
spends most of its time importing the analysis libraries, so all of them are started at once by
a module fixture, a few at a time, and each test reads its own outcome.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import katye
import katye.io as katye_io
from katye import geodata
from katye.errors import InputError
from katye.incidents import readers
from katye.testing import run_cli

# --- tiny inputs -------------------------------------------------------------------------------------

# Each file carries its own accented marker, found in the command's output only when that file was read right.
INCIDENTS = (
    "event_id_cnty,event_date,event_type,actor1,latitude,longitude,location,geo_precision\n"
    "A1,2024-10-01,Battles,Gang Kraze Baryè,18.54,-72.33,Ri Lamè Ò,1\n"
    "A2,2024-10-02,Battles,Gang Kraze Baryè,18.55,-72.32,Bel Air,1\n"
)
CONTROL = "zone_id,as_of,status,actor,source,confidence,note\nairport,2024-10-01,gang,Bri Kouri Nouvèl,moi,low,\n"
ACTORS = "acled_name,actor,kind\nGang Kraze Baryè,Twa Bèf Lakay,armed_group\n"
ZONE = shapely.box(-72.40, 18.50, -72.25, 18.60)
TRUNCATED_GEOJSON = '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polyg'


def zones_geojson() -> str:
    frame = gpd.GeoDataFrame({"code": ["lb"], "label": ["Zòn Lakou Bèl"]}, geometry=[ZONE], crs="EPSG:4326")
    return frame.to_json()


def make_bad(folder: Path, kind: str, suffix: str) -> Path:
    """A bad input of ``kind`` in ``folder``; a truncated GeoJSON always ends in .geojson."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}{'.geojson' if kind == 'truncated' else suffix}"
    if kind == "folder":
        path.mkdir()
    elif kind == "garbage":
        path.write_bytes(bytes(range(256)) * 8)
    elif kind == "nul":
        path.write_bytes(b"zone_id,as_of,status\nairport,2024-10-01,st\x00ate\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_text(TRUNCATED_GEOJSON, encoding="utf-8")
    return path  # "missing": nothing written


BAD_KINDS = ("missing", "folder", "garbage", "nul", "empty", "truncated")

#: Reader → (suffix of its bad files, the command line around the bad file).
READERS: dict[str, tuple[str, Callable[[Path, Path], list[str]]]] = {
    "incidents": (".csv", lambda bad, root: ["validate", str(bad)]),
    "areas": (".geojson", lambda bad, root: ["join", str(root / "incidents.csv"), "-o", str(root / "out.csv"),
                                             "--zones", str(bad), "--zone-id", "code"]),
    "control (risk)": (".csv", lambda bad, root: ["risk", str(root / "incidents.csv"), "-o", str(root / "out.csv"),
                                                  "--control", str(bad)]),
    "control (map)": (".csv", lambda bad, root: ["map", str(root / "incidents.csv"), "-o", str(root / "out.html"),
                                                 "--control", str(bad)]),
    "actors": (".csv", lambda bad, root: ["validate", str(root / "incidents.csv"), "--actors", str(bad)]),
}  # fmt: skip
#: (reader, kind) pairs to run: `katye map` reads its control table as `katye risk` does, so a few suffice there.
CASES = [(r, k) for r in READERS for k in BAD_KINDS if r != "control (map)" or k in ("folder", "nul", "truncated")]

#: A damaged copy of katye's shipped data: the file to break, its bytes, the command that reads it.
SHIPPED = {
    "truncated layer": ("zones.geojson", TRUNCATED_GEOJSON.encode(), ["geodata", "list"]),
    "NUL in the actor table": ("actors.csv", b"acled_name,actor,kind\nA\x00,b,state\n", ["validate", "incidents.csv"]),
    "garbage admin names": ("admin_names.csv", b"garbage\n1\n", ["validate", "incidents.csv"]),
    "missing sample": ("samples/acled_synthetic_pap_2024.csv", None, ["validate"]),
}


def _shipped_copy(root: Path, name: str, file: str, data: bytes | None) -> Path:
    folder = root / "shipped" / name.replace(" ", "-")
    shutil.copytree(geodata.data_dir(), folder, ignore=shutil.ignore_patterns("*.py", "*.md"))
    target = folder / file
    if data is None:
        target.unlink()
    else:
        target.write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[tuple[str, str], tuple[Path, subprocess.CompletedProcess[str]]]:
    """Every reader's command on every bad file (and on katye's damaged data), run once, a few at a time."""
    root = tmp_path_factory.mktemp("io")
    (root / "incidents.csv").write_text(INCIDENTS, encoding="utf-8")
    jobs: dict[tuple[str, str], tuple[Path, list[str], dict[str, str] | None]] = {}
    for reader, kind in CASES:
        suffix, command = READERS[reader]
        bad = make_bad(root / "".join(c if c.isalnum() else "-" for c in reader), kind, suffix)
        jobs[reader, kind] = (bad, command(bad, root), None)
    for name, (file, data, args) in SHIPPED.items():
        folder = _shipped_copy(root, name, file, data)
        line = [str(root / a) if a == "incidents.csv" else a for a in args]
        jobs["shipped", name] = (folder / file, line, {"KATYE_GEODATA_DIR": str(folder)})
    empty = root / "shipped" / "empty"
    empty.mkdir()
    jobs["shipped", "empty folder"] = (empty, ["geodata", "list"], {"KATYE_GEODATA_DIR": str(empty)})
    with ThreadPoolExecutor(max_workers=max(2, min(6, os.cpu_count() or 2))) as pool:
        running = {key: pool.submit(run_cli, *line, env=env) for key, (_, line, env) in jobs.items()}
        return {key: (jobs[key][0], future.result()) for key, future in running.items()}


@pytest.mark.parametrize(("reader", "kind"), CASES)
def test_a_bad_file_is_katyes_error_with_exit_code_2(outcomes, reader, kind):
    bad, result = outcomes[reader, kind]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "katye: error:" in result.stderr
    assert str(bad) in result.stderr


@pytest.mark.parametrize("damage", [*SHIPPED, "empty folder"])
def test_damaged_shipped_data_is_katyes_error_naming_the_file_and_the_fix(outcomes, damage):
    bad, result = outcomes["shipped", damage]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert str(bad) in result.stderr
    fix = "KATYE_GEODATA_DIR" if damage == "empty folder" else "Reinstall katye"
    assert fix in result.stderr


# --- Windows-1252 files are read, end to end ---------------------------------------------------------


def _cp1252(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("cp1252"))
    return path


@pytest.fixture(scope="module")
def cp1252_runs(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """Each reader given a Windows-1252 file (as Excel saves CSV), run at once; the output of each."""
    root = tmp_path_factory.mktemp("cp1252")
    utf8 = root / "incidents-utf8.csv"
    utf8.write_text(INCIDENTS, encoding="utf-8")
    incidents = _cp1252(root / "incidents.csv", INCIDENTS)
    zones = _cp1252(root / "zones.geojson", zones_geojson())
    control = _cp1252(root / "control.csv", CONTROL)
    actors = _cp1252(root / "actors.csv", ACTORS)
    runs = {
        "incidents": ("joined.csv", ["join", incidents]),
        "areas": ("zoned.csv", ["join", utf8, "--zones", zones, "--zone-id", "code", "--zone-name", "label"]),
        "control": ("risk.csv", ["risk", utf8, "--control", control]),
        "actors": ("actors-joined.csv", ["join", utf8, "--actors", actors]),
    }
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        running = {
            name: (root / out, pool.submit(run_cli, *line, "-o", root / out)) for name, (out, line) in runs.items()
        }
        return {name: (out, future.result()) for name, (out, future) in running.items()}


@pytest.mark.parametrize(
    ("reader", "text"),
    [
        ("incidents", "Ri Lamè Ò"),  # the location column
        ("areas", "Zòn Lakou Bèl"),  # the zone name
        ("control", "Bri Kouri Nouvèl"),  # the declared actor
        ("actors", "Twa Bèf Lakay"),  # the actor table's normalised name
    ],
)
def test_a_windows_1252_file_is_read_end_to_end(cp1252_runs, reader, text):
    out, result = cp1252_runs[reader]
    assert result.returncode == 0, result.stderr
    assert text in out.read_text(encoding="utf-8")


# --- katye.io itself -------------------------------------------------------------------------------------


def test_katye_io_leaves_the_standard_io_module_alone():
    assert katye.samples.io is io
    assert readers.io is io
    assert katye_io is not io
    assert katye_io.__name__ == "katye.io"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("zone_id\nPétion-Ville\n".encode(), "utf-8"),
        ("\ufeffzone_id\nPétion-Ville\n".encode(), "utf-8"),
        ("zone_id\nPétion-Ville\n".encode("utf-16"), "utf-16"),
        ("zone_id\nPétion-Ville\n".encode("utf-16-le"), "utf-16-le"),
        ("zone_id\nPétion-Ville\n".encode("utf-16-be"), "utf-16-be"),
        ("zone_id\nPétion-Ville\n".encode("cp1252"), "cp1252"),
    ],
)
def test_decode_text_reads_the_encodings_spreadsheets_write(data, encoding):
    text, found = katye_io.decode_text(data, path=Path("t.csv"), what="table")
    assert text == "zone_id\nPétion-Ville\n"
    assert found == encoding


def test_decode_text_names_the_line_of_a_nul_byte():
    with pytest.raises(InputError, match=r"t\.csv: holds NUL bytes \(the first at line 3, byte 11\)"):
        katye_io.decode_text(b"zone_id\na\nb\x00\n", path=Path("t.csv"), what="table")


def test_decode_text_names_the_line_of_a_byte_no_encoding_takes():
    with pytest.raises(InputError, match=r"t\.csv: is not text in UTF-8 or Windows-1252 \(byte 0x81 at line 2"):
        katye_io.decode_text(b"zone_id\nP\xe9tion\x81\n", path=Path("t.csv"), what="table")


def test_decode_text_names_the_byte_where_utf16_is_cut_short():
    data = "zone_id\nPétion\n".encode("utf-16")[:-1]
    with pytest.raises(InputError, match=r"looks like UTF-16 but does not decode"):
        katye_io.decode_text(data, path=Path("t.csv"), what="table")


def test_check_file_refuses_what_is_not_a_readable_file(tmp_path, monkeypatch):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        katye_io.check_file(fifo, what="control table", expected="a CSV")
    with pytest.raises(InputError, match="cannot open this path"):
        katye_io.check_file("bad\x00name.csv", what="control table", expected="a CSV")
    with pytest.raises(InputError, match="no such file"):
        katye_io.check_file(tmp_path / "x.csv" / "y.csv", what="control table", expected="a CSV")
    readable = tmp_path / "t.csv"
    readable.write_text("a\n", encoding="utf-8")
    monkeypatch.setattr(katye_io.os, "access", lambda *args, **kwargs: False)  # root reads anything
    with pytest.raises(InputError, match=r"t\.csv: katye is not allowed to read this file"):
        katye_io.check_file(readable, what="control table", expected="a CSV")


def test_a_folder_format_passes_the_check(tmp_path):
    gdb = tmp_path / "zones.gdb"
    gdb.mkdir()
    assert katye_io.check_file(gdb, what="area layer", expected="a layer", folders=(".gdb",)) == gdb


def test_a_column_named_twice_is_an_error_not_a_crash(tmp_path):
    path = tmp_path / "control.csv"
    path.write_text("zone_id,Zone_ID,as_of,status\nairport,airport,2024-10-01,state\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"column\(s\) zone_id appear twice"):
        katye.read_control(path)


def test_a_control_geojson_with_null_properties_is_checked_not_crashed(tmp_path):
    feature = {"type": "Feature", "properties": {"zone_id": None, "as_of": "2024-10-01", "status": "state"}}
    path = tmp_path / "control.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{**feature, "geometry": None}]}))
    with pytest.raises(InputError, match=r"unknown zone_id \(\) at feature 1"):
        katye.read_control(path)


def test_a_utf16_control_table_is_read(tmp_path):
    path = tmp_path / "control.csv"
    path.write_bytes(CONTROL.encode("utf-16"))
    assert list(katye.read_control(path)["actor"]) == ["Bri Kouri Nouvèl"]


def test_a_geoparquet_control_table_is_read(tmp_path):
    table = pd.read_csv(io.StringIO(CONTROL), dtype=str)
    path = tmp_path / "control.parquet"
    gpd.GeoDataFrame(table, geometry=[ZONE], crs="EPSG:4326").to_parquet(path)
    assert list(katye.read_control(path)["actor"]) == ["Bri Kouri Nouvèl"]


@pytest.mark.parametrize("suffix", [".fgb", ".gpkg", ".parquet"])
def test_every_damage_to_a_layer_is_katyes_error(tmp_path, suffix):
    good = tmp_path / f"good{suffix}"
    frame = gpd.GeoDataFrame({"code": ["a", "b"]}, geometry=[ZONE, ZONE.buffer(0.01)], crs="EPSG:4326")
    if suffix == ".parquet":
        frame.to_parquet(good)
    else:
        frame.to_file(good)
    data = good.read_bytes()
    for cut in range(8, len(data), max(1, len(data) // 40)):  # drivers fail in many ways: IndexError, GEOS …
        bad = tmp_path / f"cut{suffix}"
        bad.write_bytes(data[:cut])
        try:
            katye_io.read_layer(bad, what="area layer", expected="a layer")
        except InputError as exc:
            message = str(exc)
        else:
            continue  # a cut the driver still reads whole
        assert str(bad) in message


def test_a_plain_table_is_not_an_area_layer(tmp_path):
    path = tmp_path / "zones.csv"
    path.write_text("code,label\na,b\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"zones\.csv: has no geometries"):
        geodata.read_areas(path, id_column="code")


def test_a_disk_error_while_reading_incidents_is_katyes_error(tmp_path, monkeypatch):
    path = tmp_path / "incidents.csv"
    path.write_text(INCIDENTS, encoding="utf-8")

    def fail(_path):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(readers, "_read_csv", fail)
    with pytest.raises(InputError, match=r"incidents\.csv: katye could not read the incident file \(Input/output"):
        katye.read_incidents(path)


def test_a_shipped_files_error_keeps_the_reason_not_the_users_fix():
    path = Path("/x/actors.csv")
    reason = InputError(f"{path}: holds NUL bytes (at line 2). Open it in a spreadsheet and save it as CSV.")
    message = str(katye_io.shipped_error(path, reason))
    assert "(holds NUL bytes (at line 2))" in message
    assert "spreadsheet" not in message
    assert "Reinstall katye" in message
