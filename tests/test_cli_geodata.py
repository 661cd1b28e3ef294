"""`katye --version`, `katye geodata list` and `katye geodata export` as a user runs them."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

import katye
from katye import geodata
from katye.testing import invoke, run_cli


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"katye {katye.__version__}"


def test_list_shows_every_layer_with_counts_and_licences():
    result = invoke("geodata", "list")
    assert result.exit_code == 0, result.stderr
    for row in geodata.catalog().itertuples():
        assert row.name in result.stdout
        assert str(row.features) in result.stdout
    assert "CC BY-IGO 3.0" in result.stdout


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet"])
def test_export_writes_the_format_the_extension_names(tmp_path, suffix):
    target = tmp_path / f"zones{suffix}"
    result = invoke("geodata", "export", "zones", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    back = gpd.read_parquet(target) if suffix == ".parquet" else gpd.read_file(target)
    assert list(back.zone_id) == list(geodata.zones().zone_id)
    assert back.crs.to_epsg() == 4326


def test_export_csv_keeps_creole_names_and_wkt(tmp_path):
    target = tmp_path / "sites.csv"
    result = invoke("geodata", "export", "sites", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(target, encoding="utf-8")
    assert "Ambassade des États-Unis (Tabarre)" in set(table.name)
    assert table.geometry.str.startswith("POINT").all()


def test_unknown_extension_is_a_user_error_without_traceback(tmp_path):
    result = run_cli("geodata", "export", "zones", "-o", str(tmp_path / "zones.txt"))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "zones.txt" in result.stderr
    assert ".gpkg" in result.stderr
    assert not (tmp_path / "zones.txt").exists()


def test_unknown_layer_is_a_user_error(tmp_path):
    result = run_cli("geodata", "export", "quartiers", "-o", str(tmp_path / "q.geojson"))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "zones" in result.stderr


def test_quiet_silences_status_lines_but_not_results(tmp_path):
    result = run_cli("--quiet", "geodata", "export", "zones", "-o", str(tmp_path / "z.geojson"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "zones" in run_cli("--quiet", "geodata", "list").stdout


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
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "Example" in result.stdout, args


def test_layer_names_are_taken_as_the_python_loader_takes_them(tmp_path):
    result = invoke("geodata", "export", "Urban-Extent", "-o", str(tmp_path / "u.geojson"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "u.geojson").stat().st_size > 1000
