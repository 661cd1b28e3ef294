"""Past one machine: :func:`katye.assign`, :func:`katye.summarize` and zone counts over dask partitions.

A feed that outgrows memory (ACLED worldwide, GDELT-style feeds) is kept as a partitioned GeoParquet
dataset and read lazily by dask-geopandas. katye then runs its in-memory functions partition by
partition, on whatever dask scheduler is active: a laptop's ``LocalCluster`` or a real cluster
(start a ``dask.distributed.Client`` first; without one dask's local threads run the work). The
results equal the in-memory ones row for row: :func:`assign` maps :func:`katye.join.assign` over
the partitions, :func:`summarize` adds up each partition's counts and works out the shares and rates
from the totals, and :func:`zone_counts` counts exactly located incidents per zone with the same
grid lookup as ``assign``, reading nothing but coordinates (and precision) from the files.

dask, distributed and dask-geopandas are optional (``pip install katye[dask]``) and imported here,
inside the functions, so that ``import katye`` and ``katye --help`` never load them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from katye import geodata, join
from katye.crs import STORAGE_CRS, require_crs
from katye.errors import InputError, UsageError
from katye.incidents.precision import LEVELS as PRECISIONS
from katye.index import PolygonIndex
from katye.places import Places, coordinates, places_xy

if TYPE_CHECKING:
    import dask.dataframe
    import dask_geopandas

#: Columns that say how precisely an incident is located (see :func:`katye.assign`).
PRECISION_COLUMNS = ("location_precision", "geo_precision")
#: What :func:`summarize` reads besides the geometry, when the data has it (the rest stays on disk).
SUMMARY_COLUMNS = (
    "event_date",
    "fatalities",
    "event_type",
    "civilian_targeting",
    *PRECISION_COLUMNS,
    # An assignment made earlier in the same dask graph is reused when its columns come along.
    "zone_id",
    "zone_name",
    "section_pcode",
    "commune_pcode",
    "assignment",
    "distance_m",
)
#: Rows a file written by :func:`write_parquet` holds at most, by default: one partition each.
ROWS_PER_FILE = 1_000_000
INSTALL = "pip install 'katye[dask]'"


def is_partitioned(data: Any) -> bool:
    """True for a dask collection (told without importing dask: every collection has a task graph)."""
    return not isinstance(data, pd.DataFrame) and callable(getattr(data, "__dask_graph__", None))


def read_parquet(path: str | os.PathLike[str], *, columns: list[str] | None = None) -> dask_geopandas.GeoDataFrame:
    """A partitioned GeoParquet dataset (a folder of files, one file, or a glob), read lazily.

    Parameters
    ----------
    path
        The dataset, e.g. as :func:`write_parquet` writes it; remote URLs (``s3://…``) go to dask as
        they are.
    columns
        Columns to read (the geometry always comes along); default: all.

    Returns
    -------
    dask_geopandas.GeoDataFrame
        One partition per file (or per group of row groups), nothing read until computed.

    Raises
    ------
    InputError
        No such path, or not GeoParquet.
    CRSError
        The dataset records no coordinate reference system.

    """
    dask_geopandas = _dask_geopandas()
    text = os.fspath(path)
    local = "://" not in text
    if local and not any(c in text for c in "*?[") and not Path(text).exists():
        raise InputError(
            f"{text}: no such file or folder. Expected a GeoParquet dataset (a folder of .parquet files); "
            "write one with katye.partitioned.write_parquet(incidents, folder)."
        )
    if local and Path(text).suffix.lower() in (".csv", ".tsv", ".txt", ".gz", ".zip", ".xlsx"):
        raise UsageError(
            f"{text}: a text or spreadsheet file, not GeoParquet. Convert it once: "
            "katye.partitioned.write_parquet(katye.read_incidents(path)[0], folder), then pass the folder."
        )
    try:
        frame = dask_geopandas.read_parquet(text)
        if columns is not None:  # chosen lazily: dask reads only these from the files
            frame = frame[[*(c for c in columns if c != frame.geometry.name), frame.geometry.name]]
    except (ValueError, TypeError, OSError, KeyError) as exc:  # pyarrow's errors derive from these
        raise InputError(
            f"{text}: could not be read as GeoParquet ({type(exc).__name__}: {exc}). Expected a folder of "
            "GeoParquet files, e.g. written by katye.partitioned.write_parquet() or GeoDataFrame.to_parquet()."
        ) from exc
    require_crs(frame, what=f"the dataset {text}")
    return frame


def write_parquet(
    incidents: gpd.GeoDataFrame, folder: str | os.PathLike[str], *, rows_per_file: int = ROWS_PER_FILE
) -> Path:
    """Write incidents as a partitioned GeoParquet dataset: ``folder/part.00000.parquet``, … (WKB points).

    The way from a CSV that fits in memory once (an ACLED export) to a dataset that dask reads a
    partition at a time: ``write_parquet(katye.read_incidents("acled.csv")[0], "acled.parquet")``.

    Parameters
    ----------
    incidents
        A GeoDataFrame with a CRS (kept in the files).
    folder
        A new or empty folder.
    rows_per_file
        Rows per file; each file is a partition when read back.

    Returns
    -------
    pathlib.Path
        The folder.

    """
    if not isinstance(incidents, gpd.GeoDataFrame):
        raise UsageError(
            f"write_parquet: expected a GeoDataFrame, got {type(incidents).__name__}. "
            "Read a file with katye.read_incidents() first."
        )
    require_crs(incidents, what="the incidents")
    if isinstance(rows_per_file, bool) or not isinstance(rows_per_file, (int, np.integer)) or rows_per_file < 1:
        raise UsageError(f"rows_per_file={rows_per_file!r}: a whole number of rows, at least 1.")
    out = Path(folder)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(
            f"{out}: exists and is not an empty folder; a dataset must not mix with other files. "
            "Choose a new folder or remove this one."
        )
    out.mkdir(parents=True, exist_ok=True)
    for number, start in enumerate(range(0, max(len(incidents), 1), rows_per_file)):
        incidents.iloc[start : start + rows_per_file].to_parquet(out / f"part.{number:05d}.parquet")
    return out


def as_dask(data: Any, *, what: str = "the incidents") -> dask_geopandas.GeoDataFrame:
    """``data`` as a dask-geopandas GeoDataFrame: a collection as it is, a path read as GeoParquet.

    Raises
    ------
    UsageError
        ``data`` is neither (the message lists what is accepted).
    CRSError
        It has no CRS.

    """
    if isinstance(data, (str, os.PathLike)):
        return read_parquet(data)
    if is_partitioned(data):
        dask_geopandas = _dask_geopandas()
        if not isinstance(data, dask_geopandas.GeoDataFrame):
            raise UsageError(
                f"{what}: a {type(data).__name__} without geometry. Give katye a dask-geopandas GeoDataFrame: "
                "dask_geopandas.from_dask_dataframe(frame, geometry=…), or katye.partitioned.read_parquet(path)."
            )
        require_crs(data, what=what)
        return data
    raise UsageError(
        f"{what}: expected a GeoDataFrame (one machine), a dask-geopandas GeoDataFrame or the path of a "
        f"GeoParquet dataset (past one machine), got {type(data).__name__}. Read files with "
        "katye.read_incidents() or katye.partitioned.read_parquet()."
    )


def assign(incidents: Any, zones: gpd.GeoDataFrame | None = None) -> dask_geopandas.GeoDataFrame:
    """:func:`katye.assign` on every partition, lazily: compute it, or write it with ``.to_parquet()``.

    Parameters
    ----------
    incidents
        A dask-geopandas GeoDataFrame with a CRS, or the path of a GeoParquet dataset.
    zones
        Area layer with ``zone_id``; default: the shipped zones.

    Returns
    -------
    dask_geopandas.GeoDataFrame
        The columns :func:`katye.assign` adds, partition by partition (the same rows and values).

    """
    frame = as_dask(incidents)
    layer = None if zones is None else geodata.resolve_zones(zones)  # checked once, here
    meta = join.assign(frame._meta, layer)  # also checks the CRS and the precision labels
    return frame.map_partitions(join.assign, _shared(layer), meta=meta)


def summarize(
    incidents: Any, zones: gpd.GeoDataFrame | None = None, *, by=("month", "event_type"), start=None, end=None
) -> pd.DataFrame:
    """:func:`katye.summarize` over every partition: each partition's counts, added up.

    Events, fatalities and civilian targeting are sums; ``events_per_km2`` and
    ``share_of_zone_events`` are worked out again from the summed events, so the table equals the
    in-memory one on the same rows. Only the columns the summary needs are read.

    Parameters
    ----------
    incidents
        A dask-geopandas GeoDataFrame with a CRS, or the path of a GeoParquet dataset.
    zones, by, start, end
        As for :func:`katye.summarize`.

    Returns
    -------
    pandas.DataFrame
        The table :func:`katye.summarize` returns.

    """
    import dask

    from katye import scoring  # the analysis layer: imported on use, as join imports this module

    frame = as_dask(incidents)
    wanted = {*SUMMARY_COLUMNS, *by}
    frame = frame[[c for c in frame.columns if c in wanted or c == frame.geometry.name]]
    layer = None if zones is None else geodata.resolve_zones(zones)
    # The summary of no rows: checks columns, dates and ``by`` here, before any work is sent out.
    template = scoring.summarize(frame._meta, layer, by=by, start=start, end=end)
    parts = frame.map_partitions(scoring.summarize, _shared(layer), by=by, start=start, end=end, meta=template)
    pieces = dask.compute(*parts.to_delayed())
    return combine_summaries(list(pieces), template, zones=layer, by=by)


def combine_summaries(pieces: list[pd.DataFrame], template: pd.DataFrame, *, zones, by) -> pd.DataFrame:
    """One :func:`katye.summarize` table from the tables of parts of the rows (in any order).

    ``template`` is the summary of no rows (its columns and types).
    """
    from katye import scoring

    pieces = [p for p in pieces if len(p)]  # an empty piece's columns may hold other types
    if not pieces:
        return template
    data = pd.concat(pieces, ignore_index=True)
    counts = ["events", "fatalities", "civilians_targeted"]
    keys = [c for c in template.columns if c not in scoring.SUMMARY_VALUES]
    in_zone = (data["zone_id"].astype(str) != "").to_numpy()
    # Grouped by the same keys in the same order as summarize groups them, so rows come out in its order.
    zone_rows, apart_rows = (
        data[rows].groupby(keys, sort=True, observed=True)[counts].sum().reset_index() for rows in (in_zone, ~in_zone)
    )
    areas = geodata.resolve_zones(zones).set_index("zone_id")["area_km2"]
    zone_rows["events_per_km2"] = zone_rows["events"] / zone_rows["zone_id"].map(areas)
    periods = [k for k in by if k in scoring.PERIODS][-1:]
    zone_rows["share_of_zone_events"] = zone_rows["events"] / zone_rows.groupby(["zone_id", *periods])[
        "events"
    ].transform("sum")
    apart_rows["events_per_km2"] = np.nan
    apart_rows["share_of_zone_events"] = np.nan
    out = pd.concat([zone_rows, apart_rows], ignore_index=True)
    return out[list(template.columns)]


def zone_counts(
    incidents: Any, zones: gpd.GeoDataFrame | None = None, *, default_precision: str | None = None
) -> pd.DataFrame:
    """Exactly located incidents per zone: the zone rows of ``summarize(by=())``, fast, any size.

    For a GeoParquet dataset only the coordinates (and the precision columns) are read, straight
    from the files' points, and each distinct place is looked up once in the same grid that
    :func:`katye.assign` uses, so the counts are the ones ``assign`` gives.

    Parameters
    ----------
    incidents
        The path of a GeoParquet dataset, a dask-geopandas GeoDataFrame, or a GeoDataFrame.
    zones
        Area layer with ``zone_id``; default: the shipped zones.
    default_precision
        The location precision of every incident when the data carries none (neither
        ``location_precision`` nor ``geo_precision``): e.g. ``"exact"`` for your own GPS points.
        When the data has either column, it decides, as in :func:`katye.assign`.

    Returns
    -------
    pandas.DataFrame
        Every zone, in ``zone_id`` order: ``zone_id``, ``zone_name``, ``events``. ``attrs["katye_rows"]``
        accounts for every row: ``in_zones``, ``outside`` (exact, in no zone) and ``coarse`` (not exact).

    """
    if default_precision is not None and default_precision not in PRECISIONS:
        raise UsageError(f"default_precision={default_precision!r}: use one of {', '.join(PRECISIONS)}.")
    layer = None if zones is None else geodata.resolve_zones(zones)
    if isinstance(incidents, gpd.GeoDataFrame):
        _check_precision(incidents.columns, default_precision)
        counts = _count_frame(incidents, layer, default_precision)["rows"].to_numpy()
    else:
        parts = _count_parts(incidents, layer, default_precision)
        counts = parts.compute()["rows"].to_numpy().reshape(-1, _zone_count(layer) + 2).sum(axis=0)
    table = geodata.resolve_zones(layer)
    n = len(table)
    out = pd.DataFrame(
        {"zone_id": table["zone_id"].to_numpy(), "zone_name": table["name"].to_numpy(), "events": counts[:n]}
    )
    out.attrs["katye_rows"] = {"in_zones": int(counts[:n].sum()), "outside": int(counts[n]), "coarse": int(counts[-1])}
    return out


def _count_parts(
    incidents: Any, layer: gpd.GeoDataFrame | None, default_precision: str | None
) -> dask.dataframe.DataFrame:
    """One small frame of counts per partition (zones, then outside, then coarse), lazily."""
    meta = pd.DataFrame({"rows": pd.Series(dtype=np.int64)})
    if not isinstance(incidents, (str, os.PathLike)):
        frame = as_dask(incidents)
        _check_precision(frame.columns, default_precision)
        frame = frame[[c for c in frame.columns if c in PRECISION_COLUMNS or c == frame.geometry.name]]
        return frame.map_partitions(_count_frame, _shared(layer), default_precision, meta=meta)
    import dask.dataframe as dd

    frame = read_parquet(incidents)  # reads the metadata only: columns, geometry column, CRS
    _check_precision(frame.columns, default_precision)
    columns = [frame.geometry.name, *(c for c in PRECISION_COLUMNS if c in frame.columns)]
    # The geometry as Arrow binary (or geoarrow structs), not as shapely objects: a point's WKB is
    # read straight into its coordinates (about 40 times faster than making the objects).
    raw = dd.read_parquet(os.fspath(incidents), columns=columns, dtype_backend="pyarrow")
    return raw.map_partitions(
        _count_arrow, _shared(layer), default_precision, frame.geometry.name, frame.crs.to_wkt(), meta=meta
    )


def _check_precision(columns, default_precision: str | None) -> None:
    if default_precision is None and not any(c in columns for c in PRECISION_COLUMNS):
        raise UsageError(
            "the incidents carry no location precision (no location_precision or geo_precision column), "
            "so none would count as exactly located. Pass default_precision='exact' if the points are "
            "exact (your own GPS points), or read the source with katye.read_incidents()."
        )


def _count_frame(part: gpd.GeoDataFrame, layer: gpd.GeoDataFrame | None, default_precision: str | None) -> pd.DataFrame:
    """Counts of one partition held as a GeoDataFrame (shapely points, any CRS)."""
    return _tally(join._places(part), _exact(part, default_precision), layer)


def _count_arrow(
    part: pd.DataFrame, layer: gpd.GeoDataFrame | None, default_precision: str | None, geometry: str, crs: str
) -> pd.DataFrame:
    """Counts of one partition read as Arrow columns (the geometry as WKB or geoarrow points)."""
    import pyarrow as pa
    from pyproj import CRS, Transformer

    x, y = point_xy(pa.array(part[geometry]))  # WKB bytes as dask read them: no geometry objects

    if not CRS.from_wkt(crs).equals(CRS.from_user_input(STORAGE_CRS), ignore_axis_order=True):
        x, y = Transformer.from_crs(CRS.from_wkt(crs), STORAGE_CRS, always_xy=True).transform(x, y)
    # As pandas types (a category, a nullable integer), as assign reads them.
    precision = pd.DataFrame({c: pa.array(part[c]).to_pandas() for c in PRECISION_COLUMNS if c in part.columns})
    return _tally(places_xy(x, y), _exact(precision, default_precision, rows=len(part)), layer)


def _exact(frame: pd.DataFrame, default_precision: str | None, *, rows: int | None = None) -> np.ndarray:
    """Which rows are exactly located, read as :func:`katye.assign` reads them."""
    if not any(c in frame.columns for c in PRECISION_COLUMNS):
        return np.full(len(frame) if rows is None else rows, default_precision == "exact")
    labels, codes, _ = join._precision(frame)
    return (labels == "exact")[codes]


def _tally(spots: Places, exact: np.ndarray, layer: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Exact rows per zone, then exact rows in no zone, then the other rows, as a one-column frame."""
    index = _zone_index(layer)
    n = len(index.polygons)
    weights = None
    if spots.where is not None:  # rows share places: each place once, weighed by its exact rows
        rows = np.bincount(spots.where[exact], minlength=len(spots.x))
        used = np.flatnonzero(rows)
        x, y, weights = spots.x[used], spots.y[used], rows[used]
    elif exact.all():  # the common case of big feeds: no copies
        x, y = spots.x, spots.y
    else:
        x, y = spots.x[exact], spots.y[exact]
    found = index.lookup(x, y)
    found[found < 0] = n
    counts = np.bincount(found, weights=weights, minlength=n + 1).astype(np.int64)
    return pd.DataFrame({"rows": np.append(counts, len(exact) - int(exact.sum()))})


#: Indexes of callers' zone layers, by fingerprint: built once per worker process, not per partition.
_INDEXES: dict[str, PolygonIndex] = {}


def _zone_index(layer: gpd.GeoDataFrame | None) -> PolygonIndex:
    if layer is None:
        return join._shipped_index("zones")
    key = join._key(layer)
    if key not in _INDEXES:
        while len(_INDEXES) >= 4:
            _INDEXES.pop(next(iter(_INDEXES)))
        _INDEXES[key] = PolygonIndex(layer.geometry.values)
    return _INDEXES[key]


def _zone_count(layer: gpd.GeoDataFrame | None) -> int:
    return len(_zone_index(layer).polygons)


#: A 2-D point in little-endian WKB: byte order, geometry type, x, y (21 bytes, packed).
_WKB_POINT = np.dtype([("order", "u1"), ("kind", "<u4"), ("x", "<f8"), ("y", "<f8")])


def point_xy(column) -> tuple[np.ndarray, np.ndarray]:
    """The x and y of a pyarrow column of points: WKB (binary) or geoarrow (struct of x, y); NaN for none.

    Little-endian 2-D WKB points, as GeoParquet writers store them, are read as a packed array
    with no per-row work; anything else goes through shapely.

    Raises
    ------
    InputError
        A geometry is not a point.

    """
    import pyarrow as pa

    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if not chunks:
        return np.empty(0), np.empty(0)
    pairs = [_chunk_xy(chunk) for chunk in chunks]
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


def _chunk_xy(chunk) -> tuple[np.ndarray, np.ndarray]:
    import pyarrow as pa

    if pa.types.is_struct(chunk.type):
        x = chunk.field("x").to_numpy(zero_copy_only=False).astype(float)
        y = chunk.field("y").to_numpy(zero_copy_only=False).astype(float)
        if chunk.null_count:
            missing = chunk.is_null().to_numpy(zero_copy_only=False)
            x[missing] = y[missing] = np.nan
        return x, y
    if not (pa.types.is_binary(chunk.type) or pa.types.is_large_binary(chunk.type)):
        raise InputError(
            f"the geometry column holds {chunk.type}, not WKB or geoarrow points. "
            "Write the dataset with GeoDataFrame.to_parquet() or katye.partitioned.write_parquet()."
        )
    if chunk.null_count == 0 and len(chunk):
        width = np.int64 if pa.types.is_large_binary(chunk.type) else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1]
        if offsets[-1] - offsets[0] == _WKB_POINT.itemsize * len(chunk):  # every value is 21 bytes long
            records = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].view(_WKB_POINT)
            if (records["order"] == 1).all() and (records["kind"] == 1).all():
                return records["x"].copy(), records["y"].copy()
    values = shapely.from_wkb(chunk.to_numpy(zero_copy_only=False))
    return coordinates(np.asarray(values, dtype=object))


def _shared(layer: gpd.GeoDataFrame | None):
    """A zone layer as one task of the graph, so it travels to each worker once, not with each partition."""
    if layer is None:
        return None
    import dask

    return dask.delayed(layer, pure=True)


def _dask_geopandas():
    try:
        import dask_geopandas
    except ImportError as exc:
        raise UsageError(f"working past one machine needs dask-geopandas and distributed: {INSTALL}.") from exc
    return dask_geopandas
