"""Read an incident file into a table of raw values, with each row's place in the file.

CSV files are read as text (every column a string, nothing guessed) by pyarrow's
multi-threaded reader. Files it cannot take whole (rows with the wrong number of
fields) are read again by Python's csv module, which knows each row's line.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from katye import io as katye_io
from katye.errors import InputError
from katye.incidents.columns import TextColumn
from katye.incidents.quick import read_quick

GEO_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet", ".fgb")
#: What an incident file may be, for messages.
EXPECTED = "an ACLED export or another CSV, or a GeoJSON, GeoPackage, Shapefile or GeoParquet of points"
WHAT = "incident file"
DELIMITERS = (",", ";", "\t", "|")


@dataclass
class RawTable:
    """What a reader found: raw values, each row's line (or feature) number, how the file was read."""

    frame: pd.DataFrame
    lines: np.ndarray
    unit: str = "line"  # "line" for text files, "feature" for GIS files
    encoding: str | None = None
    delimiter: str | None = None
    hxl: bool = False
    geometry: gpd.GeoSeries | None = None
    malformed: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["line", "text", "detail"]))
    #: Headers the reader renamed (given twice, or blank), for the report's warnings.
    header_notes: list[str] = field(default_factory=list)


def read_table(path: Path) -> RawTable:
    """Read ``path`` (CSV/TSV or a GIS file) into a :class:`RawTable`.

    Raises
    ------
    InputError
        Whatever keeps katye from reading the file, each with its fix: the path check of
        :func:`katye.io.check_file`, a spreadsheet, an encoding, NUL bytes, broken quoting, a
        GIS file GDAL cannot read, an error of the disk.

    """
    path = katye_io.check_file(path, what=WHAT, expected=EXPECTED)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xls", ".ods"):
        raise InputError(
            f"{path}: katye reads CSV, not spreadsheets. In Excel use File > Save As > "
            "'CSV UTF-8 (Comma delimited)' and pass the .csv file."
        )
    if suffix in GEO_SUFFIXES:
        return _read_geo(path)
    try:
        return _read_csv(path)
    except OSError as exc:  # the disk or the share failed, or the file went away, while it was read
        raise katye_io.os_error(path, exc, what=WHAT) from exc


