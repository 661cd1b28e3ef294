"""katye.testing: the command-line and browser helpers the tests, benchmarks and scripts share."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

import katye.testing
from katye.testing import invoke, run_cli


def test_importing_the_helpers_loads_neither_playwright_nor_click_nor_the_analysis_libraries():
    code = (
        "import sys, katye.testing\n"
        "heavy = {'playwright', 'click', 'geopandas', 'pandas', 'rich'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_run_cli_returns_the_exit_code_and_the_two_streams_apart(tmp_path):
    missing = run_cli("validate", "missing.csv", cwd=tmp_path)
    assert missing.returncode == 2, missing.stderr
    assert missing.stdout == ""
    assert missing.stderr.startswith("katye: error: missing.csv")
    written = run_cli("geodata", "export", "sites", "-o", "sites.csv", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "sites.csv").stat().st_size > 0  # a relative path is taken in cwd


def test_invoke_keeps_stdout_and_stderr_apart_and_puts_the_logger_back(tmp_path):
    logger = logging.getLogger("katye")
    handlers, level = logger.handlers[:], logger.level
    result = invoke("--verbose", "validate", str(tmp_path / "missing.csv"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "katye: error:" in result.stderr
    assert logger.handlers == handlers
    assert logger.level == level


def test_a_missing_chromium_is_named_with_its_install_command(tmp_path, monkeypatch):
    monkeypatch.setattr(katye.testing, "CHROMIUM", str(tmp_path / "chromium"))
    with pytest.raises(RuntimeError, match="apt-get install chromium"), katye.testing.chromium():
        pass
