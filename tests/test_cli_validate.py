"""`katye validate` as an analyst runs it on a file they were sent."""

from __future__ import annotations

import json

import pandas as pd

from katye import samples
from katye.testing import invoke, run_cli


def test_without_a_file_it_checks_the_shipped_sample_and_says_so():
    result = run_cli("validate")
    assert result.returncode == 0, result.stderr
    assert "SYNTHETIC" in result.stderr
    assert "3,000 rows" in result.stdout
    assert "rejected:" in result.stdout


def test_json_report_adds_up(tmp_path):
    result = invoke("validate", str(samples.path("reported")), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["balanced"]
    assert report["input_rows"] == 6
    assert report["accepted"] + report["outside"] + report["rejected"] == 6
    assert report["date_min"] == "2024-10-03"


def test_rejected_rows_go_to_a_csv_with_line_and_reason(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,date,lat,lon\na,2024-01-02,18.5,-72.3\nb,never,18.5,-72.3\nc,2024-01-03,,\n")
    out = tmp_path / "rejected.csv"
    result = invoke("validate", str(source), "--rejected", str(out))
    assert result.exit_code == 0, result.stderr
    rejected = pd.read_csv(out)
    assert list(rejected.line) == [3, 4]
    assert list(rejected.reason) == ["date could not be read", "missing coordinates"]


def test_unreadable_file_exits_2_with_a_message_not_a_traceback(tmp_path):
    source = tmp_path / "nocoords.csv"
    source.write_text("id,date\n1,2024-01-01\n")
    result = run_cli("validate", str(source))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "nocoords.csv" in result.stderr
    assert "--lat" in result.stderr


def test_strict_exits_2_naming_the_lines(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("id,date,lat,lon\na,2024-01-02,18.5,-72.3\nb,never,18.5,-72.3\n")
    result = run_cli("validate", str(source), "--strict")
    assert result.returncode == 2, result.stderr
    assert "line 3" in result.stderr
    assert "Traceback" not in result.stderr


def test_column_options_and_bad_option_values(tmp_path):
    source = tmp_path / "mine.csv"
    source.write_text("uid;jour;Y;X\nk1;2024-11-19;18.5125;-72.2853\n", encoding="utf-8")
    ok = run_cli("validate", str(source), "--lat", "Y", "--lon", "X", "--date", "jour", "--id", "uid")
    assert ok.returncode == 0, ok.stderr
    assert "1 row" not in ok.stderr
    assert "accepted, in the study area:   1" in ok.stdout
    wrong = run_cli("validate", str(source), "--lat", "latitude_typo")
    assert wrong.returncode == 1, wrong.stderr
    assert "latitude_typo" in wrong.stderr
    bad_choice = run_cli("validate", str(source), "--swapped", "ignore")
    assert bad_choice.returncode == 1, bad_choice.stderr
