"""The reading pipeline: file to raw table, checks, canonical columns, precision and actors, report.

Every input row is accounted for: accepted inside the study area, accepted outside it,
or rejected with a reason and its line in the file. See :func:`read_incidents`.
"""

from __future__ import annotations

import gc
import logging
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from pyproj import Transformer

from katye import geodata
from katye.crs import STORAGE_CRS, parse_crs, require_crs
from katye.errors import InputError, UsageError, at_rows, plural
from katye.incidents import actors as actor_table
from katye.incidents import parse
from katye.incidents import precision as location_precision
from katye.incidents.columns import drop_unused, hash64, pair_codes, share_categories
from katye.incidents.interpret import interpret
from katye.incidents.readers import RawTable, read_table
from katye.incidents.report import IncidentRead, ReadReport
from katye.incidents.schema import (
    ACLED_MAP,
    ACLED_SIGNATURE,
    CANONICAL,
    GENERIC_NAMES,
    REASONS,
    RESERVED,
    TEXT_COLUMNS,
)

log = logging.getLogger("katye")

__all__ = ["CANONICAL", "IncidentRead", "ReadReport", "read_incidents", "study_area"]

MALFORMED = "wrong number of fields"
REJECTED_COLUMNS = ("line", "reason", "detail", "raw_text")
#: date_precision of a date known only to its year (ACLED's codes stop at 3, a month).
YEAR_PRECISION = 4
#: The most fatalities katye accepts for one event (ACLED's own largest are far below).
MAX_FATALITIES = 100_000
#: Reason codes: 0 is "no problem"; the rest follow REASONS' order, which is the check order.
_CODES = {key: i + 1 for i, key in enumerate(REASONS)}
#: Event dates outside these years are refused as mistyped (ACLED's data start in 1997).
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
STACK_MIN = 10


def study_area() -> shapely.Geometry:
    """The default study area: the 10 metro communes of Port-au-Prince (COD-AB), EPSG:4326."""
    return shapely.union_all(geodata.communes().geometry.values)


