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
    assert "katye/py.typed" in names  # users' type checkers read katye's annotations


def test_help_and_import_load_no_analysis_library():
    # `katye --help` answers before geopandas, scipy, folium or matplotlib load; `import katye`
    # loads them only when a function that needs them is first used.
    code = (
        "import sys, katye.cli\n"
        "from click.testing import CliRunner\n"
        "assert CliRunner().invoke(katye.cli.main, ['--help']).exit_code == 0\n"
        "heavy = {'geopandas', 'pandas', 'scipy', 'folium', 'matplotlib', 'shapely'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "import katye\n"
        "assert katye.read_incidents.__module__ == 'katye.incidents.read'\n"
        "assert 'geopandas' in sys.modules\n"
        "assert 'folium' not in sys.modules\n"
        "assert 'matplotlib' not in sys.modules\n"
        "assert {'read_incidents', 'make_map', 'geodata'} <= set(dir(katye))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
