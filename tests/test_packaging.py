"""A non-editable install must carry the shipped geodata inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import REPO
from katye import geodata


def test_wheel_contains_every_shipped_layer(tmp_path):
    # hatchling is a test dependency, so the wheel builds offline, without build isolation.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = tmp_path.glob("katye-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for layer in geodata.LAYERS.values():
        assert f"katye/_geodata/{layer.file}" in names
    assert "katye/_geodata/SOURCES.md" in names
    assert "katye/cli.py" in names
