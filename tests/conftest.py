from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def sources_dir() -> Path:
    """The shared geodata sources, beside the repository (as in CI) or from the environment."""
    env = os.environ.get("KATYE_GEODATA_SOURCES")
    return Path(env) if env else REPO.parent / "shared" / "geodata-sources"


def require_or_skip(condition: bool, reason: str) -> None:
    """Skip locally when something optional is missing; in CI a missing piece is a failure."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI=true: this is a failure, not a skip)")
    pytest.skip(reason)


def readme_example(heading: str) -> str:
    """The first Python block of the README's section ``heading`` (``## …``), to run as a test."""
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", readme.split(heading, 1)[1], re.S)
    assert code is not None, f"no Python example under {heading}"
    return code.group(1)
