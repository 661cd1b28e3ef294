"""The examples run as a user would run them: the notebooks end to end, the monthly series and dask scripts."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import REPO


@pytest.mark.parametrize("name", ["report_map.ipynb", "analysis.ipynb"])
def test_notebook_runs_offline_on_the_sample(tmp_path, name):
    notebook = nbformat.read(REPO / "examples" / name, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    # Every cell that draws a chart shows it as a picture, not as a figure's name.
    drawing = [
        cell
        for cell in notebook.cells
        if cell.cell_type == "code" and ("charts." in cell.source or cell.source.endswith("figure"))
    ]
    assert drawing or name != "analysis.ipynb"
    for cell in drawing:
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source
    if name == "report_map.ipynb":
        assert (tmp_path / "pap-2024-11.html").stat().st_size > 100_000
        assert (tmp_path / "pap-2024-11-risk.png").read_bytes()[:4] == b"\x89PNG"


def test_notebooks_are_stored_without_outputs():
    for name in ("report_map.ipynb", "analysis.ipynb"):
        notebook = nbformat.read(REPO / "examples" / name, as_version=4)
        assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def test_monthly_series_script(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "examples" / "monthly_series.py"),
            "--out",
            str(tmp_path),
            "--months",
            "2024-10",
            "2024-11",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "pap-2024-10.html",
        "pap-2024-10.png",
        "pap-2024-11.html",
        "pap-2024-11.png",
    ]


def test_past_one_machine_script(tmp_path):
    pytest.importorskip("dask_geopandas")  # the test extra installs it; the script needs katye[dask]
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "examples" / "past_one_machine.py"),
            "--rows",
            "4000",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "4,000 synthetic incidents in 4 partitions" in result.stdout
    assert "every row accounted for" in result.stdout
    assert len(list((tmp_path / "out" / "assigned.parquet").glob("*.parquet"))) == 4