def read_incidents(
    path: str | os.PathLike,
    *,
    lat: str | None = None,
    lon: str | None = None,
    date: str | None = None,
    event_id: str | None = None,
    columns: dict[str, str] | None = None,
    crs=None,
    swapped: str = "repair",
    strict: bool = False,
    area=None,
    precision: str = "rules",
    default_precision: str | None = None,
    actors=None,
    keep="all",
) -> IncidentRead:
    """Read an incident file into the canonical schema, accounting for every row.

    Parameters
    ----------
    path
        An ACLED export (current 31 columns, pre-2023, upper-case headers, HDX copies with a
        hashtag row), any CSV/TSV (UTF-8, UTF-8 with BOM or cp1252; ``,`` ``;`` tab or ``|``),
        or a GeoJSON / GeoPackage / Shapefile / GeoParquet of points.
    lat, lon, date, event_id
        Column names for files that are not ACLED exports. Unset, katye looks for common
        names (``latitude``/``lat``/``y``, ``longitude``/``lon``/``lng``/``x``, ``event_date``/``date`` …).
    columns
        Any other canonical column → file column, e.g. ``{"fatalities": "deaths"}``.
    crs
        The CRS of ``lat``/``lon`` when they are x/y in another system (e.g. ``"EPSG:32618"``
        with ``lon="x", lat="y"``). Default: longitude/latitude in degrees (EPSG:4326).
    swapped
        ``"repair"`` (default): rows whose latitude and longitude are written the wrong way
        round (detected because only the swapped point is in Haiti) are swapped back, with a
        warning. ``"reject"``: they are rejected.
    strict
        Raise :class:`~katye.errors.InputError` on the first kind of problem, with its row
        numbers, instead of setting rows aside.
    area
        The study area (a shapely geometry in EPSG:4326, or a GeoDataFrame/GeoSeries with a
        CRS). Default: :func:`study_area`, the 10 metro communes.
    precision
        ``"rules"`` (default): decide each event's ``location_precision`` from ``geo_precision``
        and katye's rules (a location that names a commune or wider unit, a commune-centre
        coordinate; see :mod:`katye.incidents.precision`). ``"as-coded"``: the file's
        ``geo_precision`` only.
    default_precision
        The precision of events whose file gives no ``geo_precision`` (``"exact"`` or ``"near"``),
        for your own data when you know how it was located. Default: ``unknown``, which keeps
        them out of zone counts.
    actors
        Actor table (path or DataFrame, see :func:`katye.read_actors`); default: the shipped
        one. ``actor1``/``actor2`` become normalised names with ``actor1_kind``/``actor2_kind``;
        the file's text stays in ``actor1_original``/``actor2_original``.
    keep
        The file's other columns to keep beside the canonical ones: ``"all"`` (default, or None),
        ``"none"`` (or ``[]``), or a list of names. Each kept column costs a few bytes a row (more for free text),
        so on millions of rows keep what you need. ``synthetic``, and ACLED's ``timestamp`` and
        ``inter1`` (the map's credit line), are always kept. Rejected rows carry every column.

    Returns
    -------
    IncidentRead
        ``incidents`` (GeoDataFrame, EPSG:4326: the canonical columns with ``actor1_kind``,
        ``actor2_kind``, ``location_precision`` and ``precision_basis``, then
        ``event_type_original``, ``actor1_original``, ``actor2_original``, then the file's other
        columns, then ``in_study_area`` and ``line``), ``rejected`` (DataFrame: ``line``,
        ``reason``, ``detail``, then the raw values) and ``report`` (:class:`ReadReport`).
        Unpacks as ``incidents, rejected, report = read_incidents(...)``. Text columns whose
        values repeat are pandas categoricals (compact: a few bytes a row; the actor columns
        share their categories, so they compare); :func:`katye.plain_text` gives a copy in plain
        text for code that assigns new values or joins columns with ``+``.

    Raises
    ------
    InputError
        The file cannot be read, has no coordinate or date column, or (with ``strict``) has a
        bad row.
    UsageError
        An option names a column the file does not have, or ``swapped`` is unknown.

    """
    if swapped not in ("repair", "reject"):
        raise UsageError(f"swapped={swapped!r}: expected 'repair' or 'reject'.")
    if precision not in ("rules", "as-coded"):
        raise UsageError(f"precision={precision!r}: expected 'rules' or 'as-coded'.")
    if default_precision not in (None, "exact", "near", "commune", "unknown"):
        raise UsageError(f"default_precision={default_precision!r}: expected 'exact', 'near', 'commune' or None.")
    table = actor_table.resolve(actors)
    path = Path(path)
    raw = read_table(path)
    overrides = dict(columns or {})
    for key, value in (("latitude", lat), ("longitude", lon), ("event_date", date), ("event_id", event_id)):
        if value is not None:
            overrides[key] = value
    layout, mapping = _resolve_columns(raw, overrides, path)
    kept = _kept(raw, keep, path)
    options = {
        "rules": precision == "rules",
        "default": None if default_precision in (None, "unknown") else default_precision,
        "actors": table,
    }
    return _assemble(
        raw, path, layout, mapping, crs=crs, swapped=swapped, strict=strict, area=area, options=options, kept=kept
    )


#: Columns kept whatever ``keep`` says: the synthetic-data flag, and what the ACLED credit line reads.
ALWAYS_KEPT = ("synthetic", "timestamp", "inter1")


def _kept(raw: RawTable, keep, path: Path) -> set[str] | None:
    """The file's columns to keep (None: all), checked against the file."""
    if keep is None or (isinstance(keep, str) and keep.strip().lower() == "all"):
        return None
    if isinstance(keep, str) and keep.strip().lower() == "none":
        keep = []
    if isinstance(keep, str) or not hasattr(keep, "__iter__"):
        raise UsageError(f"keep={keep!r}: expected 'all', 'none' or a list of column names, e.g. keep=['admin1'].")
    names = [str(name) for name in keep]
    lower = {c.strip().lower(): c for c in raw.frame.columns}
    unknown = [n for n in names if n not in raw.frame.columns and n.strip().lower() not in lower]
    if unknown:
        raise UsageError(
            f"{path}: keep names {', '.join(map(repr, unknown))}, not in the file. Columns in the file: "
            f"{', '.join(map(str, raw.frame.columns))}."
        )
    wanted = {n if n in raw.frame.columns else lower[n.strip().lower()] for n in names}
    return wanted | {c for c in raw.frame.columns if c.strip().lower() in ALWAYS_KEPT}


