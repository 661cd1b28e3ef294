"""Days and analysis windows: one home for the date rules every analysis shares."""

from __future__ import annotations

import numpy as np
import pandas as pd

from katye.errors import InputError, UsageError


def as_day(value, *, what: str) -> pd.Timestamp:
    """``value`` as a day (midnight, no time zone), or a :class:`UsageError` naming ``what``."""
    try:
        day = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{what}: {value!r} is not a date; use YYYY-MM-DD.") from exc
    if pd.isna(day):
        raise UsageError(f"{what}: {value!r} is not a date; use YYYY-MM-DD.")
    # The local day that was written: an offset says where, not which day.
    return (day.tz_localize(None) if day.tzinfo is not None else day).normalize()


def window_end(data: pd.DataFrame, as_of) -> pd.Timestamp:
    """``as_of`` as a day, or the latest incident's day when it is not given."""
    if as_of is not None:
        return as_day(as_of, what="as_of")
    latest = data["event_date"].max() if len(data) else pd.NaT
    if pd.isna(latest):
        raise InputError(
            "there are no incidents with a date to score (every row was rejected, or the table is "
            "empty). Check the file with katye validate, or pass as_of= (CLI --as-of) for an empty "
            "window."
        )
    return pd.Timestamp(latest).normalize()


def require_columns(frame: pd.DataFrame, columns, *, what: str = "the incidents") -> None:
    """Raise a clear error when a hand-built table lacks a column or has dates that are not dates."""
    if not isinstance(frame, pd.DataFrame):
        raise UsageError(
            f"{what}: expected a GeoDataFrame, got {type(frame).__name__}. Past one machine, katye.assign, "
            "katye.summarize and katye.partitioned.zone_counts take dask data; for the rest, compute the part "
            "you need first (e.g. frame[frame.commune_pcode == 'HT0111'].compute())."
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what}: no {', '.join(missing)} column. Read incident files with katye.read_incidents(), "
            "which makes every canonical column."
        )
    if "event_date" in columns and not pd.api.types.is_datetime64_any_dtype(frame["event_date"]):
        raise InputError(
            f"{what}: event_date holds {frame['event_date'].dtype}, not dates. Convert it with "
            "pandas.to_datetime(), or read the file with katye.read_incidents()."
        )


#: ACLED's weeks run Saturday to Friday; its aggregated data names each week by its Saturday
#: (https://acleddata.com/use-access/how-use-acleds-aggregated-data, "week" variable). In pandas
#: that is a weekly period anchored on Friday, the day a week ends.
ACLED_WEEK = "W-FRI"

#: The periods a map can be split into, and the pandas frequency of each.
PERIODS = {"month": "M", "week": ACLED_WEEK}


#: A Saturday: ACLED weeks start on the days a whole number of weeks from it.
_SATURDAY = np.datetime64("1970-01-03", "D")


def _period_starts(dates: pd.Series, kind: str) -> np.ndarray:
    """Each date's period as the numpy date of its start: a month (``datetime64[M]``) or a Saturday."""
    days = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    if kind == "month":
        return days.astype("datetime64[M]")
    return days - (days - _SATURDAY).astype(np.int64) % 7


def period_index(dates: pd.Series, kind: str, keys: list[str]) -> np.ndarray:
    """Each date's position in ``keys`` (sorted, as :func:`periods_between` writes them), or -1.

    A month's key is ``YYYY-MM``; an ACLED week's is its Saturday, ``YYYY-MM-DD``.
    """
    starts = _period_starts(dates, kind)
    if not keys or not len(starts):
        return np.full(len(starts), -1, dtype=np.int64)
    table = np.array(keys, dtype=starts.dtype)
    at = np.searchsorted(table, starts).clip(0, len(table) - 1)
    return np.where((table[at] == starts) & ~dates.isna().to_numpy(), at, -1).astype(np.int64)


def periods_between(start: pd.Timestamp, end: pd.Timestamp, kind: str) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """Every month or ACLED week from ``start`` to ``end``: its key and its first and last day inside the range."""
    out = []
    for period in pd.period_range(start, end, freq=PERIODS[kind]):
        first = max(period.start_time.normalize(), start)
        last = min(period.end_time.normalize(), end)
        key = str(period) if kind == "month" else period.start_time.strftime("%Y-%m-%d")
        out.append((key, first, last))
    return out
