"""The shipped files can be rebuilt, byte for byte, from the sources by the script in the repo."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO, require_or_skip, sources_dir
from katye import geodata


def test_build_script_reproduces_the_shipped_files(tmp_path):
    sources = sources_dir()
    require_or_skip((sources / "cod-ab-hti-2018").is_dir(), f"geodata sources not found at {sources}")
    subprocess.run(
        [sys.executable, str(REPO / "geodata" / "build.py"), "--sources", str(sources), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    built = [layer.file for layer in geodata.LAYERS.values()] + ["admin_names.csv"]
    for file in built:
        rebuilt = (tmp_path / file).read_bytes()
        shipped = (REPO / "geodata" / file).read_bytes()
        assert rebuilt == shipped, f"{file} differs from a fresh build"