def _columns_text(columns) -> str:
    names = [str(c) for c in columns]
    return ", ".join(names[:30]) + (f" … ({len(names):,} columns)" if len(names) > 30 else "")


def _resolve_columns(raw: RawTable, overrides: dict[str, str], path: Path) -> tuple[str, dict[str, str]]:
    unknown = sorted(set(overrides) - set(CANONICAL))
    if unknown:
        raise UsageError(f"columns: {', '.join(unknown)} are not canonical fields. Use: {', '.join(CANONICAL)}.")
    lower = {c.strip().lower(): c for c in raw.frame.columns}
    chosen = [c.strip().lower() for c in overrides.values()]
    if len(set(chosen)) < len(chosen):
        twice = sorted({c for c in chosen if chosen.count(c) > 1})
        raise UsageError(f"columns: {', '.join(twice)} is named for two fields; give each field its own column.")
    for canonical, column in overrides.items():
        if column not in raw.frame.columns and column.lower() not in lower:
            raise UsageError(
                f"{path}: no column {column!r} (asked for as {canonical}). Columns in the file: "
                f"{_columns_text(raw.frame.columns)}."
            )
    if set(ACLED_SIGNATURE) <= set(lower):
        # Lower-case ACLED's headers; a second column that differs only in case ("notes", "NOTES")
        # keeps its own name, so no two columns end up with one.
        # Columns already in lower case keep their names; the others take theirs only when free.
        taken = {c for c in raw.frame.columns if c == c.strip().lower()}
        renamed = {}
        for column in raw.frame.columns:
            low = column.strip().lower()
            if column == low:
                renamed[column] = column
                continue
            renamed[column] = low if low not in taken else column
            taken.add(renamed[column])
        raw.frame = raw.frame.rename(columns=renamed)
        if "data_id" in lower or "iso3" in lower:
            layout = "ACLED export (before March 2023)"
        elif "disorder_type" in lower:
            layout = "ACLED export (current)"
        else:
            layout = "ACLED export"
        if any(c != c.lower() for c in lower.values()):
            layout += ", upper-case headers"
        absent = [c for c in ("event_id_cnty", "geo_precision") if c not in lower]
        if absent:
            layout += f", without {', '.join(absent)}"
        mapping = {canonical: acled for acled, canonical in ACLED_MAP.items() if acled in raw.frame.columns}
    else:
        layout = "table" if raw.unit == "line" else "GIS file"
        mapping = {}
        for canonical, candidates in GENERIC_NAMES.items():
            found = next((lower[c] for c in candidates if c in lower), None)
            if found is not None:
                mapping[canonical] = found
    if raw.geometry is not None and not ({"latitude", "longitude"} & set(overrides)):
        # A GIS file's points are its geometry: attribute columns named x/y or latitude/longitude
        # may be in another CRS, or stale. They stay as data; --lat/--lon choose them on purpose.
        mapping.pop("latitude", None)
        mapping.pop("longitude", None)
        layout += ", points from the geometry"
    for canonical, column in overrides.items():
        mapping[canonical] = column if column in raw.frame.columns else lower[column.lower()]
    if raw.hxl:
        layout += ", HDX hashtag row"
    has_xy = "latitude" in mapping and "longitude" in mapping
    if not has_xy and raw.geometry is None:
        missing = [c for c in ("latitude", "longitude") if c not in mapping]
        raise InputError(
            f"{path}: no {' or '.join(missing)} column found (looked for "
            + "; ".join(", ".join(GENERIC_NAMES[c]) for c in missing)
            + f"). Columns in the file: {_columns_text(raw.frame.columns)}. "
            "Name them with lat='…', lon='…' (CLI: --lat NAME --lon NAME)."
        )
    if "event_date" not in mapping:
        raise InputError(
            f"{path}: no date column found (looked for {', '.join(GENERIC_NAMES['event_date'])}). "
            f"Columns in the file: {_columns_text(raw.frame.columns)}. "
            "Name it with date='…' (CLI: --date NAME)."
        )
    return layout, mapping


