"""Past one machine: assign, summarize and zone counts on dask partitions equal the in-memory results.

Everything runs on one 2-worker ``dask.distributed.LocalCluster`` in worker processes (as on a real
cluster: katye's functions and the data travel pickled), started once for the module.
"""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import katye
from conftest import require_or_skip
from katye import partitioned
from katye.errors import CRSError, InputError, UsageError

try:
    import dask.dataframe as dd
    import dask_geopandas
    from dask.distributed import Client, LocalCluster
except ImportError:  # pragma: no cover - CI installs them with the test extra
    require_or_skip(False, "dask, distributed and dask-geopandas are not installed (pip install '.[test]')")

pytestmark = pytest.mark.timeout(120)

ADDED = ["zone_id", "zone_name", "section_pcode", "commune_pcode", "assignment", "location_precision"]


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def incidents() -> gpd.GeoDataFrame:
    frame, _, _ = katye.read_incidents(katye.samples.path())
    return frame


@pytest.fixture(scope="module")
def dataset(incidents, tmp_path_factory):
    return partitioned.write_parquet(incidents, tmp_path_factory.mktemp("data") / "incidents", rows_per_file=700)


def _with_empty_partition(frame: gpd.GeoDataFrame):
    parts = [frame.iloc[:1000], frame.iloc[:0], frame.iloc[1000:]]
    return dd.concat([dask_geopandas.from_geopandas(p, npartitions=1) for p in parts])


def assert_same_assignment(ours: gpd.GeoDataFrame, expected: gpd.GeoDataFrame) -> None:
    """Row for row: every column equal, distances to 1 m (dask may hold text as its own string type)."""
    ours = ours.reset_index(drop=True)
    expected = expected.reset_index(drop=True)
    assert list(ours.columns) == list(expected.columns)
    for column in ADDED:
        pd.testing.assert_series_equal(ours[column], expected[column])
    np.testing.assert_allclose(ours["distance_m"], expected["distance_m"], rtol=0, atol=1.0)
    assert ours.geometry.geom_equals_exact(expected.geometry, tolerance=0).all()
    for column in expected.columns.difference([*ADDED, "distance_m", "geometry"]):
        pd.testing.assert_series_equal(
            ours[column], expected[column], check_dtype=False, check_categorical=False, obj=column
        )


def test_assign_on_dask_equals_assign_in_memory(client, incidents):
    lazy = katye.assign(dask_geopandas.from_geopandas(incidents, npartitions=3))
    assert isinstance(lazy, dask_geopandas.GeoDataFrame)
    result = lazy.compute()
    expected = katye.assign(incidents)
    assert_same_assignment(result, expected)
    # The declared types are the computed ones: dask can plan on them.
    assert (lazy.dtypes == result.dtypes).all()


@pytest.mark.parametrize(
    "options",
    [{}, {"by": ("week",), "start": "2024-03-01", "end": "2024-10-31"}, {"by": ()}, {"by": ("year", "actor1")}],
)
def test_summarize_on_dask_equals_summarize_in_memory(client, incidents, options):
    result = katye.summarize(dask_geopandas.from_geopandas(incidents, npartitions=4), **options)
    expected = katye.summarize(incidents, **options)
    assert len(expected) > 10
    pd.testing.assert_frame_equal(result, expected)