def _sniff(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _guess_encoding(path: Path) -> str:
    """Guess a text file's encoding from its first 64 KiB (:func:`katye.io.sniff_encoding`)."""
    with path.open("rb") as handle:
        sample = handle.read(katye_io.SAMPLE)
    return katye_io.sniff_encoding(sample, path=path, what="CSV", final=False)


def _not_text(path: Path) -> InputError:
    """The error for a file that does not decode: where the first byte that no encoding takes is."""
    return katye_io.not_text(path, katye_io.read_bytes(path, what=WHAT), what=WHAT)


def _header(path: Path, encoding: str) -> tuple[list[str], str, int, bool]:
    """The header's names, the delimiter, the lines up to the header, and whether lines end in LF.

    The last is True when the file's start has a line feed, no NUL byte, and the whole header:
    the quick reader may try the file (:mod:`katye.incidents.quick`).
    """
    with path.open("r", encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as handle:
        sample = handle.read(1 << 16)
    if not sample.strip():
        raise InputError(f"{path}: the file is empty. Expected a header row and incident rows.")
    if sample.startswith("\u00ef\u00bb\u00bf"):  # a UTF-8 BOM on a file that is otherwise cp1252
        sample = sample[3:]
    lines = sample.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    delimiter = _sniff(next((line for line in lines if line.strip()), ""))
    # newline="": a bare carriage return (old Mac files) ends a line too.
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    header: list[str] = []
    for header in reader:  # blank lines before the header are skipped (and counted)
        if any(cell.strip() for cell in header):
            break
    header_lines = reader.line_num
    plain = "\x00" not in sample and sample.count("\n") >= header_lines
    return [h.strip() for h in header], delimiter, header_lines, plain


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        name = name or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _read_csv(path: Path) -> RawTable:
    encoding = _guess_encoding(path)
    if encoding.startswith("utf-16"):
        return _read_utf16(path, encoding)
    try:
        try:
            return _read_csv_fast(path, encoding)
        except pa.ArrowInvalid as exc:
            if encoding == "utf-8" and "UTF8" in str(exc):
                # Valid UTF-8 at the start, not further on: a file saved by Excel in cp1252.
                return _read_csv_fast(path, "cp1252")
            raise
    except UnicodeDecodeError as exc:
        if encoding == "utf-8":
            # Valid UTF-8 for a while, then not: Excel's cp1252, if every byte is defined there.
            try:
                return _read_csv_fast(path, "cp1252")
            except UnicodeDecodeError:
                pass
        raise _not_text(path) from exc


def _read_utf16(path: Path, encoding: str) -> RawTable:
    """A UTF-16 file (Excel's "Unicode Text"), read through a UTF-8 copy; lines stay where they were."""
    with tempfile.TemporaryDirectory(prefix="katye-") as folder:
        copy = Path(folder) / "utf-8.csv"
        decoder = codecs.getincrementaldecoder(encoding)()
        offset = 0
        with path.open("rb") as source, copy.open("wb") as target:
            try:
                while chunk := source.read(BLOCK):
                    text = decoder.decode(chunk)
                    target.write((text.lstrip("\ufeff") if offset == 0 else text).encode("utf-8"))
                    offset += len(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                raise katye_io.not_utf16(path, encoding=encoding, at=offset + exc.start) from exc
        try:
            raw = _read_csv_fast(copy, "utf-8")
        except InputError as exc:
            raise InputError(str(exc).replace(str(copy), str(path))) from exc
    raw.encoding = encoding
    return raw


#: Bytes of text parsed at a time: the file is read batch by batch, never whole.
BLOCK = 1 << 21


def _csv_options(encoding: str, delimiter: str, names: list[str], skip: int, on_invalid=None) -> dict:
    return {
        "read_options": pacsv.ReadOptions(skip_rows=skip, column_names=names, encoding=encoding, block_size=BLOCK),
        "parse_options": pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
        ),
        "convert_options": pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
        ),
    }


def _batches(path: Path, options: dict):
    """The file's record batches; an empty file (a header and nothing else) gives none."""
    with _quiet_row_handler(), _source(path) as source:
        try:
            reader = pacsv.open_csv(source, **options)
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" in str(exc):
                return
            raise
        yield from reader


def _read_csv_fast(path: Path, encoding: str) -> RawTable:
    header, delimiter, header_lines, plain = _header(path, encoding)
    names = _dedupe(header)
    raw = None
    if plain and encoding == "utf-8" and len(names) > 1:
        raw = _read_csv_quickly(path, delimiter, header_lines, names)
    if raw is None:
        raw = _read_csv_named(path, encoding, delimiter, header_lines, names)
    raw.header_notes = _header_notes(header, names)
    return raw


def _header_notes(header: list[str], names: list[str]) -> list[str]:
    """What the reader had to rename: a header given twice, or left blank (said in the report)."""
    notes = []
    for written, name in zip(header, names, strict=True):
        if not written:
            notes.append(f"a column has no header: it is read as {name!r}")
        elif written != name:
            notes.append(f"the header {written!r} appears more than once: a later one is read as {name!r}")
    return notes


def _read_csv_quickly(path: Path, delimiter: str, header_lines: int, names: list[str]) -> RawTable | None:
    """The common file in one pass (:func:`katye.incidents.quick.read_quick`), or None."""
    with _source(path) as source:
        frame = read_quick(path, source, names, delimiter=delimiter, skip=header_lines, block=BLOCK, longest=MAX_FIELD)
    if frame is None:
        return None
    pa.default_memory_pool().release_unused()
    starts = header_lines + 1 + np.arange(len(frame), dtype=np.int64)
    return _drop_hxl(RawTable(frame, starts, "line", "utf-8", delimiter))


def _read_csv_named(path: Path, encoding: str, delimiter: str, header_lines: int, names: list[str]) -> RawTable:
    # First, whichever way the rows are read: it refuses binary files (NUL bytes) anywhere.
    breaks, eol = _newlines(path)
    malformed_rows: list = []

    def on_invalid(row):
        malformed_rows.append(row)
        return "skip"

    columns = [TextColumn() for _ in names]
    longest = (0, -1)  # the longest field seen (bytes) and its row
    rows = 0
    try:
        for batch in _batches(path, _csv_options(encoding, delimiter, names, header_lines, on_invalid)):
            if malformed_rows:
                break
            text_bytes = 0
            for column, values in zip(columns, batch.columns, strict=True):
                lengths = pc.binary_length(values).to_numpy(zero_copy_only=False)
                if lengths.size and lengths.max() > max(longest[0], MAX_FIELD):
                    longest = (int(lengths.max()), rows + int(np.argmax(lengths)))
                text_bytes += int(lengths.sum()) + 3 * len(lengths)  # the text, quotes and a delimiter
                column.add(values)
            if rows == 0 and batch.num_rows:
                # Room for the whole file at this batch's bytes per row, so columns rarely grow.
                expected = int(1.02 * path.stat().st_size * batch.num_rows / max(text_bytes, 1))
                for column in columns:
                    column.reserve(expected)
            rows += batch.num_rows
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc):
            raise
        return _read_csv_slowly(path, encoding, delimiter, names)
    if malformed_rows:
        # pyarrow does not say where a skipped row was; the csv module does.
        return _read_csv_slowly(path, encoding, delimiter, names)
    starts = header_lines + 1 + np.arange(rows, dtype=np.int64)
    if breaks > header_lines + rows:
        # Some values hold line breaks: shift each row by the breaks before it.
        embedded = _embedded_breaks(path, _csv_options(encoding, delimiter, names, header_lines), eol, rows)
        if header_lines + rows + int(embedded.sum()) != breaks:
            # Blank lines (which the fast reader skips without a trace): the csv module counts them.
            return _read_csv_slowly(path, encoding, delimiter, names)
        starts += np.concatenate(([0], np.cumsum(embedded)[:-1])).astype(np.int64)
        _check_quotes(path, _csv_options(encoding, delimiter, names, header_lines), embedded, starts, (delimiter, eol))
    if longest[1] >= 0:
        _too_long(path, longest, starts)
    frame = pd.DataFrame({name: column.finish() for name, column in zip(names, columns, strict=True)}, copy=False)
    # The batches are gone: hand their memory back, so what follows does not stack on top of it.
    pa.default_memory_pool().release_unused()
    return _drop_hxl(RawTable(frame, starts, "line", encoding, delimiter))