def _coordinates(raw: RawTable, mapping: dict[str, str], crs, path: Path):
    """Longitude, latitude (float arrays) and per-row coordinate reason codes."""
    n = len(raw.frame)
    code = np.zeros(n, dtype=np.int8)
    if "latitude" in mapping and "longitude" in mapping:
        lon_raw, lat_raw = raw.frame[mapping["longitude"]], raw.frame[mapping["latitude"]]
        lon, lat = parse.numbers(lon_raw), parse.numbers(lat_raw)
        unread = np.flatnonzero(np.isnan(lon) | np.isnan(lat))  # usually none: look closer only there
        missing = parse.blank(lon_raw.iloc[unread]) | parse.blank(lat_raw.iloc[unread])
        code[unread] = np.where(missing, _CODES["missing_coordinates"], _CODES["non_numeric_coordinates"])
        source_crs = parse_crs(crs, what=f"{path}: crs=") if crs is not None else None
    else:
        geometry = raw.geometry
        assert geometry is not None  # checked when the columns were resolved: no x/y means a GIS file
        if geometry.crs is None and crs is not None:
            # A GIS file without a CRS (a Shapefile without .prj): the user says which.
            geometry = geometry.set_crs(parse_crs(crs, what=f"{path}: crs="))
        require_crs(gpd.GeoDataFrame(geometry=geometry), what=str(path))
        geometry = geometry.to_crs(STORAGE_CRS)
        empty = (geometry.isna() | geometry.is_empty).to_numpy()
        points = (geometry.geom_type == "Point").to_numpy() & ~empty
        code[empty] = _CODES["missing_coordinates"]
        code[~empty & ~points] = _CODES["not_a_point"]
        lon = np.full(n, np.nan)
        lat = np.full(n, np.nan)
        lon[points] = shapely.get_x(geometry.values[points])
        lat[points] = shapely.get_y(geometry.values[points])
        source_crs = None
    if source_crs is not None and not source_crs.equals("EPSG:4326"):
        transformer = Transformer.from_crs(source_crs, STORAGE_CRS, always_xy=True)
        ok = code == 0
        lon[ok], lat[ok] = transformer.transform(lon[ok], lat[ok])
    return lon, lat, code


