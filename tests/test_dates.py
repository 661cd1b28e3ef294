"""Months and ACLED weeks: the periods a map is split into."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from katye.dates import period_index, periods_between

days = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2025, 12, 31))


def test_acled_weeks_run_saturday_to_friday():
    weeks = periods_between(pd.Timestamp("2024-10-31"), pd.Timestamp("2024-11-09"), "week")
    # Thursday 31 October is in the week of Saturday 26 October; Saturday 9 November starts a week.
    assert [key for key, *_ in weeks] == ["2024-10-26", "2024-11-02", "2024-11-09"]
    assert weeks[0][1:] == (pd.Timestamp("2024-10-31"), pd.Timestamp("2024-11-01"))  # cut to the range
    assert all(pd.Timestamp(key).day_name() == "Saturday" for key, *_ in weeks)


@settings(deadline=None)
@given(st.lists(days, min_size=1, max_size=40), st.sampled_from(["month", "week"]))
def test_every_day_falls_in_exactly_its_period(values, kind):
    dates = pd.Series(pd.to_datetime(values))
    periods = periods_between(dates.min(), dates.max(), kind)
    found = period_index(dates, kind, [key for key, *_ in periods])
    assert (found >= 0).all()
    for day, i in zip(dates, found, strict=True):
        _, first, last = periods[i]
        assert first <= day <= last
        # pandas' own weekly periods ending on Friday agree (ACLED: Saturday to Friday).
        if kind == "week":
            assert day.to_period("W-FRI").start_time == pd.Timestamp(periods[i][0])


def test_a_missing_date_or_one_outside_the_keys_has_no_period():
    dates = pd.Series(pd.to_datetime(["2024-11-05", None, "2025-01-03"]))
    assert period_index(dates, "month", ["2024-11"]).tolist() == [0, -1, -1]
