"""Official population tables per section or commune (COD-PS style): reading and checking.

A COD-PS table has one row per administrative unit, its P-code and its people. In Haiti's COD
(CNIGS/OCHA 2018) communes are level 2 (``ADM2_PCODE``, ``HT0111``) and sections communales
level 3 (``ADM3_PCODE``, ``HT0111-01``). katye tells the level from the P-codes themselves, so a
table with other column names (``section_pcode``, ``pcode``) reads too.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from katye import geodata
from katye.errors import InputError, UsageError, at_rows

#: P-code columns katye looks for, finest level first (lower case).
PCODE_COLUMNS = ("adm3_pcode", "section_pcode", "adm2_pcode", "commune_pcode", "pcode", "admin3pcode", "admin2pcode")
#: Population columns katye looks for (lower case): COD-PS's total is ``T_TL``.
POPULATION_COLUMNS = ("population", "t_tl", "pop", "total", "pop_total", "total_population")
#: The shape of a P-code at each level.
LEVELS = {"section": re.compile(r"^HT\d{4}-\d{2}$"), "commune": re.compile(r"^HT\d{4}$")}
#: The shipped layer and its id column for each level.
LAYER_IDS = {"section": ("sections", "section_pcode"), "commune": ("communes", "commune_pcode")}
TABLE_EXPECTED = (
    "a CSV with a P-code column (ADM3_PCODE for sections, ADM2_PCODE for communes) and a population column (T_TL)"
)


@dataclass
class PopulationTable:
    """People per section or commune from an official table."""

    #: ``"section"`` or ``"commune"``.
    level: str
    #: People per P-code.
    people: pd.Series
    #: The table's name, for credits (a file name, or "the table" for a DataFrame).
    source: str
    pcode_column: str
    population_column: str

    @property
    def layer(self) -> str:
        """The shipped layer of this level: ``sections`` or ``communes``."""
        return LAYER_IDS[self.level][0]

    @property
    def id_column(self) -> str:
        """The id column of that layer: ``section_pcode`` or ``commune_pcode``."""
        return LAYER_IDS[self.level][1]


def read_population_table(
    table: str | os.PathLike | pd.DataFrame,
    *,
    population_column: str | None = None,
    pcode_column: str | None = None,
) -> PopulationTable:
    """Read an official population table per section or commune.

    Parameters
    ----------
    table
        A CSV file or a DataFrame, one row per unit (an HXL hashtag row under the header is skipped).
    population_column
        The column of people (default: the one named ``population``, ``T_TL``, ``pop`` or ``total``).
    pcode_column
        The P-code column (default: ``ADM3_PCODE``, else ``ADM2_PCODE``, ``section_pcode``,
        ``commune_pcode`` or ``pcode``).

    Returns
    -------
    PopulationTable

    Raises
    ------
    InputError
        No P-code or population column, P-codes of no Haitian section or commune, a P-code twice,
        a count that is not a number ≥ 0; the message names the file and line.

    """
    if isinstance(table, pd.DataFrame):
        frame = table.astype(str).copy()
        frame.index = pd.RangeIndex(2, len(frame) + 2)  # as lines of a CSV with a header
        source = table.attrs.get("katye_source", "the population table")
        where = "the population table"
    else:
        from katye.io import read_text_table

        frame = read_text_table(table, what="population table", columns=(), expected=TABLE_EXPECTED)
        source = Path(table).name
        where = str(table)
    pcode = _column(frame, pcode_column, PCODE_COLUMNS, where=where, what="P-code", option="pcode_column")
    people = _column(
        frame, population_column, POPULATION_COLUMNS, where=where, what="population", option="population_column"
    )
    codes = frame[pcode].astype(str).str.strip()
    rows = ~codes.str.startswith("#") & codes.ne("")  # HXL hashtags; blank rows
    frame, codes = frame[rows], codes[rows]
    level = _level(codes, where=where, column=pcode)
    known = set(geodata.admin_names().query("level == @level")["pcode"])
    unknown = codes[~codes.isin(known)]
    if len(unknown):
        raise InputError(
            f"{where}: {pcode} holds {', '.join(map(repr, unknown.unique()[:5]))} at "
            f"{at_rows(unknown.index, unit='line')}: no Haitian {level} has that P-code (COD-AB 2018)."
        )
    twice = codes[codes.duplicated(keep=False)]
    if len(twice):
        raise InputError(
            f"{where}: P-code {twice.iloc[0]} appears at {at_rows(twice.index, unit='line')}; "
            f"give each {level} one row."
        )
    text = frame[people].astype(str).str.strip().str.replace(r"[\s,\u00a0\u202f]", "", regex=True)
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() | (values < 0) | ~np.isfinite(values.fillna(0))
    if bad.any():
        raise InputError(
            f"{where}: {people} holds {frame[people][bad].iloc[0]!r} at {at_rows(values.index[bad], unit='line')}; "
            "expected a number of people ≥ 0."
        )
    series = pd.Series(values.to_numpy(dtype=float), index=pd.Index(codes.to_numpy(), name=LAYER_IDS[level][1]))
    return PopulationTable(level, series, source, pcode, people)


def _column(frame: pd.DataFrame, given: str | None, candidates, *, where: str, what: str, option: str) -> str:
    """The column ``given`` (any case), else the first of ``candidates`` in the table."""
    lower = {str(c).strip().lower(): c for c in frame.columns}
    if given is not None:
        if given.strip().lower() not in lower:
            raise UsageError(
                f"{option}={given!r}: {where} has no such column. Columns: {', '.join(map(str, frame.columns))}."
            )
        return str(lower[given.strip().lower()])
    for name in candidates:
        if name in lower:
            return str(lower[name])
    raise InputError(
        f"{where}: no {what} column (looked for {', '.join(candidates)}). Columns: "
        f"{', '.join(map(str, frame.columns))}. Name it with {option}=…"
    )


def _level(codes: pd.Series, *, where: str, column: str) -> str:
    for level, pattern in LEVELS.items():
        if len(codes) and codes.str.match(pattern).all():
            return level
    example = codes.iloc[0] if len(codes) else ""
    raise InputError(
        f"{where}: {column} holds {example!r} …: expected Haitian P-codes of sections (HT0111-01) or of "
        "communes (HT0111), one level per table."
    )