def _assemble(
    raw: RawTable,
    path: Path,
    layout: str,
    mapping: dict[str, str],
    *,
    crs,
    swapped: str,
    strict: bool,
    area,
    options: dict,
    kept: set[str] | None = None,
) -> IncidentRead:
    frame = raw.frame.reset_index(drop=True)
    n = len(frame)
    warnings: list[str] = list(raw.header_notes)
    lon, lat, code = _coordinates(raw, mapping, crs, path)
    open_ = code == 0

    code[open_ & (lon == 0) & (lat == 0)] = _CODES["null_island"]
    open_ = code == 0
    swapped_mask = open_ & ~parse.in_bbox(lon, lat) & parse.in_bbox(lat, lon)
    repaired = 0
    if swapped == "repair":
        lon[swapped_mask], lat[swapped_mask] = lat[swapped_mask], lon[swapped_mask].copy()
        repaired = int(swapped_mask.sum())
        if repaired:
            warnings.append(
                f"{plural(repaired, 'row')} had latitude and longitude swapped; katye swapped them back "
                f"({at_rows(raw.lines[swapped_mask], unit=raw.unit)})"
            )
    else:
        code[swapped_mask] = _CODES["swapped"]
    open_ = code == 0
    with np.errstate(invalid="ignore"):
        code[open_ & ((np.abs(lat) > 90) | (np.abs(lon) > 180))] = _CODES["out_of_range"]

    event_dates = parse.dates(frame[mapping["event_date"]]).reset_index(drop=True)
    code[(code == 0) & event_dates.isna().to_numpy()] = _CODES["bad_date"]
    # A year mistyped by centuries reads as a date, then stretches every period and slice over it.
    years = event_dates.dt.year.to_numpy(dtype=float, na_value=np.nan)
    code[(code == 0) & ((years < EARLIEST_YEAR) | (years > LATEST_YEAR))] = _CODES["implausible_date"]

    if "fatalities" in mapping:
        fat_raw = frame[mapping["fatalities"]]
        fatalities = parse.numbers(fat_raw)
        fat_blank = np.zeros(n, dtype=bool)
        unread = np.flatnonzero(np.isnan(fatalities))
        fat_blank[unread] = parse.blank(fat_raw.iloc[unread])
        fatalities[fat_blank] = 0
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(fatalities) | (fatalities != np.floor(fatalities))
            code[(code == 0) & bad] = _CODES["bad_fatalities"]
            code[(code == 0) & (fatalities < 0)] = _CODES["negative_fatalities"]
            code[(code == 0) & (fatalities > MAX_FATALITIES)] = _CODES["too_many_fatalities"]
            code[np.isposinf(fatalities) & (code == _CODES["bad_fatalities"])] = _CODES["too_many_fatalities"]
        # Whole numbers from here on (rows that are not are rejected, and read as 0).
        fatalities = np.where(code == 0, fatalities, 0).astype(np.int64)
        if fat_blank.any():
            warnings.append(f"{plural(int(fat_blank.sum()), 'row')} had no fatalities value; counted as 0")
        del fat_raw
    else:
        fatalities = np.zeros(n, dtype=np.int64)
        warnings.append("the file has no fatalities column; every event counts 0 fatalities")

    precision = {}
    for field in ("date_precision", "geo_precision"):
        if field in mapping:
            values, bad = parse.codes(frame[mapping[field]])
            code[(code == 0) & bad] = _CODES["bad_precision"]
            precision[field] = values.astype(np.float32)  # codes 1-4: half the memory
        else:
            precision[field] = np.full(n, np.nan, dtype=np.float32)
    month_only, year_only = parse.partial(frame[mapping["event_date"]])
    coded = precision["date_precision"]
    # A date given only to a month or a year sits on the period's first day; its precision is at
    # least that coarse, whatever the file's own code says.
    finer = lambda level: np.isnan(coded) | (coded < level)  # noqa: E731
    coded[month_only & finer(3)] = 3
    coded[year_only & finer(YEAR_PRECISION)] = YEAR_PRECISION
    for mask, what, code_ in ((month_only, "a month", 3), (year_only, "a year", YEAR_PRECISION)):
        hit = int((mask & (code == 0)).sum())
        if hit:
            warnings.append(
                f"{plural(hit, 'event')} dated only to {what}: placed on its first day, with date_precision {code_}"
            )

    ids, id_note = _event_ids(frame, mapping, raw, path)
    if id_note:
        warnings.append(id_note)
    first_line = _duplicate_ids(ids, code, raw.lines) if "event_id" in mapping else {}

    if strict:
        _raise_strict(code, raw, path)

    accepted = code == 0
    # A slice when every row is accepted: a boolean mask would copy the coordinate arrays.
    ok = slice(None) if accepted.all() else accepted
    area_geom = _area(area)
    # Each distinct point is tested once: exports stack their events on a few thousand points.
    ok_lon, ok_lat = lon[ok], lat[ok]
    points = pair_codes(ok_lon, ok_lat)
    where, first = points
    inside = np.zeros(n, dtype=bool)
    inside[ok] = shapely.contains_xy(area_geom, ok_lon[first], ok_lat[first])[where]
    del ok_lon, ok_lat

    rejected = _rejected(frame, code, raw, first_line, ids)
    columns = _canonical(
        frame if kept is None else frame[[c for c in frame.columns if c in kept or c in mapping.values()]],
        mapping,
        accepted,
        ids,
        event_dates,
        precision,
        fatalities,
        (lon, lat),
        inside,
        raw.lines,
    )
    # What the output does not share with the file's columns is no longer needed: let it go before
    # the points and the next steps allocate theirs.
    input_rows = len(frame) + len(raw.malformed)
    raw.frame = frame = pd.DataFrame()  # not frame.iloc[:0]: a view would keep every column alive
    del fatalities, precision, event_dates, ids, lon, lat, where, first
    columns["geometry"] = gpd.array.from_shapely(shared_points(columns["longitude"], columns["latitude"], points))
    # copy=False: the arrays above become the frame's own (pandas would otherwise copy and merge them).
    incidents = gpd.GeoDataFrame(columns, geometry="geometry", crs=STORAGE_CRS, copy=False)
    del columns
    notes = interpret(incidents, has_code="geo_precision" in mapping, options={**options, "points": points})
    _tidy(incidents)
    report = _report(path, layout, raw, incidents, rejected, repaired, warnings, notes, input_rows, points)
    return IncidentRead(incidents, rejected, report)


