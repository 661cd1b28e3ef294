"""How precisely each incident is located, and how katye decided it.

ACLED codes ``geo_precision`` 1 (the named place), 2 (near it, or a part of a region) and 3
(only a wider area: the coordinate is a commune or department centre). Real exports do not
always carry the code, and carry it wrongly for events known only to a commune. katye
therefore records, for every event, a ``location_precision``:

``exact``
    At the named place (``geo_precision`` 1, or declared by the user).
``near``
    Near the named place (``geo_precision`` 2).
``commune``
    Known only to a commune (or one of its sections): the coordinate is a commune centre.
``region``
    Known only to a department or the country.
``unknown``
    The file does not say, and no rule applies.

and the ``precision_basis`` that decided it, applying these rules in order:

1. ``geo_precision``: the file's code (1 exact, 2 near, 3 commune); ``missing`` when the file has
   no code for the row (then ``unknown``, or the user's ``default_precision`` with basis
   ``declared``).
2. ``admin_name``: a ``location`` that names an administrative unit of Haiti (department,
   arrondissement, commune, or a communal section in its full form, "1re Section Turgeau"),
   in ACLED's spellings, with or without accents, hyphens, "Commune de"; or a
   "Commune - Unit" pair of such names. It is ``commune``-precise (``region`` for a
   department or the country) whatever ``geo_precision`` says. A communal section's bare
   name (Martissant, Turgeau, Thor) is not taken as one: in Port-au-Prince these are the
   neighbourhoods ACLED names.
3. ``commune_centre``: a coordinate shared by ``CENTRE_MIN_EVENTS`` (3) or more events whose
   location is a bare commune (or wider) name, making at least ``CENTRE_MIN_SHARE`` (a quarter)
   of the events there, is that commune's centre in the export; every other event on it is
   ``commune``-precise too.

With ``rules=False`` ("as-coded") only rule 1 applies.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from katye import geodata
from katye.incidents.columns import categorical, distinct, pair_codes

LEVELS = ("exact", "near", "commune", "region", "unknown")
#: Coarseness used when a rule can only make a precision coarser. Unknown is replaced by any rule.
_RANK = {"exact": 0, "near": 1, "commune": 2, "region": 3, "unknown": -1}
_CODED = {1: "exact", 2: "near", 3: "commune"}
_ADMIN_LEVEL = {
    "country": "region",
    "department": "region",
    "arrondissement": "region",
    "commune": "commune",
    "section": "commune",
}
BASES = {
    "geo_precision": "the file's geo_precision code",
    "missing": "the file gives no geo_precision for the event",
    "declared": "no geo_precision in the file; default_precision set by the user",
    "admin_name": "location names an administrative unit (commune, section, department)",
    "commune_centre": "on a coordinate that the export uses for events known only to a commune",
}
CENTRE_MIN_EVENTS = 3
CENTRE_MIN_SHARE = 0.25
_PREFIX = re.compile(
    r"^(?:commune|ville|arrondissement|departement|department|section communale|city|town|"
    r"municipality)(?: of| de la| de l| des| du| de| d)? ",
    re.ASCII,
)
_SUFFIX = re.compile(r" (?:commune|department|departement|arrondissement|city|municipality)$", re.ASCII)
_ORDINAL = re.compile(r"\b(\d+)\s*(?:eme|ere|re|er|e|st|nd|rd|th)\b", re.ASCII)
# Dash characters, not \\u escapes: arrow's RE2 has none.
_PARTS = re.compile("\\s+[-\u2013\u2014/]\\s+|\\s*,\\s*", re.ASCII)


def name_key(text: str) -> str:
    """A matching key for a place name: no accents, case, punctuation, spaces or "Commune de".

    ``"Pétion-Ville"``, ``"Petionville"``, ``"Commune de Pétion Ville"`` all give ``"petionville"``;
    ``"1ère section Turgeau"`` and ``"1re Section Turgeau"`` give ``"1esectionturgeau"``.
    """
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[\u2019'`]", " ", text)
    text = _ORDINAL.sub(r"\1e", text)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = _SUFFIX.sub("", _PREFIX.sub("", text))
    return text.replace(" ", "")


def _arrow_keys(text: pa.Array) -> pa.Array:
    """:func:`name_key` on an arrow string array, with arrow's compute kernels."""
    text = pc.utf8_lower(pc.replace_substring_regex(pc.utf8_normalize(text, "NFKD"), r"\p{Mn}", ""))
    text = pc.replace_substring_regex(text, r"[\x{2019}'`]", " ")
    text = pc.replace_substring_regex(text, _ORDINAL.pattern, r"\1e")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"[^a-z0-9]+", " "))
    text = pc.replace_substring_regex(pc.replace_substring_regex(text, _PREFIX.pattern, ""), _SUFFIX.pattern, "")
    return pc.replace_substring(text, " ", "")


