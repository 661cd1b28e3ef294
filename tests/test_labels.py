"""Every word a map shows comes from labels.py, in both languages, and every label is used."""

from __future__ import annotations

import re
from pathlib import Path

import katye
from katye.labels import LABELS

SRC = Path(katye.__file__).parent
#: Keys only French needs: its thousands separator and month names (English keeps ISO dates and commas).
FRENCH_ONLY = {"thousands", "months", "percent_space"}


def test_french_has_every_english_label():
    assert set(LABELS["en"]) == set(LABELS["fr"]) - FRENCH_ONLY


def test_nested_label_sets_have_the_same_keys_in_both_languages():
    for key, value in LABELS["en"].items():
        if isinstance(value, dict) and value:
            assert set(value) == set(LABELS["fr"][key]), key


def test_every_label_is_used_somewhere():
    code = "".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py") if p.name != "labels.py")
    code += (SRC / "render" / "static" / "katye.js").read_text(encoding="utf-8")
    unused = [key for key in LABELS["en"] if not re.search(rf"[\"'.]{re.escape(key)}\b", code)]
    assert unused == []


def test_counts_take_the_noun_in_the_right_number():
    from katye.labels import count_text, labels

    en, fr = labels("en"), labels("fr")
    assert count_text(1, en["event_count"], en) == "1 event"
    assert count_text(0, en["event_count"], en) == "0 events"
    assert count_text(1, fr["event_count"], fr) == "1 événement"
    assert count_text(0, fr["event_count"], fr) == "0 événement"  # French: 0 and 1 are singular
    assert count_text(1843, fr["event_count"], fr) == "1\u202f843 événements"
