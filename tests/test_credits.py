"""Credits and caveats follow flags on the data and the user's word, never guesses from text."""

from __future__ import annotations

import pytest

import katye
from katye.mapdata import prepare


@pytest.fixture(scope="module")
def sample():
    return katye.read_incidents(katye.samples.path()).incidents


def real_looking(sample):
    """The sample without its synthetic flag: what a genuine export looks like to katye."""
    return sample.drop(columns="synthetic").assign(source="Le Nouvelliste", notes="On 3 November …")


def test_synthetic_incidents_are_never_credited_to_acled(sample):
    data = prepare(sample, acled_accessed="2025-02-03")
    incidents_credit = data.credits[0]
    assert "SYNTHETIC" in incidents_credit
    assert "not ACLED data" in incidents_credit
    assert "accessed" not in incidents_credit


def test_acled_is_credited_with_the_access_date_the_user_gave(sample):
    data = prepare(real_looking(sample), acled_accessed="2025-02-03")
    assert data.credits[0] == "Incidents: ACLED, accessed 2025-02-03; acleddata.com"


def test_without_an_access_date_the_credit_says_so_rather_than_guessing_from_timestamps(sample):
    data = prepare(real_looking(sample))
    assert data.credits[0] == "Incidents: ACLED (access date not given); acleddata.com"


def test_french_credit_writes_the_access_date_as_french_reports_do(sample):
    data = prepare(real_looking(sample), acled_accessed="2025-02-01", lang="fr")
    assert data.credits[0] == "Incidents\u202f: ACLED, consulté le 1er février 2025\u202f; acleddata.com"


def test_a_bad_access_date_is_a_clear_error(sample):
    with pytest.raises(katye.errors.UsageError, match="acled_accessed"):
        prepare(real_looking(sample), acled_accessed="last week")


def test_the_synthetic_caveat_follows_the_flag_not_the_word(sample):
    flagged = real_looking(sample).assign(synthetic="true")  # no "SYNTHETIC" anywhere in the text
    assert any("SYNTHETIC" in c for c in prepare(flagged).caveats)
    assert not any("SYNTHETIC" in c for c in prepare(real_looking(sample)).caveats)
    worded = real_looking(sample).assign(source="a SYNTHETIC-looking source name")
    assert not any("SYNTHETIC" in c for c in prepare(worded).caveats)


def test_the_illustrative_caveat_follows_the_control_tables_flag(sample, tmp_path):
    shipped = katye.samples.path("control")
    flagged = prepare(sample, control=shipped)
    assert any("ILLUSTRATIVE" in c for c in flagged.caveats)
    # The same rows without the flag column: a user's own table that happens to say "ILLUSTRATIVE".
    lines = shipped.read_text(encoding="utf-8").splitlines()
    unflagged = tmp_path / "control.csv"
    unflagged.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8")
    assert not any("ILLUSTRATIVE" in c for c in prepare(sample, control=unflagged).caveats)
