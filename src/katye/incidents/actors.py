"""Actors and event types as an analyst reads them.

ACLED writes one actor under several names: period suffixes ("Police Forces of Haiti
(2017-2024)" and "(2024-)"), spellings ("G-Pep", "G-Pèp"), and coalitions beside their
members. katye maps every name through an actor table (shipped: ``geodata/actors.csv``,
sourced row by row; or your own, read with :func:`read_actors`) to a normalised ``actor``,
its ``kind`` and, for gangs, the ``coalition`` public sources put it in.

Matching ignores case, accents, punctuation and a trailing period suffix "(YYYY-)" or
"(YYYY-YYYY)". A name the table does not hold is typed by ACLED's generic forms
("Civilians (Haiti)", "Protesters (…)", "Rioters (…)", "Unidentified Armed Group (…)",
"Police Forces of …", "Military Forces of …", "… Gang") and otherwise passes through as
``other``; :func:`normalise` lists every name not in the table, with the kind it was given, so
the report can show them.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from katye import geodata
from katye import io as katye_io
from katye.errors import InputError, at_rows
from katye.incidents.columns import categorical, distinct

KINDS = ("state", "armed_group", "unidentified_armed_group", "self_defence", "civilians", "rioters_protesters", "other")
#: Kinds that act with force: they may hold or contest ground. Civilians, rioters and protesters do not.
ARMED_KINDS = ("armed_group", "unidentified_armed_group")
COLUMNS = ("acled_name", "actor", "kind", "coalition", "coalition_since", "base", "source_url", "source_title", "note")
REQUIRED = ("acled_name", "actor", "kind")
_PERIOD = re.compile(r"\s*\(\s*\d{4}\s*-\s*(?:\d{4})?\s*\)\s*$")
#: ACLED's generic actor forms, tried in order when a name is not in the table.
PATTERNS = (
    (re.compile(r"^unidentified .*(armed group|gang|militia)", re.I), "unidentified_armed_group"),
    (re.compile(r"^civilians\b", re.I), "civilians"),
    (re.compile(r"^(protesters|rioters)\b", re.I), "rioters_protesters"),
    (re.compile(r"^(police|military|government)\b", re.I), "state"),
    (re.compile(r"\b(vigilante|self-defen[cs]e|brigade)", re.I), "self_defence"),
    # ACLED names gangs "<Name> Gang"; "Anti-Gang Unit" or "Gang Victims …" are not gangs.
    (re.compile(r"\bgang$", re.I), "armed_group"),
)
EVENT_TYPES = (
    "Battles",
    "Violence against civilians",
    "Explosions/Remote violence",
    "Riots",
    "Protests",
    "Strategic developments",
)
#: Older ACLED event types (before the 2019 taxonomy) and common variants → today's type.
_LEGACY_TYPES = {
    "battle": "Battles",
    "battlenochangeofterritory": "Battles",
    "battlegovernmentregainsterritory": "Battles",
    "battlenonstateactorovertakesterritory": "Battles",
    "remoteviolence": "Explosions/Remote violence",
    "explosionsremoteviolence": "Explosions/Remote violence",
    "violenceagainstcivilians": "Violence against civilians",
    "riot": "Riots",
    "protest": "Protests",
    "strategicdevelopment": "Strategic developments",
    "nonviolenttransferofterritory": "Strategic developments",
    "headquartersorbaseestablished": "Strategic developments",
}


def actor_key(name: str) -> str:
    """Matching key of an actor name: no period suffix, case, accents or punctuation."""
    text = _PERIOD.sub("", str(name).strip())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "", text)


def read_actors(path_or_frame: str | os.PathLike | pd.DataFrame) -> pd.DataFrame:
    """Read and check an actor table (CSV, or a DataFrame with the same columns).

    Columns: ``acled_name`` (as in exports), ``actor`` (the normalised name), ``kind`` (one of
    :data:`KINDS`), and optionally ``coalition``, ``coalition_since`` (a date or year),
    ``base``, ``source_url``, ``source_title``, ``note``.

    Raises
    ------
    InputError
        Missing columns, an unknown kind, two rows for the same name (after ignoring case,
        accents, punctuation and period suffixes), or a ``coalition_since`` that is not a date;
        the message names the lines.

    """
    if isinstance(path_or_frame, pd.DataFrame):
        table, where, first = path_or_frame.astype(str).copy(), "the actor table", 1
        unit = "row"
    else:
        path = Path(path_or_frame)
        table = katye_io.read_text_table(path, what="actor table", columns=COLUMNS)
        where, first, unit = str(path), 2, "line"
    table.columns = [str(c).strip().lower() for c in table.columns]
    if table.columns.duplicated().any():
        twice = sorted(set(table.columns[table.columns.duplicated()]))
        raise InputError(f"{where}: column(s) {', '.join(twice)} appear twice in the header. Keep one of each.")
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise InputError(f"{where}: missing column(s) {', '.join(missing)}. Expected: {', '.join(COLUMNS)}.")
    for column in COLUMNS:
        if column not in table.columns:
            table[column] = ""
    table = table[list(COLUMNS)].fillna("").astype(str).apply(lambda c: c.str.strip())
    if table.empty:
        raise InputError(f"{where}: the actor table has no rows. Add one row per actor name ({', '.join(COLUMNS)}).")
    table["kind"] = table["kind"].str.lower().str.replace(r"[\s/-]+", "_", regex=True)
    lines = table.index.to_numpy(dtype=np.int64) if first == 2 and len(table) else np.arange(len(table)) + first
    problems = []
    bad_kind = ~table["kind"].isin(KINDS)
    if bad_kind.any():
        shown = ", ".join(sorted(set(table.loc[bad_kind, "kind"]))[:5])
        problems.append(
            f"kind must be one of {', '.join(KINDS)} (found {shown!s}) at "
            f"{at_rows(lines[bad_kind.to_numpy()], unit=unit)}"
        )
    empty = (table["acled_name"] == "") | (table["actor"] == "")
    if empty.any():
        problems.append(f"acled_name and actor must not be empty at {at_rows(lines[empty.to_numpy()], unit=unit)}")
    keys = table["acled_name"].map(actor_key)
    blank_key = (keys == "") & ~empty
    if blank_key.any():
        problems.append(
            f"acled_name has no letter or digit once its period suffix is set aside at "
            f"{at_rows(lines[blank_key.to_numpy()], unit=unit)}"
        )
    # Spellings of one actor ("(2017-2024)" and "(2024-)") may share a key when they say the same
    # thing; the same name twice, or one key with two meanings, is an error.
    same_name = table["acled_name"].str.lower().duplicated(keep=False) & ~empty
    meaning = table["actor"] + "\0" + table["kind"] + "\0" + table["coalition"]
    conflicting = keys.map(meaning.groupby(keys).nunique()) > 1
    # One normalised actor with two kinds or coalitions under different spellings is ambiguous too.
    kinds_of_actor = table["actor"].map((table["kind"] + "\0" + table["coalition"]).groupby(table["actor"]).nunique())
    dupes = same_name | (conflicting & ~empty & ~blank_key) | ((kinds_of_actor > 1) & ~empty)
    if dupes.any():
        shown = "; ".join(sorted(set(table.loc[dupes, "acled_name"]))[:5])
        problems.append(
            f"the same name appears twice, or with two meanings ({shown}; names are matched ignoring "
            "case, accents, punctuation and period suffixes), at "
            f"{at_rows(lines[dupes.to_numpy()], unit=unit)}"
        )
    bad_since = ~table.apply(lambda r: _dates_ok(r["coalition"], r["coalition_since"]), axis=1).astype(bool)
    if bad_since.any():
        problems.append(
            "coalition_since must be empty or a date (YYYY, YYYY-MM or YYYY-MM-DD) for each coalition, "
            f"';'-separated in the same order, at {at_rows(lines[bad_since.to_numpy()], unit=unit)}"
        )
    if problems:
        raise InputError(f"{where}: " + "; ".join(problems) + ". Fix those rows.")
    table["key"] = keys
    table.attrs["source_file"] = where
    table.attrs["katye_checked"] = True
    return table.reset_index(drop=True)


_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _dates_ok(coalitions: str, since: str) -> bool:
    if not since:
        return True
    dates = [d.strip() for d in since.split(";")]
    names = [c for c in coalitions.split(";") if c.strip()]
    if len(dates) != len(names):
        return False
    for date in dates:
        if not _DATE.match(date) or pd.isna(pd.to_datetime(date, format="mixed", errors="coerce")):
            return False
    return True


@cache
def shipped() -> pd.DataFrame:
    """The shipped actor table, checked (read once per process; do not modify it)."""
    with katye_io.shipped(geodata.data_dir() / "actors.csv") as path:
        return read_actors(path)


ATTR = "katye_actors"


def as_records(table: pd.DataFrame) -> tuple:
    """The table as a tuple of rows, to travel in ``DataFrame.attrs``."""
    return tuple(tuple(row) for row in table[list(COLUMNS)].itertuples(index=False))


def of(frame: pd.DataFrame, table=None) -> pd.DataFrame:
    """The actor table to use for ``frame``: ``table`` if given, else the one it was read with."""
    if table is not None:
        return resolve(table)
    records = frame.attrs.get(ATTR)
    if records:
        return read_actors(pd.DataFrame(list(records), columns=list(COLUMNS)))
    return shipped()


def resolve(table) -> pd.DataFrame:
    """An actor table from None (the shipped one), a path or a DataFrame."""
    if table is None:
        return shipped()
    if isinstance(table, pd.DataFrame) and table.attrs.get("katye_checked"):
        return table
    return read_actors(table)


@dataclass
class Actors:
    """Normalised names, kinds and coalitions of one actor column, and the names katye did not know.

    Held per distinct input name (``per_name``) with each row's ``codes`` into them: a million
    rows naming forty actors cost forty lookups.
    """

    codes: np.ndarray
    per_name: dict[str, np.ndarray]
    #: Names the table does not hold, as "name (kind typed from ACLED's name form)" → events.
    unknown: dict[str, int] = field(default_factory=dict)

    @property
    def actor(self) -> np.ndarray:
        return self.per_name["actor"][self.codes]

    @property
    def kind(self) -> np.ndarray:
        return self.per_name["kind"][self.codes]

    @property
    def coalition(self) -> np.ndarray:
        return self.per_name["coalition"][self.codes]

    def column(self, what: str) -> pd.Categorical:
        """``actor`` or ``kind`` as a categorical column."""
        return categorical(self.per_name[what], self.codes)


def _pattern_kind(name: str) -> str:
    for pattern, kind in PATTERNS:
        if pattern.search(name):
            return kind
    return "other"


def normalise(names: pd.Series, table: pd.DataFrame | None = None) -> Actors:
    """Map actor names to normalised names, kinds and coalitions (empty names stay empty)."""
    table = resolve(table)
    rows = table.drop_duplicates("key")
    by_key = dict(zip(rows["key"], zip(rows["actor"], rows["kind"], rows["coalition"], strict=True), strict=True))
    codes, uniques = distinct(names)
    actor, kind, coalition = [], [], []
    unknown = {}
    counts = np.bincount(codes, minlength=len(uniques)) if len(codes) else np.zeros(0, dtype=int)
    for i, name in enumerate(uniques):
        key = actor_key(name)
        if not key:
            actor.append("")
            kind.append("")
            coalition.append("")
        elif key in by_key:
            found = by_key[key]
            actor.append(found[0])
            kind.append(found[1])
            coalition.append(found[2])
        else:
            actor.append(_PERIOD.sub("", name))
            guessed = _pattern_kind(name)
            kind.append(guessed)
            coalition.append("")
            unknown[f"{name} ({guessed})"] = int(counts[i])
    return Actors(
        np.asarray(codes),
        {
            "actor": np.asarray(actor, dtype=object),
            "kind": np.asarray(kind, dtype=object),
            "coalition": np.asarray(coalition, dtype=object),
        },
        dict(sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def event_types(values: pd.Series):
    """ACLED event types in today's spelling (legacy and variant spellings mapped); others unchanged."""
    codes, uniques = distinct(values)
    current = {actor_key(t): t for t in EVENT_TYPES}
    mapped = []
    for value in uniques:
        key = actor_key(value)
        mapped.append(current.get(key) or _LEGACY_TYPES.get(key) or value)
    return categorical(np.asarray(mapped, dtype=object), np.asarray(codes))
