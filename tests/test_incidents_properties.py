"""Property: whatever a file holds, every row ends in exactly one bucket, with a line number."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import katye

TEXT = st.text(alphabet=st.sampled_from(list("abcé èô\"',;\n\tX-#=1")), max_size=12)
LAT = st.one_of(
    st.sampled_from(["18.55", "-72.3", "0", "95", "", "north", "18,54", " 18.51 "]),
    st.floats(-100, 100, allow_nan=False).map(lambda v: f"{v:.4f}"),
)
LON = st.one_of(
    st.sampled_from(["-72.33", "18.5", "0", "-190", "", "west"]),
    st.floats(-200, 200, allow_nan=False).map(lambda v: f"{v:.4f}"),
)
DATE = st.sampled_from(["2024-10-24", "24 October 2024", "24-October-2024", "10/24/2024", "", "soon", "2024-13-45"])
FATALITIES = st.sampled_from(["0", "3", "-1", "", "two", "1.5", "12"])
ROW = st.fixed_dictionaries(
    {
        "event_id_cnty": st.sampled_from(["A", "B", "C", "D", ""]),
        "event_date": DATE,
        "event_type": TEXT,
        "latitude": LAT,
        "longitude": LON,
        "fatalities": FATALITIES,
        "geo_precision": st.sampled_from(["1", "2", "3", "", "9"]),
        "notes": TEXT,
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(ROW, max_size=25),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    ragged=st.lists(st.integers(0, 25), max_size=3),
)
def test_accounting_adds_up_for_any_file(rows, delimiter, encoding, ragged):
    header = [
        "event_id_cnty",
        "event_date",
        "event_type",
        "latitude",
        "longitude",
        "fatalities",
        "geo_precision",
        "notes",
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    records = [[row[c] for c in header] for row in rows]
    for position in sorted(ragged, reverse=True):
        records.insert(min(position, len(records)), ["Z", "2024-01-01"])  # too few fields
    writer.writerows(records)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(buffer.getvalue().encode(encoding))
        incidents, rejected, report = katye.read_incidents(path)
    data_rows = len(records)
    assert report.input_rows == data_rows
    assert report.accepted + report.outside + report.rejected == data_rows
    assert len(incidents) + len(rejected) == data_rows
    assert rejected["reason"].str.len().gt(0).all()
    lines = list(incidents["line"]) + list(rejected["line"])
    assert len(set(lines)) == data_rows
    physical = buffer.getvalue().count("\n")
    assert all(2 <= line <= physical for line in lines)
    assert (incidents["fatalities"] >= 0).all()
    assert incidents["event_id"].is_unique
    assert incidents["latitude"].between(-90, 90).all()
    assert incidents["longitude"].between(-180, 180).all()