def test_a_geoparquet_dataset_path_works_for_assign_summarize_and_counts(client, incidents, dataset):
    assert len(list(dataset.iterdir())) == 5
    assert partitioned.read_parquet(dataset).npartitions == 5
    assert_same_assignment(katye.assign(dataset).compute(), katye.assign(incidents))
    pd.testing.assert_frame_equal(katye.summarize(str(dataset)), katye.summarize(incidents))
    counts = partitioned.zone_counts(dataset)
    assigned = katye.assign(incidents)
    exact = assigned[assigned["assignment"] == "exact"]
    expected = exact["zone_id"].astype(str).value_counts()
    assert counts.set_index("zone_id")["events"][lambda e: e > 0].sort_index().to_dict() == expected.to_dict()
    assert list(counts["zone_id"]) == sorted(katye.geodata.zones()["zone_id"])
    assert counts.attrs["katye_rows"] == {
        "in_zones": len(exact),
        "outside": int((assigned["assignment"] == "outside").sum()),
        "coarse": int((assigned["assignment"] == "coarse").sum()),
    }
    # The zone rows of summarize count the same events.
    summary = katye.summarize(incidents, by=())
    zone_rows = summary[summary["zone_id"] != ""].set_index("zone_id")["events"]
    assert zone_rows.to_dict() == counts.set_index("zone_id")["events"][zone_rows.index].to_dict()


def test_zone_counts_agree_on_every_kind_of_input(client, incidents, dataset):
    expected = partitioned.zone_counts(incidents)
    for data in (dataset, dask_geopandas.from_geopandas(incidents, npartitions=3), _with_empty_partition(incidents)):
        counts = partitioned.zone_counts(data)
        pd.testing.assert_frame_equal(counts, expected)
        assert counts.attrs == expected.attrs


def test_an_empty_partition_works(client, incidents):
    data = _with_empty_partition(incidents)
    assert data.npartitions == 3
    assert_same_assignment(katye.assign(data).compute(), katye.assign(incidents))
    pd.testing.assert_frame_equal(katye.summarize(data), katye.summarize(incidents))


def test_everything_empty_gives_the_empty_summary(client, incidents):
    data = dask_geopandas.from_geopandas(incidents.iloc[:0], npartitions=1)
    pd.testing.assert_frame_equal(katye.summarize(data), katye.summarize(incidents.iloc[:0]))
    assert partitioned.zone_counts(data)["events"].sum() == 0


def test_missing_crs_raises_crs_error(client, incidents, tmp_path):
    no_crs = incidents.set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="no coordinate reference system"):
        katye.assign(dask_geopandas.from_geopandas(no_crs, npartitions=2))
    with pytest.raises(CRSError):
        katye.summarize(dask_geopandas.from_geopandas(no_crs, npartitions=2))
    no_crs.to_parquet(tmp_path / "part.0.parquet")
    with pytest.raises(CRSError):
        partitioned.zone_counts(tmp_path)


def test_wrong_input_gives_a_clear_usage_error(client, incidents, tmp_path):
    with pytest.raises(UsageError, match=r"expected a GeoDataFrame .* got DataFrame"):
        katye.assign(pd.DataFrame(incidents.drop(columns="geometry")))
    with pytest.raises(UsageError, match="got list"):
        katye.summarize([1, 2, 3])
    plain = dd.from_pandas(pd.DataFrame(incidents.drop(columns="geometry")), npartitions=2)
    with pytest.raises(UsageError, match=r"without geometry.*dask_geopandas"):
        katye.assign(plain)
    with pytest.raises(UsageError, match="not GeoParquet"):
        katye.assign(katye.samples.path())
    with pytest.raises(InputError, match="no such file or folder"):
        katye.summarize(tmp_path / "nowhere")
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "plain.parquet")
    with pytest.raises(InputError, match="could not be read as GeoParquet"):
        partitioned.read_parquet(tmp_path / "plain.parquet")
    with pytest.raises(UsageError, match="default_precision='exact'"):
        partitioned.zone_counts(incidents[["geometry"]])
    with pytest.raises(UsageError, match="by: 'nonsense'"):
        katye.summarize(dask_geopandas.from_geopandas(incidents, npartitions=2), by=("nonsense",))
    with pytest.raises(UsageError, match="not an empty folder"):
        partitioned.write_parquet(incidents, tmp_path)
    with pytest.raises(UsageError, match=r"compute the part you need first"):
        katye.risk(dask_geopandas.from_geopandas(incidents, npartitions=2))


