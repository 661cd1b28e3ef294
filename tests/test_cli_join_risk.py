"""`katye join` and `katye risk` on the command line."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from katye import geodata, samples
from katye.testing import invoke, run_cli


def test_join_writes_zones_and_site_distances(tmp_path):
    out = tmp_path / "joined.gpkg"
    result = invoke("join", str(samples.path("reported")), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    joined = gpd.read_file(out)
    assert {
        "zone_id",
        "section_pcode",
        "commune_pcode",
        "assignment",
        "distance_m",
        "dist_airport_m",
        "within_mss_base_2000m",
    } <= set(joined.columns)
    assert set(joined.assignment) <= {"exact", "coarse", "outside"}
    assert len(joined) == 6


def test_join_csv_neutralises_spreadsheet_formulas(tmp_path):
    source = tmp_path / "hostile.csv"
    source.write_text(
        'id,date,lat,lon,notes\na,2024-11-11,18.58,-72.29,"=HYPERLINK(""http://x"")"\n'
        "b,2024-11-12,18.55,-72.32,-3 wounded\n",
        encoding="utf-8",
    )
    out = tmp_path / "joined.csv"
    result = invoke("join", str(source), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out)
    assert table.notes.tolist() == ['\'=HYPERLINK("http://x")', "'-3 wounded"]
    assert table.latitude.tolist() == [18.58, 18.55]  # numbers stay numbers


def test_risk_with_declared_control(tmp_path):
    out = tmp_path / "risk.csv"
    result = invoke("risk", "-o", str(out), "--as-of", "2024-11-30", "--control", str(samples.path("control")))
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out)
    assert len(table) == len(geodata.zones())
    assert {"risk_index", "risk_class", "trend", "inferred_status", "declared_status", "disagrees"} <= set(table)
    assert table.set_index("zone_id").loc["airport", "declared_status"] == "international"


def test_risk_with_bad_control_file_exits_2(tmp_path):
    control = tmp_path / "control.csv"
    control.write_text("zone_id,as_of,status\nnowhere,2024-01-01,gang\n")
    result = run_cli("risk", "-o", str(tmp_path / "r.csv"), "--control", str(control))
    assert result.returncode == 2, result.stderr
    assert "unknown zone_id (nowhere) at line 2" in result.stderr
    assert "Traceback" not in result.stderr


def test_risk_with_own_zones(tmp_path):
    zones = tmp_path / "mine.geojson"
    frame = gpd.GeoDataFrame(
        {"code": ["north", "south"]},
        geometry=[
            gpd.points_from_xy([-72.3], [18.56])[0].buffer(0.03),
            gpd.points_from_xy([-72.3], [18.49])[0].buffer(0.03),
        ],
        crs=4326,
    )
    frame.to_file(zones)
    out = tmp_path / "risk.geojson"
    result = invoke("risk", "-o", str(out), "--zones", str(zones), "--zone-id", "code")
    assert result.exit_code == 0, result.stderr
    assert sorted(gpd.read_file(out).zone_id) == ["north", "south"]