def _arrow_text(values) -> pa.Array:
    return pa.array(pd.Series(values, dtype=object).fillna("").astype(str).to_numpy(dtype=object), type=pa.string())


def name_keys(values) -> np.ndarray:
    """:func:`name_key` of many names at once (arrow kernels: fast on a million names)."""
    return np.asarray(_arrow_keys(_arrow_text(values)).to_numpy(zero_copy_only=False), dtype=object)


def admin_levels(locations) -> np.ndarray:
    """:func:`admin_level` of many locations at once: ``"commune"``, ``"region"`` or None each."""
    text = pc.utf8_trim_whitespace(_arrow_text(locations))
    n = len(text)
    split = pc.split_pattern_regex(text, _PARTS.pattern)
    parts = pc.utf8_trim_whitespace(pc.list_flatten(split))
    row = pc.list_parent_indices(split).to_numpy()
    keep = pc.not_equal(parts, "").to_numpy(zero_copy_only=False)
    parts, row = parts.filter(pa.array(keep)), row[keep]
    index = _admin_index()
    names = pa.array(list(index), type=pa.string())
    levels = np.array([*index.values(), None], dtype=object)
    found = pc.fill_null(pc.index_in(_arrow_keys(parts), value_set=names), len(names)).to_numpy()
    level = levels[found]
    out = np.full(n, None, dtype=object)
    if not row.size:
        return out
    # Admin only when every part is; the last part (the most specific) gives the level.
    every = np.ones(n, dtype=bool)
    np.logical_and.at(every, row, found < len(names))
    seen = np.zeros(n, dtype=bool)
    seen[row] = True
    last = np.full(n, None, dtype=object)
    last[row] = level  # parts come in order, so the last write per row is its last part
    hit = every & seen
    out[hit] = last[hit]
    return out


@cache
def _admin_index() -> dict[str, str]:
    """Name key → the coarsest precision that name allows (commune or region)."""
    table = geodata.admin_names()
    out: dict[str, str] = {}
    for name, level in zip(table["name"], table["level"], strict=True):
        key = name_key(name)
        precision = _ADMIN_LEVEL[level]
        if key and _RANK[precision] > _RANK.get(out.get(key, "exact"), 0):
            out[key] = precision
        else:
            out.setdefault(key, precision)
    return out


def admin_level(location: str) -> str | None:
    """``"commune"`` or ``"region"`` when ``location`` names only administrative units, else None."""
    # ASCII classes throughout, as in the arrow kernels of admin_levels, so both agree.
    parts = [p for p in _PARTS.split(str(location).strip()) if p.strip()]
    if not parts:
        return None
    index = _admin_index()
    levels = [index.get(name_key(p)) for p in parts]
    if any(level is None for level in levels):
        return None
    return levels[-1]  # the last part is the most specific ("Ouest - Delmas" is Delmas)


#: Where an event's precision came from, as small codes while the rules run.
_BASIS = {name: i for i, name in enumerate(("missing", "geo_precision", "declared", "admin_name", "commune_centre"))}


@dataclass
class Precision:
    """Per-event precision and basis, and how many events each rule changed."""

    precision: pd.Categorical
    basis: pd.Categorical
    changed: dict[str, int] = field(default_factory=dict)
    admin_names: dict[str, int] = field(default_factory=dict)
    centres: int = 0


