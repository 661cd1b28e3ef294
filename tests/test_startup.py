"""`import katye`, `katye --help` and reading a file load none of the mapping or statistics libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: What only maps, statistics and dask need: seconds of start-up that help and reading must not pay.
HEAVY = ("matplotlib", "folium", "scipy.stats", "mapclassify", "esda", "libpysal", "sklearn", "dask", "distributed")


def _loaded(code: str) -> set[str]:
    """The heavy modules in sys.modules after ``code`` runs in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint('loaded:', *(m for m in {HEAVY!r} if m in sys.modules))\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(result.stdout.splitlines()[-1].split()[1:])


CLI = "from katye.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass\n"


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("import katye", id="import katye"),
        pytest.param(CLI.format(args=["--help"]), id="katye --help"),
        pytest.param(CLI.format(args=["--version"]), id="katye --version"),
        pytest.param(CLI.format(args=["map", "--help"]), id="katye map --help"),
        pytest.param("import katye\nkatye.read_incidents(katye.samples.path())", id="read_incidents"),
    ],
)
def test_help_version_and_reading_load_no_mapping_or_statistics_library(code):
    assert _loaded(code) == set()


def test_the_probe_sees_a_heavy_module_when_one_is_loaded():
    # The check above must be able to fail: a module that is imported is reported.
    assert _loaded("import katye\nkatye.make_map") >= {"folium"}


def test_help_and_version_load_neither_pandas_nor_rich():
    code = CLI.format(args=["--help"]) + CLI.format(args=["--version"])
    probe = f"{code}\nimport sys\nprint(sorted({{'pandas', 'rich', 'importlib.metadata'}} & set(sys.modules)))\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    # --version reads the installed version: importlib.metadata, and nothing else.
    assert result.stdout.strip().splitlines()[-1] == "['importlib.metadata']"


def test_a_map_of_the_sample_imports_no_scipy(tmp_path):
    # scipy costs `katye map` about 90 ms to import: the map's filters, sums and resampling are
    # written out (scipy's arithmetic to the last bit, tested in test_analysis and test_emerging).
    target = tmp_path / "map.html"
    code = CLI.format(args=["--quiet", "map", "-o", str(target)])
    probe = f"{code}\nimport sys\nprint('loaded:', *sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert target.stat().st_size > 0  # the map was made
    assert result.stdout.splitlines()[-1].split()[1:] == []
