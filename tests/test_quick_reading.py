"""The one-pass reader of common files gives exactly what the careful reader gives, or declines."""

from __future__ import annotations

import itertools

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import katye
from katye.incidents import quick, readers
from katye.incidents.columns import TextColumn
from katye.samples import hostile_csv

HEADER = "event_id_cnty,event_date,event_type,latitude,longitude,fatalities,location,notes\n"
ROW = 'E{i},2024-10-{day:02d},Battles,18.54,-72.33,{i},Bel Air,"note {i}"\n'


def _rows(count: int, start: int = 0) -> str:
    return "".join(ROW.format(i=i, day=1 + i % 28) for i in range(start, start + count))


def _read(path):
    try:
        incidents, rejected, report = katye.read_incidents(path)
    except katye.KatyeError as exc:
        return ("error", str(exc))
    return (
        incidents.drop(columns="geometry").astype(str).to_dict("list"),
        rejected.astype(str).to_dict("list"),
        report.to_dict(),
    )


@pytest.fixture
def split(monkeypatch):
    """Small batches and a file cut in three parts, so that parts and batches have edges to get wrong."""
    monkeypatch.setattr(readers, "BLOCK", 700)
    monkeypatch.setattr(quick, "SPLIT_BLOCKS", 2)
    monkeypatch.setattr(quick, "_processors", lambda: 3)
    answered = []
    original = quick.read_quick
    monkeypatch.setattr(readers, "read_quick", lambda *a, **k: answered.append(original(*a, **k)) or answered[-1])
    return answered


def _careful(path, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(readers, "read_quick", lambda *a, **k: None)
        return _read(path)


@pytest.mark.parametrize("seed", range(60))
def test_every_hostile_file_reads_as_the_careful_reader_reads_it(tmp_path, monkeypatch, split, seed):
    path = tmp_path / "hostile.csv"
    path.write_bytes(hostile_csv(seed, rows=80))
    assert _read(path) == _careful(path, monkeypatch)


def test_a_clean_export_is_read_in_one_pass_in_parts_with_its_line_numbers(tmp_path, monkeypatch, split):
    path = tmp_path / "clean.csv"
    path.write_text(HEADER + _rows(200), encoding="utf-8")
    result = _read(path)
    assert split
    assert split[-1] is not None  # the quick reader answered
    assert result == _careful(path, monkeypatch)
    assert result[0]["line"] == [str(line) for line in range(2, 202)]


#: Rows enough to pass the first 64 KiB, from which the encoding is guessed and NUL bytes refused.
LEAD = 2_000


@pytest.mark.parametrize(
    "awkward",
    [
        pytest.param("\n", id="blank line"),
        pytest.param(",,,,,,,\n", id="a row of empty fields"),
        pytest.param('E-1,2024-10-01,Battles,18.54,-72.33,0,Bel Air,"two\nlines"\n', id="line break in a value"),
        pytest.param('E-1,2024-10-01,Battles,18.54,-72.33,0,Bel Air,"nul\x00"\n', id="NUL byte in a value"),
        pytest.param("E-1,2024-10-01,Battles\n", id="a short row"),
        pytest.param('E-1,2024-10-01,Battles,18.54,-72.33,0,Bel Air,"\udcff"\n', id="not UTF-8"),
    ],
)
@pytest.mark.parametrize("at_end", [False, True], ids=["inside", "at the end"])
def test_a_file_whose_lines_are_not_its_rows_is_left_to_the_careful_reader(
    tmp_path, monkeypatch, split, awkward, at_end
):
    path = tmp_path / "awkward.csv"
    body = _rows(LEAD) + awkward + ("" if at_end else _rows(50, LEAD))
    path.write_bytes((HEADER + body).encode("utf-8", "surrogateescape"))
    result = _read(path)
    assert split  # the quick reader was asked
    assert all(answer is None for answer in split)
    assert result == _careful(path, monkeypatch)


@pytest.mark.parametrize("cut", range(0, 400, 7))
def test_a_part_edge_inside_a_quoted_line_break_is_caught(tmp_path, monkeypatch, split, cut):
    # Values that span lines, placed so that some part edge falls inside one of them.
    rows = [ROW.format(i=i, day=1) for i in range(40)]
    rows.insert(20, 'E99,2024-10-01,Battles,18.54,-72.33,0,Bel Air,"' + "x" * cut + "\n" + "y" * 50 + '"\n')
    path = tmp_path / "spans.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    assert _read(path) == _careful(path, monkeypatch)
    assert split[-1] is None


def _column(batches: list[list[str]], *, encoded: bool) -> TextColumn:
    column = TextColumn()
    for batch in batches:
        values = pa.array(batch, type=pa.string())
        column.add(values.dictionary_encode() if encoded else values)
    return column


@settings(max_examples=100, deadline=None)
@given(
    pool=st.lists(st.text(max_size=6), min_size=1, max_size=200, unique=True),
    picks=st.lists(st.integers(0, 10_000), max_size=300),
    cuts=st.lists(st.integers(0, 300), max_size=5),
    split=st.integers(0, 6),
    encoded=st.booleans(),
)
def test_columns_read_in_parts_and_joined_hold_the_values_in_order(pool, picks, cuts, split, encoded):
    values = [pool[i % len(pool)] for i in picks]
    edges = sorted({0, len(values), *(c for c in cuts if c <= len(values))})
    batches = [values[a:b] for a, b in itertools.pairwise(edges)]
    first = _column(batches[:split], encoded=encoded)
    first.extend(_column(batches[split:], encoded=encoded))
    assert first.finish().astype(object).tolist() == values