#: Columns that hold the same kind of values: one set of categories, so that they compare.
FAMILIES = (
    ("actor1", "actor2", "actor1_original", "actor2_original"),
    ("event_type", "event_type_original"),
    ("actor1_kind", "actor2_kind"),
)


def _tidy(incidents: gpd.GeoDataFrame) -> None:
    """No category without rows (values of rejected rows, fixed word lists); related columns comparable."""
    for column in incidents.columns:
        if isinstance(incidents[column].dtype, pd.CategoricalDtype):
            incidents[column] = drop_unused(incidents[column])
    for names in FAMILIES:
        share_categories(incidents, names)


def _duplicate_ids(ids: pd.Series, code: np.ndarray, lines: np.ndarray) -> dict[str, int]:
    """Reject later copies of an event id (in ``code``); return each repeated id's first line.

    Among rows with no other problem the first copy is kept. Ids are compared by a 64-bit hash
    first and as text only where hashes repeat: a hash table of five million strings would hold
    a second copy of them all.
    """
    candidates = np.flatnonzero(code == 0)
    values = pa.array(ids if len(candidates) == len(ids) else ids.iloc[candidates])
    # Sorted, repeats sit side by side: no hash table of millions of entries. Sorted in place, and
    # hashed again in the rare file that has repeats.
    ordered = hash64(values)
    ordered.sort()
    repeats = ordered[1:][ordered[1:] == ordered[:-1]]
    del ordered
    if not repeats.size:
        return {}
    suspect = np.flatnonzero(np.isin(hash64(values), repeats))
    text = pd.Series(values.take(pa.array(suspect)).to_pylist(), dtype=object)
    later = text.duplicated(keep="first").to_numpy()
    if not later.any():
        return {}
    code[candidates[suspect[later]]] = _CODES["duplicate_id"]
    first = ~later & text.isin(text[later]).to_numpy()
    return dict(zip(text[first], lines[candidates[suspect[first]]].tolist(), strict=True))


def _event_ids(frame: pd.DataFrame, mapping: dict[str, str], raw: RawTable, path: Path):
    def made(mask: np.ndarray) -> pd.Series:
        return f"{path.stem}-{raw.unit}-" + pd.Series(raw.lines[mask], dtype="int64").astype("str")

    if "event_id" not in mapping:
        ids = made(np.ones(len(frame), dtype=bool))
        return ids, f"the file has no event id column; ids were made from {raw.unit} numbers"
    ids = parse.text(frame[mapping["event_id"]], len(frame)).astype("str")
    empty = (ids == "").to_numpy()
    if empty.any():
        ids = ids.copy()
        ids[empty] = made(empty).to_numpy()
        return ids, f"{plural(int(empty.sum()), 'row')} had no event id; ids were made from their {raw.unit} numbers"
    return ids, None


def _raise_strict(code: np.ndarray, raw: RawTable, path: Path) -> None:
    if len(raw.malformed):
        raise InputError(
            f"{path}: strict mode: {plural(len(raw.malformed), 'row')} with the {MALFORMED} "
            f"({at_rows(raw.malformed['line'], unit='line')}). "
            "Fix the file, or read it without strict to set them aside."
        )
    for key, value in _CODES.items():
        hit = code == value
        if hit.any():
            raise InputError(
                f"{path}: strict mode: {plural(int(hit.sum()), 'row')} rejected because {REASONS[key]} "
                f"({at_rows(raw.lines[hit], unit=raw.unit)}). Fix them, or read the file "
                "without strict to set them aside and see them all."
            )


