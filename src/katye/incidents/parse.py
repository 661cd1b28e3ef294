"""Vectorised parsing of raw incident values: numbers, dates, coordinates, codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from katye.incidents.columns import per_value, recode

#: Haiti with a margin: used to recognise latitude/longitude written the wrong way round.
HAITI_BBOX = (-74.6, 17.9, -71.5, 20.2)

#: A time zone offset (or Z) after a time or a date, as arrow's RE2 reads it.
OFFSET = r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?|\d{4}-\d{2}-\d{2})\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"

DATE_FORMATS = (
    "%B %Y",  # October 2024 (a month only)
    "%m/%Y",  # 10/2024 (a month only)
    "%Y/%m",  # 2024/10 (a month only)
    "%b %Y",  # Oct 2024 (a month only)
    "%b. %Y",  # Oct. 2024 (a month only)
    "%d %B %Y",  # 24 October 2024 (ACLED export tool)
    "%d-%B-%Y",  # 24-October-2024
    "%d %b %Y",  # 24 Oct 2024
    "%d-%b-%Y",  # 24-Oct-2024
    "%Y/%m/%d",
    "%d.%m.%Y",
)


def blank(series: pd.Series) -> np.ndarray:
    """True where a raw value is missing or only white space."""
    found = per_value(series, blank)
    if found is not None:
        return found.astype(bool, copy=False)
    if pd.api.types.is_numeric_dtype(series):
        return series.isna().to_numpy()
    values = pa.array(series.astype("string[pyarrow]"))
    empty = pc.or_kleene(pc.is_null(values), pc.equal(pc.utf8_trim_whitespace(values), ""))
    return pc.fill_null(empty, True).to_numpy(zero_copy_only=False).astype(bool)


def numbers(series: pd.Series) -> np.ndarray:
    """Parse numbers as float (NaN where not a number); a decimal comma (``18,54``) is accepted."""
    found = per_value(series, numbers)
    if found is not None:
        return found.astype("float64", copy=False)
    if pd.api.types.is_numeric_dtype(series):
        return series.astype("float64").to_numpy(copy=True)
    try:
        # Clean columns (every ACLED export) convert in one pass in Arrow; the rest go the long way.
        values = pc.cast(pa.array(series.astype("string[pyarrow]")), pa.float64())
        return values.to_numpy(zero_copy_only=False).astype("float64", copy=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    text = series.astype("string").str.strip()
    comma = text.str.fullmatch(r"[-+]?\d+,\d+").fillna(False)
    if comma.any():
        text = text.where(~comma, text.str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce").astype("float64").to_numpy(dtype="float64", na_value=np.nan, copy=True)


def dates(series: pd.Series) -> pd.Series:
    """Parse event dates in every layout ACLED and spreadsheets produce; NaT where none fits.

    ISO dates (``2024-10-24``, with or without a time), ``24 October 2024``,
    ``24-October-2024`` and slashed dates. A slashed column is read month first
    (``10/24/2024``, ACLED's US layout) unless some value only makes sense day first
    (``24/10/2024``) and none only month first.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Each distinct text once, but read as one column: the day-or-month-first choice is the column's.
        found = per_value(series, lambda values: dates(values).to_numpy())
        if found is not None:
            dtype = "datetime64[ns]" if not found.size else found.dtype
            return pd.Series(found, index=series.index, dtype=dtype, copy=False)
    if pd.api.types.is_datetime64_any_dtype(series):
        return pd.to_datetime(series).dt.tz_localize(None).dt.normalize()
    text = series.astype("string").str.strip()
    # An event happens on a local day: drop a time zone offset (mixed offsets in one column would
    # not parse together, and converting to UTC would move evening events to the next day). The
    # pattern stays in what arrow's RE2 kernel runs (no inline flags), or pandas loops in Python.
    stripped = pc.replace_substring_regex(pa.array(text.astype("string[pyarrow]")), OFFSET, r"\1")
    text = pd.Series(pd.array(stripped, dtype="string[pyarrow]"), index=text.index)
    out = pd.to_datetime(text, format="ISO8601", errors="coerce")
    for fmt in DATE_FORMATS:
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    todo = out.isna() & text.notna()
    if todo.any():
        month_first = pd.to_datetime(text[todo], format="%m/%d/%Y", errors="coerce")
        day_first = pd.to_datetime(text[todo], format="%d/%m/%Y", errors="coerce")
        only_day_first = (day_first.notna() & month_first.isna()).sum()
        only_month_first = (month_first.notna() & day_first.isna()).sum()
        out[todo] = day_first if only_day_first and not only_month_first else month_first
    out = pd.to_datetime(out, errors="coerce")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out.dt.normalize()


def partial(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Masks of dates given only to a month (``2024-10``, ``10/2024``, ``October 2024``) or a year (``2024``)."""
    found = per_value(series, lambda values: np.column_stack(partial(values)))
    if found is not None:
        return found[:, 0], found[:, 1]
    text = pc.utf8_trim_whitespace(pa.array(series.astype("string[pyarrow]")))

    def matches(pattern: str) -> np.ndarray:
        found = pc.match_substring_regex(text, f"^(?:{pattern})$")
        return pc.fill_null(found, False).to_numpy(zero_copy_only=False).astype(bool)

    return matches(r"\d{4}[-/]\d{1,2}|\d{1,2}/\d{4}|[A-Za-z]+\.? \d{4}"), matches(r"\d{4}")


def in_bbox(lon: np.ndarray, lat: np.ndarray, bbox=HAITI_BBOX) -> np.ndarray:
    """True where (lon, lat) lies in ``bbox`` (minx, miny, maxx, maxy)."""
    minx, miny, maxx, maxy = bbox
    with np.errstate(invalid="ignore"):
        return (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)


def codes(series: pd.Series, allowed=(1, 2, 3)) -> tuple[np.ndarray, np.ndarray]:
    """Parse a precision code: (values as float with NaN for blank, mask of bad values)."""
    values = numbers(series)
    bad = ~np.isin(values, allowed)
    unread = np.flatnonzero(np.isnan(values))
    bad[unread] = ~blank(series.iloc[unread])
    return values, bad


def text(series: pd.Series | None, n: int) -> pd.Series:
    """A text column with blanks as empty strings (or all empty when the file has no such column)."""
    if series is None:
        return pd.Series(pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([""], dtype="str")))
    found = recode(series, lambda values: values.str.strip())
    if found is not None:
        return found.reset_index(drop=True)
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow" and not series.hasnans:
        # Mostly distinct text (event ids): copied only when some value has spaces to strip.
        padded = pc.match_substring_regex(pa.array(series), f"^{SPACE}|{SPACE}$")
        if not pc.any(padded).as_py():
            return series.astype("str").reset_index(drop=True)
    return series.astype("str").fillna("").str.strip().reset_index(drop=True)


#: What Python's ``str.strip()`` removes (``str.isspace``), spelled for arrow's RE2, whose ``\s``
#: knows only ASCII: a no-break or ideographic space must be stripped whatever path a column takes.
SPACE = r"[\t-\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