def test_own_zones_and_a_metric_crs(client, incidents, tmp_path):
    # Three squares in metres; the points stored in EPSG:32618 and counted as exact.
    squares = gpd.GeoDataFrame(
        {"zone_id": ["b", "a", "c"], "name": ["B", "A", "C"]},
        geometry=[shapely.box(775_000 + i * 4000, 2_045_000, 779_000 + i * 4000, 2_055_000) for i in range(3)],
        crs="EPSG:32618",
    )
    points = incidents[["geometry"]].to_crs("EPSG:32618")
    partitioned.write_parquet(points, tmp_path / "metric", rows_per_file=1000)
    counts = partitioned.zone_counts(tmp_path / "metric", squares, default_precision="exact")
    exact = katye.assign(points.assign(location_precision="exact"), squares)
    expected = exact[exact["assignment"] == "exact"]["zone_id"].astype(str).value_counts()
    assert counts["zone_id"].tolist() == ["a", "b", "c"]
    assert counts.set_index("zone_id")["events"].to_dict() == {z: int(expected.get(z, 0)) for z in "abc"}
    assert counts["events"].sum() > 100
    lazy = katye.assign(
        dask_geopandas.from_geopandas(points.assign(location_precision="exact"), npartitions=2), squares
    )
    assert_same_assignment(lazy.compute(), exact)
    in_metres = incidents.to_crs("EPSG:32618")
    pd.testing.assert_frame_equal(
        katye.summarize(dask_geopandas.from_geopandas(in_metres, npartitions=3), squares, by=("month",)),
        katye.summarize(in_metres, squares, by=("month",)),
    )


def test_geoarrow_encoded_points_count_the_same(client, incidents, tmp_path):
    incidents.iloc[:1500].to_parquet(tmp_path / "part.0.parquet", geometry_encoding="geoarrow")
    incidents.iloc[1500:].to_parquet(tmp_path / "part.1.parquet", geometry_encoding="geoarrow")
    counts = partitioned.zone_counts(tmp_path)
    pd.testing.assert_frame_equal(counts, partitioned.zone_counts(incidents))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.just("empty"),
            st.tuples(st.floats(-180, 180, allow_nan=False), st.floats(-90, 90, allow_nan=False)),
        ),
        max_size=30,
    ),
    st.booleans(),
)
def test_point_coordinates_are_read_from_wkb_as_shapely_reads_them(values, big_endian):
    import pyarrow as pa

    geometries = np.array(
        [None if v is None else shapely.Point() if v == "empty" else shapely.Point(*v) for v in values], dtype=object
    )
    wkb = shapely.to_wkb(geometries, byte_order=0 if big_endian else 1, flavor="iso")
    x, y = partitioned.point_xy(pa.chunked_array([pa.array(list(wkb), type=pa.binary())]))
    expected_x = np.array([np.nan if v in (None, "empty") else v[0] for v in values], dtype=float)
    expected_y = np.array([np.nan if v in (None, "empty") else v[1] for v in values], dtype=float)
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)


def test_point_coordinates_refuse_lines():
    import pyarrow as pa

    wkb = shapely.to_wkb(np.array([shapely.Point(1, 2), shapely.LineString([(0, 0), (1, 1)])], dtype=object))
    with pytest.raises(InputError, match="must be points"):
        partitioned.point_xy(pa.array(list(wkb), type=pa.binary()))


def test_write_parquet_names_its_parts_and_reads_back(incidents, tmp_path):
    folder = partitioned.write_parquet(incidents, tmp_path / "out", rows_per_file=1000)
    assert sorted(os.listdir(folder)) == ["part.00000.parquet", "part.00001.parquet", "part.00002.parquet"]
    back = partitioned.read_parquet(folder, columns=["event_id", "location_precision"])
    assert back.crs == incidents.crs
    assert list(back.columns) == ["event_id", "location_precision", "geometry"]
    with pytest.raises(UsageError, match="rows_per_file"):
        partitioned.write_parquet(incidents, tmp_path / "other", rows_per_file=0)
