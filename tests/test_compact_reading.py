"""Reading in bounded memory: compact columns, batch by batch, with the same results as reading whole."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import katye
from katye.incidents import columns as compact
from katye.incidents import parse, readers
from katye.incidents import read as reading
from katye.samples import hostile_csv

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def fed(batches: list[list[str]], *, reserve: int = 0) -> pd.Series:
    column = compact.TextColumn()
    column.reserve(reserve)
    for batch in batches:
        column.add(pa.array(batch, type=pa.string()))
    return column.finish()


@settings(max_examples=150, deadline=None)
@given(
    pool=st.lists(TEXT, min_size=1, max_size=300, unique=True),
    picks=st.lists(st.integers(0, 10_000), max_size=400),
    cuts=st.lists(st.integers(0, 400), max_size=6),
    reserve=st.integers(0, 50),
)
def test_a_column_fed_in_batches_holds_exactly_the_values_given(pool, picks, cuts, reserve):
    values = [pool[i % len(pool)] for i in picks]
    edges = sorted({0, len(values), *(c for c in cuts if c <= len(values))})
    batches = [values[a:b] for a, b in itertools.pairwise(edges)]
    result = fed(batches, reserve=reserve)
    assert result.astype(object).tolist() == values
    if isinstance(result.dtype, pd.CategoricalDtype):
        categories = list(result.cat.categories)
        assert categories == sorted(categories)  # sorted: sorting rows sorts by text


def test_repeated_values_become_narrow_codes_and_distinct_ones_stay_text():
    repeated = fed([["Battles", "Riots"] * 500, ["Protests"] * 1000])
    assert isinstance(repeated.dtype, pd.CategoricalDtype)
    assert repeated.cat.codes.dtype == np.int8
    distinct = fed([[f"HTI{i}" for i in range(1000)], [f"HTI{i}" for i in range(1000, 2000)]])
    assert distinct.dtype == "str"
    assert distinct.iloc[1500] == "HTI1500"


def test_codes_widen_when_a_later_batch_brings_many_values():
    # The first batch fits int8; the second needs int16; the merged column needs int16 too.
    first = ["a", "b"] * 100
    second = [f"v{i % 300:03d}" for i in range(3000)]
    result = fed([first, second], reserve=10)
    assert result.astype(object).tolist() == first + second
    assert result.cat.codes.dtype == np.int16


def test_a_column_that_turns_distinct_keeps_its_earlier_batches():
    early = ["same"] * 200
    late = [f"id-{i}" for i in range(200)]
    result = fed([early, late])
    assert result.astype(object).tolist() == early + late


def test_equal_strings_hash_equal_and_near_misses_do_not():
    values = ["", "a", "abcdefgh", "abcdefghi", "abcdefgh", "x" * 40, "x" * 39 + "y", "é", "e"]
    hashed = compact.hash64(pa.array(values))
    assert hashed[2] == hashed[4]
    assert len(set(hashed.tolist())) == len(set(values))
    chunked = pa.chunked_array([pa.array(values[:3]), pa.array(values[3:])])
    assert compact.hash64(chunked).tolist() == hashed.tolist()
    assert compact.hash64(pa.array(values).slice(2)).tolist() == hashed[2:].tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT, max_size=60))
def test_hashes_repeat_exactly_where_strings_repeat(values):
    hashed = pd.Series(compact.hash64(pa.array(values, type=pa.string())))
    assert hashed.duplicated().tolist() == pd.Series(values, dtype=object).duplicated().tolist()


def test_duplicate_ids_are_decided_on_the_text_even_when_every_hash_collides(tmp_path, monkeypatch):
    # A hash that says everything is equal: only the exact comparison can keep distinct ids apart.
    monkeypatch.setattr(reading, "hash64", lambda values: np.zeros(len(values), dtype=np.uint64))
    path = tmp_path / "ids.csv"
    path.write_text(
        "event_id_cnty,event_date,event_type,latitude,longitude,fatalities\n"
        "A1,2024-10-01,Battles,18.54,-72.33,1\n"
        "A2,2024-10-01,Battles,18.54,-72.33,1\n"
        "A1,2024-10-02,Battles,18.54,-72.33,1\n"
        "A3,2024-10-02,Battles,18.54,-72.33,1\n",
        encoding="utf-8",
    )
    incidents, rejected, report = katye.read_incidents(path)
    assert incidents["event_id"].tolist() == ["A1", "A2", "A3"]
    assert rejected["line"].tolist() == [4]
    assert rejected["detail"].tolist() == ["event id A1 first seen at line 2"]
    assert report.balanced


def test_events_on_one_coordinate_share_one_point_object():
    lon = np.array([-72.33, -72.30, -72.33, -72.33, 0.5])
    lat = np.array([18.54, 18.54, 18.54, 18.50, 18.54])
    points = reading.shared_points(lon, lat)
    assert shapely.equals(points, shapely.points(lon, lat)).all()
    assert points[0] is points[2]
    assert len({id(p) for p in points}) == 4


POOL = [
    "18.54",
    " -72.33 ",
    "18,54",
    "",
    "  ",
    "abc",
    "inf",
    "2024-10-24",
    "24/10/2024",
    "10/24/2024",
    "October 2024",
    "2024",
    "2024-10-24T10:00:00+02:00",
    "24 October 2024",
    "1",
    "3",
    "7",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(POOL), max_size=40))
def test_parsing_a_compact_column_gives_what_parsing_every_row_gives(values):
    plain = pd.Series(values, dtype="str")
    coded = pd.Series(pd.Categorical(values))
    np.testing.assert_array_equal(parse.numbers(coded), parse.numbers(plain))
    np.testing.assert_array_equal(parse.blank(coded), parse.blank(plain))
    assert parse.dates(coded).tolist() == parse.dates(plain).tolist()
    for got, want in zip(parse.partial(coded), parse.partial(plain), strict=True):
        np.testing.assert_array_equal(got, want)
    codes_c, bad_c = parse.codes(coded)
    codes_p, bad_p = parse.codes(plain)
    np.testing.assert_array_equal(codes_c, codes_p)
    np.testing.assert_array_equal(bad_c, bad_p)
    assert parse.text(coded, len(values)).astype(object).tolist() == parse.text(plain, len(values)).tolist()


def _read(path):
    try:
        result = katye.read_incidents(path)
    except katye.KatyeError as exc:
        return ("error", str(exc))
    incidents, rejected, report = result
    return (
        incidents.drop(columns="geometry").astype(str).to_dict("list"),
        rejected.astype(str).to_dict("list"),
        report.to_dict(),
    )


@pytest.mark.parametrize("seed", range(40))
def test_small_batches_read_every_hostile_file_as_one_batch_does(tmp_path, monkeypatch, seed):
    # Rows that cross batch edges (with line breaks in values, blank lines, ragged rows) must keep
    # their line numbers and values whatever the batch size.
    path = tmp_path / "hostile.csv"
    path.write_bytes(hostile_csv(seed, rows=60))
    whole = _read(path)
    monkeypatch.setattr(readers, "BLOCK", 700)
    assert _read(path) == whole


def test_a_long_file_read_in_many_batches_keeps_its_line_numbers(tmp_path, monkeypatch):
    rows = [
        f'E{i},2024-10-{1 + i % 28:02d},Battles,18.54,-72.33,{i % 3},"Bel Air{chr(10) if i % 7 == 0 else ""}",n'
        for i in range(400)
    ]
    path = tmp_path / "long.csv"
    path.write_text(
        "event_id_cnty,event_date,event_type,latitude,longitude,fatalities,location,notes\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(readers, "BLOCK", 1024)
    incidents, _, report = katye.read_incidents(path)
    expected, line = [], 2
    for i in range(400):
        expected.append(line)
        line += 2 if i % 7 == 0 else 1
    assert incidents["line"].tolist() == expected
    assert report.accepted + report.outside == 400


def test_text_columns_come_back_compact(tmp_path):
    incidents = katye.read_incidents(katye.samples.path()).incidents
    assert isinstance(incidents["event_type"].dtype, pd.CategoricalDtype)
    assert isinstance(incidents["actor1_kind"].dtype, pd.CategoricalDtype)
    assert isinstance(incidents["location_precision"].dtype, pd.CategoricalDtype)
    assert incidents["event_id"].is_unique


def test_a_line_too_long_to_hold_is_refused_with_its_number(tmp_path):
    path = tmp_path / "long_line.csv"
    with path.open("wb") as handle:
        handle.write(b"event_id_cnty,event_date,latitude,longitude\nA1,2024-10-01,18.5,-72.3\n")
        handle.write(b"A2,2024-10-01,18.5,-72.3" + b",x" * (readers.MAX_LINE // 2 + 10) + b"\n")
    with pytest.raises(katye.InputError, match=r"line 3 is longer than 8 MiB"):
        katye.read_incidents(path)


def test_keep_carries_only_the_columns_asked_for_and_katyes_own(tmp_path):
    full = katye.read_incidents(katye.samples.path())
    slim = katye.read_incidents(katye.samples.path(), keep=["ADMIN1"])
    extras = set(full.incidents.columns) - set(slim.incidents.columns)
    assert {"interaction", "tags", "region"} <= extras
    assert {"admin1", "synthetic", "timestamp", "inter1"} <= set(slim.incidents.columns)
    assert slim.report.to_dict() == full.report.to_dict()
    none = katye.read_incidents(katye.samples.path(), keep=[])
    assert "admin1" not in none.incidents.columns
    assert "synthetic" in none.incidents.columns
    pd.testing.assert_frame_equal(
        none.incidents[list(reading.CANONICAL)], full.incidents[list(reading.CANONICAL)], check_dtype=True
    )


def test_keep_names_a_column_the_file_lacks(tmp_path):
    with pytest.raises(katye.UsageError, match=r"keep names 'admin9', not in the file"):
        katye.read_incidents(katye.samples.path(), keep=["admin9"])
    with pytest.raises(katye.UsageError, match=r"keep='some'"):
        katye.read_incidents(katye.samples.path(), keep="some")


def test_rejected_rows_keep_every_column_whatever_keep_says(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "event_id_cnty,event_date,latitude,longitude,admin1,extra\nA1,2024-10-01,x,-72.3,Ouest,kept\n",
        encoding="utf-8",
    )
    rejected = katye.read_incidents(path, keep=[]).rejected
    assert rejected.loc[0, "extra"] == "kept"
    assert rejected.loc[0, "admin1"] == "Ouest"


HEADER = "event_id_cnty,event_date,event_type,actor1,actor2,latitude,longitude,fatalities,location,notes\n"


def test_unicode_spaces_are_stripped_from_long_distinct_columns_too(tmp_path):
    # 100 distinct ids keep the column as plain text; the padded copies must still be duplicates.
    rows = [f"HTI{i},2024-10-01,Battles,,,18.54,-72.33,0,Bel Air,note {i}" for i in range(100)]
    rows += [
        "\u00a0HTI5,2024-10-02,Battles,,,18.54,-72.33,0,Bel Air,x",
        "HTI7\u3000,2024-10-02,Battles,,,18.54,-72.33,0,Bel Air,y",
        "\x0bHTI9,2024-10-02,Battles,,,18.54,-72.33,0,Bel Air,z",
    ]
    path = tmp_path / "spaces.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    incidents, rejected, _ = katye.read_incidents(path)
    assert rejected["reason"].tolist() == ["duplicate event id"] * 3
    assert incidents["event_id"].dtype == "str"
    assert incidents["notes"].dtype == "str"


def test_counts_hold_no_value_that_no_accepted_row_has(tmp_path):
    path = tmp_path / "hxl.csv"
    path.write_text(
        HEADER + "#event+id,#date,#event+type,#actor,#actor,#geo+lat,#geo+lon,#affected+killed,#loc,#notes\n"
        "A1,2024-10-01,Battles,G9,,18.54,-72.33,1,Delmas,\n"
        "A2,2024-10-01,Riots,G9,,x,-72.33,1,Cite Soleil,\n",
        encoding="utf-8",
    )
    incidents = katye.read_incidents(path).incidents
    for column in ("event_type", "location", "location_precision", "precision_basis", "notes"):
        counts = incidents[column].value_counts()
        assert (counts > 0).all(), (column, counts.to_dict())
    # Actor columns share one set of categories (so that they compare): only their own values.
    family = ["actor1", "actor2", "actor1_original", "actor2_original"]
    held = set().union(*(set(incidents[c]) for c in family))
    assert set(incidents["actor1"].cat.categories) == held


def test_related_columns_compare_and_plain_text_takes_any_pandas_code():
    incidents = katye.read_incidents(katye.samples.path()).incidents
    assert (incidents["actor1"] == incidents["actor2"]).dtype == bool
    assert ((incidents["event_type"] == incidents["event_type_original"]).sum()) > 0
    plain = katye.plain_text(incidents)
    plain.loc[plain.index[0], "actor1"] = "A new name"
    assert (plain["actor1"] + " / " + plain["actor2"]).iloc[0].startswith("A new name / ")
    assert plain["event_type"].max() == "Violence against civilians"
    assert isinstance(incidents["actor1"].dtype, pd.CategoricalDtype)  # the caller's frame is unchanged
    assert plain.geometry.crs == incidents.geometry.crs
    assert len(plain) == len(incidents)


def test_spellings_of_one_commune_are_reported_under_the_first_seen(tmp_path):
    path = tmp_path / "communes.csv"
    rows = [
        f"A{i},2024-10-01,Battles,,,18.51,-72.28,0,{name},"
        for i, name in enumerate(["Petionville", "Petion-Ville", "Petionville", "Petion-Ville"])
    ]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    report = katye.read_incidents(path).report
    assert list(report.admin_locations) == ["Petionville"]


def test_keep_none_means_all_and_a_bad_name_lists_every_column(tmp_path):
    assert "tags" in katye.read_incidents(katye.samples.path(), keep=None).incidents.columns
    with pytest.raises(katye.UsageError) as caught:
        katye.read_incidents(katye.samples.path(), keep=["nope"])
    assert "synthetic" in str(caught.value)
    assert "…" not in str(caught.value)


def test_keep_takes_none_as_a_word_and_refuses_what_is_not_a_list():
    assert "tags" not in katye.read_incidents(katye.samples.path(), keep="NONE").incidents.columns
    with pytest.raises(katye.UsageError, match=r"keep=5"):
        katye.read_incidents(katye.samples.path(), keep=5)
