"""Every word a map shows comes from labels.py, in both languages, and every label is used."""

from __future__ import annotations

import re
from pathlib import Path

import katye
from katye.labels import LABELS

SRC = Path(katye.__file__).parent
#: Keys only other languages need: thousands separator, month names, "1er", French's singular zero
#: (English keeps ISO dates and commas).
FORMATS = {"thousands", "months", "percent_space", "first_day", "zero_singular"}


def test_french_and_creole_have_every_english_label():
    for lang in ("fr", "ht"):
        assert set(LABELS["en"]) == set(LABELS[lang]) - FORMATS, lang


def test_nested_label_sets_have_the_same_keys_in_every_language():
    for lang in ("fr", "ht"):
        for key, value in LABELS["en"].items():
            if isinstance(value, dict) and value:
                assert set(value) == set(LABELS[lang][key]), (lang, key)
            if isinstance(value, dict) and not value:  # English keeps ACLED's words; the others translate them
                assert set(LABELS[lang][key]) == set(LABELS["fr"][key]), (lang, key)


def test_every_placeholder_survives_translation():
    def fields(value) -> list:
        if isinstance(value, dict):
            return [(k, fields(v)) for k, v in sorted(value.items())]
        if isinstance(value, (list, tuple)):
            return [fields(v) for v in value]
        return sorted(re.findall(r"{\w*}", value)) if isinstance(value, str) else []

    for lang in ("fr", "ht"):
        for key, value in LABELS["en"].items():
            if isinstance(value, dict) and not value:
                continue
            assert fields(value) == fields(LABELS[lang][key]), (lang, key)


def test_creole_writes_dates_and_numbers_its_own_way():
    import datetime as dt

    from katye.labels import count_text, day_text, labels, month_text, number_text

    ht = labels("ht")
    assert day_text(dt.date(2024, 1, 1), ht) == "1 janvye 2024"  # no French "1er"
    assert day_text(dt.date(2024, 12, 31), ht) == "31 desanm 2024"
    assert month_text("2024-11", ht) == "novanm 2024"
    assert number_text(1843, ht) == "1\u202f843"
    assert count_text(3, ht["event_count"], ht) == count_text(1, ht["event_count"], ht).replace("1", "3")


def test_every_label_is_used_somewhere():
    code = "".join(
        p.read_text(encoding="utf-8") for p in SRC.rglob("*.py") if p.name not in {"labels.py", "labels_ht.py"}
    )
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