def _area(area):
    if area is None:
        geometry = study_area()
    elif isinstance(area, (gpd.GeoDataFrame, gpd.GeoSeries)):
        frame = area if isinstance(area, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=area)
        require_crs(frame, what="the study area")
        geometry = shapely.union_all(frame.to_crs(STORAGE_CRS).geometry.values)
    elif isinstance(area, shapely.Geometry):
        geometry = area
    else:
        raise UsageError(f"area: expected a shapely geometry or a GeoDataFrame, got {type(area).__name__}.")
    shapely.prepare(geometry)
    return geometry


def _canonical(frame, mapping, accepted, ids, event_dates, precision, fatalities, where, inside, lines) -> dict:
    """The accepted rows' columns, canonical ones first, each built once (no frame-wide copies)."""
    lon, lat = where
    rows = None if accepted.all() else np.flatnonzero(accepted)

    def pick(values):
        if rows is None:
            return values.reset_index(drop=True) if isinstance(values, pd.Series) else values
        return values.iloc[rows].reset_index(drop=True) if isinstance(values, pd.Series) else values[rows]

    n_ok = len(lon) if rows is None else len(rows)
    data = {
        "event_id": pick(ids),
        "event_date": pick(event_dates),
        "date_precision": pd.array(pick(precision["date_precision"]), dtype="Int8"),
        "fatalities": pick(fatalities),
        "geo_precision": pd.array(pick(precision["geo_precision"]), dtype="Int8"),
        "latitude": pick(lat),
        "longitude": pick(lon),
    }
    for field in TEXT_COLUMNS:
        data[field] = parse.text(pick(frame[mapping[field]]) if field in mapping else None, n_ok)
    columns = {k: data[k] for k in CANONICAL}
    used = set(mapping.values())
    for column in frame.columns:
        if column not in used:
            columns[f"{column}_input" if column in RESERVED else column] = pick(frame[column])
    columns["in_study_area"] = pick(inside)
    columns["line"] = pick(lines)
    return columns