def _embedded_breaks(path: Path, options: dict, eol: str, rows: int) -> np.ndarray:
    """Line breaks inside each row's values (a second pass, only for files that have some)."""
    embedded = np.zeros(rows, dtype=np.int64)
    row = 0
    for batch in _batches(path, options):
        for values in batch.columns:
            embedded[row : row + batch.num_rows] += pc.count_substring(values, eol).to_numpy(zero_copy_only=False)
        row += batch.num_rows
    return embedded


@contextlib.contextmanager
def _source(path: Path):
    """The path for pyarrow, or an open file when the name is not valid UTF-8 (pyarrow cannot encode it)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        with path.open("rb") as handle:
            yield handle
        return
    yield path


@contextlib.contextmanager
def _quiet_row_handler():
    """Silence the "Exception ignored" noise pyarrow prints when a bad row's text is not UTF-8.

    pyarrow decodes a malformed row before handing it to the handler; when that fails it reports
    the error as unraisable and then fails the read, which katye answers by reading the file again
    (as cp1252, or line by line). The message would only confuse the user.
    """
    previous = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _newlines(path: Path) -> tuple[int, str]:
    """Count the line breaks in a file (a trailing line without one counts as one), and say which.

    A file with no line feed but carriage returns (old Mac files) breaks its lines on CR. A NUL byte
    anywhere, not only in the part the encoding was guessed from, makes the file binary: refused.
    """
    lf = cr = 0
    last = b"\n"
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            if b"\x00" in chunk:
                where = chunk.index(b"\x00")
                line = lf + chunk.count(b"\n", 0, where) + 1
                raise katye_io.nul_bytes(path, line=line, at=offset + where, what="CSV")
            lf += chunk.count(b"\n")
            if not lf:  # carriage returns matter only in a file without line feeds
                cr += chunk.count(b"\r")
            last = chunk[-1:]
            offset += len(chunk)
    if lf == 0 and cr:
        return cr + (last != b"\r"), "\r"
    return lf + (last != b"\n"), "\n"


#: The longest field katye reads; a longer one is an error, not gigabytes of memory.
MAX_FIELD = 1 << 20
#: The longest physical line katye reads (in characters); longer is an error, read no further.
MAX_LINE = 8 << 20


def _too_long(path: Path, longest: tuple[int, int], starts: np.ndarray) -> None:
    length, row = longest
    raise InputError(
        f"{path}: the row starting at line {starts[row]} holds a field of {length:,} bytes; katye reads "
        f"fields up to {MAX_FIELD // (1 << 20)} MiB. Check the quoting on that line, or split the field."
    )


def _check_quotes(path: Path, options: dict, embedded: np.ndarray, starts: np.ndarray, marks: tuple[str, str]) -> None:
    """Refuse a quote left open: one field then holds lines that look like rows of their own."""
    delimiter, eol = marks
    suspects = np.flatnonzero(embedded >= 2)
    if not suspects.size:
        return
    row = 0
    for batch in _batches(path, options):
        here = suspects[(suspects >= row) & (suspects < row + batch.num_rows)]
        if here.size:
            fields = batch.num_columns
            for values in batch.columns:
                local = pa.array(here - row)
                breaks = pc.count_substring(values.take(local), eol).to_numpy(zero_copy_only=False)
                seps = pc.count_substring(values.take(local), delimiter).to_numpy(zero_copy_only=False)
                swallowed = here[(breaks >= 2) & (seps >= max(fields - 1, 2) * 2)]
                if swallowed.size:
                    raise InputError(
                        f"{path}: a quote opened on the row starting at line {starts[swallowed[0]]} seems "
                        "never to be closed: one field runs over several lines that look like rows of "
                        'their own. Close the quote (or double a quote inside the text: "") and read '
                        "the file again."
                    )
        row += batch.num_rows


def _read_csv_slowly(path: Path, encoding: str, delimiter: str, names: list[str]) -> RawTable:
    rows = _SlowRows(len(names))
    lines: list[int] = []
    bad: list[dict] = []
    with path.open("r", encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as handle:
        reader = csv.reader(_bounded_lines(handle, path), delimiter=delimiter)
        previous = csv.field_size_limit(MAX_FIELD)
        state = {"start": 1}
        try:
            _slow_rows(reader, names, delimiter, rows, lines, bad, state)
        except csv.Error as exc:
            raise InputError(
                f"{path}: line {state['start']} cannot be read as CSV ({exc}; katye reads fields "
                f"up to {MAX_FIELD // (1 << 20)} MiB). Check the quoting on that line, or split the "
                "field."
            ) from exc
        finally:
            csv.field_size_limit(previous)
    frame = pd.DataFrame({name: column.finish() for name, column in zip(names, rows.finish(), strict=True)})
    raw = RawTable(frame, np.asarray(lines, dtype=np.int64), "line", encoding, delimiter)
    raw.malformed = pd.DataFrame(bad, columns=["line", "text", "detail"])
    return _drop_hxl(raw)


def _bounded_lines(handle, path: Path):
    """The file's physical lines, refusing one over ``MAX_LINE`` before it is read whole."""
    number = 0
    while line := handle.readline(MAX_LINE + 1):
        number += 1
        if len(line) > MAX_LINE:
            raise InputError(
                f"{path}: line {number} is longer than {MAX_LINE >> 20} MiB; katye reads lines up to "
                f"{MAX_LINE >> 20} MiB and fields up to {MAX_FIELD >> 20} MiB. Check the quoting and "
                "line endings on that line, or split it."
            )
        yield line


