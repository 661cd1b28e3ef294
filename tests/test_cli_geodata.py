"""`katye --version`, `katye geodata list` and `katye geodata export` as a user runs them."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest

import katye
from katye import geodata


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "katye.cli", *args], capture_output=True, text=True)


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"katye {katye.__version__}"


def test_list_shows_every_layer_with_counts_and_licences():
    result = run("geodata", "list")
    assert result.returncode == 0, result.stderr
    for row in geodata.catalog().itertuples():
        assert row.name in result.stdout
        assert str(row.features) in result.stdout
    assert "CC BY-IGO 3.0" in result.stdout


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet"])
def test_export_writes_the_format_the_extension_names(tmp_path, suffix):
    target = tmp_path / f"zones{suffix}"
    result = run("geodata", "export", "zones", "-o", str(target))
    assert result.returncode == 0, result.stderr
    back = gpd.read_parquet(target) if suffix == ".parquet" else gpd.read_file(target)
    assert list(back.zone_id) == list(geodata.zones().zone_id)
    assert back.crs.to_epsg() == 4326


def test_export_csv_keeps_creole_names_and_wkt(tmp_path):
    target = tmp_path / "sites.csv"
    assert run("geodata", "export", "sites", "-o", str(target)).returncode == 0
    table = pd.read_csv(target, encoding="utf-8")
    assert "Ambassade des États-Unis (Tabarre)" in set(table.name)
    assert table.geometry.str.startswith("POINT").all()


def test_unknown_extension_is_a_user_error_without_traceback(tmp_path):
    result = run("geodata", "export", "zones", "-o", str(tmp_path / "zones.txt"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "zones.txt" in result.stderr and ".gpkg" in result.stderr
    assert not (tmp_path / "zones.txt").exists()


def test_unknown_layer_is_a_user_error(tmp_path):
    result = run("geodata", "export", "quartiers", "-o", str(tmp_path / "q.geojson"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "zones" in result.stderr


def test_quiet_silences_status_lines_but_not_results(tmp_path):
    result = run("--quiet", "geodata", "export", "zones", "-o", str(tmp_path / "z.geojson"))
    assert result.returncode == 0 and result.stdout == ""
    assert "zones" in run("--quiet", "geodata", "list").stdout


def test_every_command_has_help_with_examples():
    for args in (
        ("--help",),
        ("geodata", "--help"),
        ("geodata", "list", "--help"),
        ("geodata", "export", "--help"),
        ("map", "--help"),
        ("validate", "--help"),
        ("join", "--help"),
        ("risk", "--help"),
    ):
        result = run(*args)
        assert result.returncode == 0
        assert "Example" in result.stdout, args


def test_layer_names_are_taken_as_the_python_loader_takes_them(tmp_path):
    result = run("geodata", "export", "Urban-Extent", "-o", str(tmp_path / "u.geojson"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "u.geojson").stat().st_size > 1000