def shared_points(lon: np.ndarray, lat: np.ndarray, pairs: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Points for coordinates, one shapely object per distinct coordinate pair.

    Real exports stack most events on a few hundred points; shapely geometries are immutable, so
    rows on one coordinate can share one object (8 bytes a row instead of about 200). ``pairs``:
    :func:`~katye.incidents.columns.pair_codes` of the coordinates, when already known.
    """
    where, first = pairs if pairs is not None else pair_codes(lon, lat)
    # The collector is paused while the points are made: a hundred thousand new objects would
    # set off full collections over everything pandas holds, for nothing (points hold no cycles).
    paused = gc.isenabled()
    gc.disable()
    try:
        points = shapely.points(np.asarray(lon)[first], np.asarray(lat)[first])
    finally:
        if paused:
            gc.enable()
    return points[where]


def _rejected(frame, code, raw, first_line, ids) -> pd.DataFrame:
    labels = np.array(["", *REASONS.values()], dtype=object)
    bad = code != 0
    detail = np.full(int(bad.sum()), "", dtype=object)
    dup = code[bad] == _CODES["duplicate_id"]
    if dup.any():
        dup_ids = ids[bad][dup].to_numpy()
        detail[dup] = [f"event id {i} first seen at {raw.unit} {first_line[i]}" for i in dup_ids]
    out = pd.DataFrame({"line": raw.lines[bad], "reason": labels[code[bad]], "detail": detail})
    rows = np.flatnonzero(bad)
    # No rejected rows: no take at all (arrow would first join a text column's chunks into a copy).
    values = (frame.iloc[rows] if rows.size else frame.iloc[:0]).reset_index(drop=True).astype("string")
    # The file's own "line" or "reason" column must not pose as katye's.
    values = values.rename(columns={c: f"{c}_input" for c in values.columns if c in REJECTED_COLUMNS})
    out = pd.concat([out, values], axis=1)
    if len(raw.malformed):
        malformed = pd.DataFrame(
            {
                "line": raw.malformed["line"],
                "reason": MALFORMED,
                "detail": raw.malformed["detail"],
                "raw_text": raw.malformed["text"],
            }
        )
        out = pd.concat([out, malformed], ignore_index=True).sort_values("line", kind="stable")
    return out.reset_index(drop=True)


def _report(path, layout, raw, incidents, rejected, repaired, warnings, notes, input_rows, points) -> ReadReport:
    inside = incidents["in_study_area"].to_numpy()
    by_reason = rejected["reason"].value_counts().to_dict() if len(rejected) else {}
    dates = incidents["event_date"]
    geo = incidents["geo_precision"].value_counts(dropna=False)
    geo_counts = {("unknown" if pd.isna(k) else str(int(k))): int(v) for k, v in geo.items()}
    decided = notes["precision"]
    levels = pd.Series(decided.precision).value_counts()
    precision_counts = {level: int(levels.get(level, 0)) for level in location_precision.LEVELS if levels.get(level)}
    if not notes["has_code"] and len(incidents):
        unknown = precision_counts.get("unknown", 0)
        if notes["default"]:
            warnings.append(
                f"the file has no geo_precision column; events with no other clue were taken as "
                f"{notes['default']} (default_precision)"
            )
        else:
            warnings.append(
                f"the file has no geo_precision column: {plural(unknown, 'event')} have unknown location "
                "precision and are kept out of zone counts (set default_precision, CLI "
                "--default-precision, if you know how they were located)"
            )
    else:
        for level, meaning in (
            ("3", "located only to a commune or a wider area"),
            ("2", "located near the named place, not at it"),
        ):
            if geo_counts.get(level):
                warnings.append(
                    f"{plural(geo_counts[level], 'event')} coded geo_precision {level} in the file: {meaning}"
                )
        if geo_counts.get("unknown") and notes["has_code"]:
            warnings.append(f"{plural(geo_counts['unknown'], 'event')} have an empty geo_precision: precision unknown")
    changed = decided.changed
    if changed.get("admin_name"):
        top = ", ".join(f"{name} {count:,}" for name, count in list(decided.admin_names.items())[:6])
        top += ", …" if len(decided.admin_names) > 6 else ""
        verb = "has" if changed["admin_name"] == 1 else "have"
        warnings.append(
            f"{plural(changed['admin_name'], 'event')} {verb} a location that names only a commune or a "
            f"wider unit ({top}): located only to the commune, not in zone counts"
        )
    if changed.get("commune_centre"):
        warnings.append(
            f"{plural(changed['commune_centre'], 'more event')} sit on the same "
            f"{plural(decided.centres, 'commune-centre point')}: located only to the commune too"
        )
    if notes["unknown_actors"]:
        top = "; ".join(f"{name} ({count:,})" for name, count in list(notes["unknown_actors"].items())[:8])
        more = len(notes["unknown_actors"]) - 8
        warnings.append(
            f"{plural(len(notes['unknown_actors']), 'actor name')} not in the actor table, typed from "
            f"ACLED's name forms or 'other': {top}" + (f" and {more} more" if more > 0 else "")
        )
    if len(incidents):
        stacks = np.bincount(points[0])
        stacked = stacks[stacks >= STACK_MIN]
        if len(stacked):
            warnings.append(
                f"{plural(int(stacked.sum()), 'event')} sit on {plural(len(stacked), 'shared point')} "
                f"with {STACK_MIN} or more events each (ACLED codes Port-au-Prince events to neighbourhood centres)"
            )
    report = ReadReport(
        path=str(path),
        layout=layout,
        input_rows=input_rows,
        accepted=int(inside.sum()),
        outside=int((~inside).sum()),
        rejected=len(rejected),
        rejected_by_reason={str(k): int(v) for k, v in by_reason.items()},
        row_unit=raw.unit,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        hxl_row=raw.hxl,
        date_min=str(dates.min().date()) if len(dates) else None,
        date_max=str(dates.max().date()) if len(dates) else None,
        event_types={str(k): int(v) for k, v in incidents["event_type"].value_counts().items() if v},
        geo_precision=geo_counts,
        repaired_swapped=repaired,
        warnings=warnings,
        location_precision=precision_counts,
        precision_rules={k: v for k, v in changed.items()} if notes["rules"] else {},
        admin_locations=dict(list(decided.admin_names.items())[:20]),
        unknown_actors=notes["unknown_actors"],
    )
    if not report.balanced:  # a bug in katye, never the user's data
        raise AssertionError(f"row accounting does not add up for {path}: {report.to_dict()}")
    for warning in warnings:
        log.info("%s: %s", path, warning)
    return report