class _SlowRows:
    """Rows from the csv module, moved into compact columns every ``CHUNK`` rows."""

    CHUNK = 50_000

    def __init__(self, width: int) -> None:
        self.columns = [TextColumn() for _ in range(width)]
        self.pending: list[list[str]] = []

    def append(self, record: list[str]) -> None:
        self.pending.append(record)
        if len(self.pending) >= self.CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            for column, values in zip(self.columns, zip(*self.pending, strict=True), strict=True):
                column.add(pa.array(values, type=pa.string()))
        self.pending = []

    def finish(self) -> list[TextColumn]:
        self._flush()
        return self.columns


def _slow_rows(reader, names, delimiter, rows, lines, bad, state) -> None:
    header: list[str] = []
    for header in reader:  # blank lines before the header, then the header
        if any(cell.strip() for cell in header):
            break
    start = state["start"] = reader.line_num + 1
    for record in reader:
        if len(record) == len(names):
            rows.append(record)
            lines.append(start)
        elif any(cell.strip() for cell in record):
            bad.append(
                {
                    "line": start,
                    "text": delimiter.join(record),
                    "detail": f"expected {len(names)} fields, found {len(record)}",
                }
            )
        start = state["start"] = reader.line_num + 1


def _drop_hxl(raw: RawTable) -> RawTable:
    """Drop an HDX hashtag row (``#event+id``, ``#date`` …) under the header: it is not an incident."""
    if len(raw.frame) == 0:
        return raw
    first = raw.frame.iloc[0].astype(str).str.strip()
    filled = first[first != ""]
    if len(filled) and filled.str.startswith("#").mean() >= 0.5:
        raw.frame = raw.frame.iloc[1:].reset_index(drop=True)
        raw.lines = raw.lines[1:]
        raw.hxl = True
    return raw


def _read_geo(path: Path) -> RawTable:
    frame = katye_io.read_layer(path, what=WHAT, expected=EXPECTED, geometry=False)
    if not isinstance(frame, gpd.GeoDataFrame):  # a plain Parquet table with no geometry column
        return RawTable(frame.astype("string"), np.arange(1, len(frame) + 1), "row")
    geometry = frame.geometry if frame.geometry.name in frame.columns else None
    table = pd.DataFrame(frame.drop(columns=[frame.geometry.name])) if geometry is not None else frame
    return RawTable(
        table.reset_index(drop=True),
        np.arange(1, len(frame) + 1),
        "feature",
        geometry=geometry.reset_index(drop=True) if geometry is not None else None,
    )
