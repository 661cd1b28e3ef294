"""The synthetic sample: reproducible, marked synthetic everywhere, in ACLED's exact layout."""

from __future__ import annotations

import pandas as pd

from conftest import REPO
from katye import samples
from katye.incidents.schema import ACLED_CURRENT


def test_sample_regenerates_byte_for_byte(tmp_path):
    frame = samples.synthetic_acled(3000, seed=2024)
    rebuilt = samples.write_csv(frame, tmp_path / "sample.csv").read_bytes()
    assert rebuilt == (REPO / "geodata" / "samples" / samples.SAMPLE_FILE).read_bytes()


def test_sample_is_acled_current_layout_plus_a_synthetic_column():
    table = pd.read_csv(samples.path("acled"), dtype=str, keep_default_na=False)
    assert tuple(table.columns[:31]) == ACLED_CURRENT
    assert list(table.columns[31:]) == ["synthetic"]
    assert (table["synthetic"] == "true").all()
    assert table["notes"].str.startswith("SYNTHETIC").all()
    assert set(table["geo_precision"]) == {"1", "2", "3"}
    autumn = table[table.event_date.between("2024-10-01", "2024-11-30")]
    assert autumn.location.str.contains("Solino").sum() > 20


def test_same_seed_same_rows_other_seed_other_rows():
    assert samples.synthetic_acled(50, seed=1).equals(samples.synthetic_acled(50, seed=1))
    assert not samples.synthetic_acled(50, seed=1).equals(samples.synthetic_acled(50, seed=2))