def decide(
    location: pd.Series,
    coded: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    rules: bool = True,
    default: str | None = None,
    points: tuple[np.ndarray, np.ndarray] | None = None,
) -> Precision:
    """Decide the precision of each event (see the module docstring).

    Parameters
    ----------
    location
        The events' ``location`` text.
    coded
        ``geo_precision`` as floats (1, 2, 3 or NaN when the file has none for the row).
    lon, lat
        Coordinates (for the commune-centre rule).
    rules
        False: the file's codes only ("as-coded").
    default
        Precision of events with no code (``exact`` or ``near``); None leaves them ``unknown``.
    points
        :func:`~katye.incidents.columns.pair_codes` of ``lon``, ``lat`` when already computed.

    Returns
    -------
    Precision
        ``precision`` and ``basis`` (object arrays of the words above), the number of events each
        rule changed, the administrative names found and the number of commune-centre points.

    """
    n = len(coded)
    # Work in ranks (-1 unknown, 0 exact … 3 region): a rule may only make a known precision coarser.
    rank = np.full(n, -1, dtype=np.int8)
    basis = np.full(n, _BASIS["missing"], dtype=np.int8)
    for code, level in _CODED.items():
        hit = coded == code
        rank[hit] = _RANK[level]
        basis[hit] = _BASIS["geo_precision"]
    if default is not None:
        missing = basis == _BASIS["missing"]
        rank[missing] = _RANK[default]
        basis[missing] = _BASIS["declared"]
    changed: dict[str, int] = {}
    names: dict[str, int] = {}
    centres = 0
    if rules and n:
        codes, uniques = distinct(location)
        unique_rank = np.array([_RANK[level] if level else -2 for level in admin_levels(uniques)], dtype=np.int8)
        named = unique_rank[codes]
        is_admin = named >= 0
        coarser = is_admin & ((rank < 0) | (rank < named))
        rank[coarser] = named[coarser]
        basis[coarser] = _BASIS["admin_name"]
        changed["admin_name"] = int(coarser.sum())
        # The names that changed something, spellings of one name counted together under the first seen.
        counts = np.bincount(codes[coarser], minlength=len(uniques))
        grouped: dict[str, list] = {}
        for i in np.flatnonzero(counts):
            entry = grouped.setdefault(name_key(uniques[i]), [str(uniques[i]), 0])
            entry[1] += int(counts[i])
        names = dict(sorted((tuple(v) for v in grouped.values()), key=lambda kv: (-kv[1], kv[0])))
        # Commune centres: coordinates that bare commune (or wider) names share.
        # Exact points first (few), then those rounded to about a metre: no rounded copy of every row.
        exact, first = points if points is not None else pair_codes(lon, lat)
        rounded, _ = pair_codes(np.round(np.asarray(lon)[first], 5), np.round(np.asarray(lat)[first], 5))
        point_code = rounded[exact]
        del exact
        per_point = np.bincount(point_code[is_admin], minlength=int(point_code.max()) + 1)
        all_point = np.bincount(point_code, minlength=int(point_code.max()) + 1)
        # Many bare names, and a fair share of the point's events: a neighbourhood centre with a
        # few mislabelled events is not turned into a commune centre.
        centre = (per_point >= CENTRE_MIN_EVENTS) & (per_point >= CENTRE_MIN_SHARE * all_point)
        on_centre = centre[point_code] & ~is_admin & (rank < _RANK["commune"])
        rank[on_centre] = _RANK["commune"]
        basis[on_centre] = _BASIS["commune_centre"]
        changed["commune_centre"] = int(on_centre.sum())
        centres = int(centre.sum())
    words = np.array([*LEVELS[:4], "unknown"], dtype=object)
    return Precision(
        categorical(words, np.where(rank < 0, np.int8(4), rank)),
        categorical(np.array(list(_BASIS), dtype=object), basis),
        changed,
        names,
        centres,
    )
