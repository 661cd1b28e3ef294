"""One way in for every file katye reads: the path check, the text encodings, the formats.

Every reader (incidents, area layers, control and actor tables, katye's shipped layers) goes
through here, so a bad file gives the same kind of answer wherever it is passed: katye's
:class:`~katye.errors.InputError` (exit code 2 in the CLI) naming the file, what was expected
and the fix, never a traceback.

* :func:`check_file`: the path exists, is a regular file and may be read.
* :func:`sniff_encoding`, :func:`decode_text`: UTF-8 (with or without BOM), UTF-16 (with a BOM,
  or Excel's "Unicode Text" without one), else Windows-1252; NUL bytes anywhere else are an
  error naming their line.
* :func:`read_text_table`: a small CSV table users bring (control, actors), each row with its line.
* :func:`read_layer`: a vector file (GeoJSON, GeoPackage, Shapefile, FlatGeobuf, GeoParquet).
* :func:`read_shipped`, :func:`shipped`: katye's own files; a failure says to reinstall or rebuild.

Only the standard library is imported here at module level: the CLI checks paths with this
module before it loads pandas or geopandas.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import errno
import io
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from katye.errors import InputError, KatyeError, at_rows

if TYPE_CHECKING:
    import pandas as pd

#: Bytes of a text file :func:`sniff_encoding` looks at to choose its encoding.
SAMPLE = 1 << 16
#: Bytes that Windows-1252 leaves undefined: a file holding them is neither UTF-8 nor cp1252 text.
CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"
#: Vector formats read with GeoPandas' Parquet reader rather than GDAL.
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
#: Vector formats that are JSON text: read again as Windows-1252 when they are not UTF-8.
JSON_SUFFIXES = (".geojson", ".json")
#: Formats stored as a folder, which :func:`read_layer` accepts in place of a file.
FOLDER_FORMATS = (".gdb",)
#: The fix for a save that katye cannot read as text.
SAVE_AS_CSV = "save it as 'CSV UTF-8 (Comma delimited)'"
#: The fix for katye's own files when they are missing or damaged.
REINSTALL = (
    "Reinstall katye (`pip install .` from the repository root); in a source checkout, rebuild the "
    "gazetteer with `python geodata/build.py`, or restore the file from git."
)


# --- the path ------------------------------------------------------------------------------------------


def check_file(path: str | os.PathLike[str], *, what: str, expected: str, folders: tuple[str, ...] = ()) -> Path:
    """Check that ``path`` is a file katye can read, before anything opens it.

    Parameters
    ----------
    path
        The path the user gave.
    what
        What the file should be, for the message: ``"incident file"``, ``"control table"`` …
    expected
        The formats (and columns) katye expects there, for the message: ``"a CSV with the
        columns zone_id, as_of, status"``.
    folders
        Suffixes of formats stored as a folder (``(".gdb",)``): such a folder passes.

    Returns
    -------
    pathlib.Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    InputError
        The path does not exist, is a folder, a pipe, a device or a socket, or may not be read;
        the message names the path, the ``what`` and the fix.

    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(
            f"{path}: no such file. Check the path and try again; katye expects the {what} there ({expected})."
        ) from None
    except PermissionError:
        raise _not_allowed(path, what) from None
    except (OSError, ValueError) as exc:  # a name too long, a NUL in the name, a loop of links …
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(
            f"{path}: katye cannot open this path ({reason}). Check the path; katye expects the {what} "
            f"there ({expected})."
        ) from None
    if stat.S_ISDIR(mode):
        if path.suffix.lower() in folders:
            return path
        raise InputError(f"{path}: is a folder; give the {what} inside it ({expected}).")
    if not stat.S_ISREG(mode):
        raise InputError(
            f"{path}: is not a regular file (a pipe, a device or a socket); katye reads files. Save the "
            f"{what} to a file first."
        )
    if not os.access(path, os.R_OK):
        raise _not_allowed(path, what)
    return path


def _not_allowed(path: Path, what: str) -> InputError:
    return InputError(
        f"{path}: katye is not allowed to read this file (permission denied). Make the {what} readable "
        "(chmod u+r), or copy it somewhere you may read."
    )


def os_error(path: Path, exc: OSError, *, what: str) -> InputError:
    """The error for an :class:`OSError` met while reading ``path`` (a disk error, a file removed …)."""
    if isinstance(exc, PermissionError):
        return _not_allowed(path, what)
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return InputError(f"{path}: the file went away while katye was reading it. Check the path and try again.")
    reason = exc.strerror or str(exc) or type(exc).__name__
    return InputError(
        f"{path}: katye could not read the {what} ({reason}). Check the disk or the network share, or copy "
        "the file somewhere local and try again."
    )


def read_bytes(path: Path, *, what: str) -> bytes:
    """The bytes of ``path``, an :class:`OSError` becoming katye's error."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise os_error(path, exc, what=what) from exc


# --- text ----------------------------------------------------------------------------------------------


def nul_bytes(path: Path, *, line: int, at: int, what: str) -> InputError:
    """The error for a file holding a NUL byte (first at ``line``, byte offset ``at``)."""
    return InputError(
        f"{path}: holds NUL bytes (the first at line {line}, byte {at}): it is not a text {what} (a "
        f"spreadsheet, a database or a damaged file?). Open it in a spreadsheet and {SAVE_AS_CSV}."
    )


def not_text(path: Path, data: bytes, *, what: str) -> InputError:
    """The error for bytes that are neither UTF-8 nor Windows-1252, naming the first bad byte."""
    at = min((i for i in (data.find(bytes([b])) for b in CP1252_UNDEFINED) if i >= 0), default=-1)
    line = data[:at].count(b"\n") + 1
    where = f" (byte 0x{data[at]:02X} at line {line}, byte offset {at})" if at >= 0 else ""
    return InputError(
        f"{path}: is not text in UTF-8 or Windows-1252{where}. The file is damaged, cut short, or not a "
        f"CSV; open the {what} in a spreadsheet and {SAVE_AS_CSV}."
    )


def not_utf16(path: Path, *, encoding: str, at: int) -> InputError:
    """The error for a file that starts as UTF-16 and stops decoding at byte ``at``."""
    return InputError(
        f"{path}: looks like UTF-16 but does not decode as {encoding} at byte {at}: the file is damaged or "
        f"cut short. Open it in a spreadsheet and {SAVE_AS_CSV}."
    )


#: Compressed files a user may hand over as they downloaded them: what they are and what to do.
ARCHIVES = (
    (b"\x1f\x8b", "gzip-compressed file (.gz)", "Decompress it first (gunzip, or 7-Zip on Windows) and give the CSV."),
    (
        b"PK\x03\x04",
        "ZIP archive (or a spreadsheet, which is one)",
        "Extract the CSV from it first, or save the spreadsheet as 'CSV UTF-8', and give that file.",
    ),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive", "Extract the CSV from it first and give that file."),
)


def sniff_encoding(sample: bytes, *, path: Path, what: str, final: bool = True) -> str:
    """The encoding of a text file, from its first bytes (or all of them).

    Parameters
    ----------
    sample
        The start of the file (:data:`SAMPLE` bytes are plenty), or the whole file.
    path, what
        The file and what it should be, for the message.
    final
        True when ``sample`` is the whole file; False when it may end inside a character.

    Returns
    -------
    str
        ``"utf-16"`` (a BOM), ``"utf-16-le"`` / ``"utf-16-be"`` (every other byte NUL: Excel's
        "Unicode Text" without its BOM), ``"utf-8"`` when the sample decodes as UTF-8 (with or
        without BOM; decode with ``"utf-8-sig"``), else ``"cp1252"`` (Excel's Windows text).

    Raises
    ------
    InputError
        NUL bytes in any other pattern: a binary file. The message names the first one's line.

    """
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for magic, kind, fix in ARCHIVES:
        if sample.startswith(magic):
            raise InputError(f"{path}: is a {kind}, not a text {what}. {fix}")
    if b"\x00" in sample:
        even, odd = sample[0::2], sample[1::2]
        if odd and odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even and even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
        at = sample.index(b"\x00")
        raise nul_bytes(path, line=sample[:at].count(b"\n") + 1, at=at, what=what)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=final)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode_text(data: bytes, *, path: Path, what: str) -> tuple[str, str]:
    """Decode a whole text file the way :func:`sniff_encoding` reads it.

    Parameters
    ----------
    data
        The file's bytes.
    path, what
        The file and what it should be, for the message.

    Returns
    -------
    tuple of str
        The text (without a byte-order mark) and the encoding it was read in.

    Raises
    ------
    InputError
        NUL bytes (outside UTF-16), bytes that no encoding takes, UTF-16 cut short; each message
        names the line or byte.

    """
    encoding = sniff_encoding(data, path=path, what=what)  # all of data: NUL bytes anywhere are refused
    try:
        text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as exc:
        if encoding.startswith("utf-16"):
            raise not_utf16(path, encoding=encoding, at=exc.start) from exc
        raise not_text(path, data, what=what) from exc
    if encoding == "cp1252" and text.startswith("\u00ef\u00bb\u00bf"):  # a UTF-8 BOM on cp1252 text
        text = text[3:]
    return text.lstrip("\ufeff"), encoding


def read_text_table(
    path: str | os.PathLike[str], *, what: str, columns: tuple[str, ...], expected: str | None = None
) -> pd.DataFrame:
    """Read a small CSV table users bring (a control or actor table), each row with its line.

    Parameters
    ----------
    path
        The CSV: UTF-8 (with or without BOM), UTF-16 or Windows-1252, ``,``-separated. Blank lines
        are skipped and counted; a quoted field may span lines.
    what
        What the table is, for messages: ``"control table"``.
    columns
        The columns katye expects, for messages.
    expected
        The formats katye takes there, for the path check's message; default "a CSV with the
        columns …".

    Returns
    -------
    pandas.DataFrame
        Every value as text, the header as written, indexed by each row's first physical line.

    Raises
    ------
    InputError
        A path that is not a readable file, an encoding katye cannot read, NUL bytes, an empty
        file, a column named twice (ignoring case), rows with the wrong number of fields, broken
        quoting; the message names the file and the line.

    """
    import pandas as pd

    expected = expected or f"a CSV with the columns {', '.join(columns)}"
    path = check_file(path, what=what, expected=expected)
    text, _ = decode_text(read_bytes(path, what=what), path=path, what=what)
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"{path}: line {start} cannot be read as CSV ({exc}). Check its quotes.") from exc
    if not records:
        raise InputError(f"{path}: the {what} is empty. Expected a header ({', '.join(columns)}) and rows.")
    (_, header), body = records[0], records[1:]
    names = [name.strip().lower() for name in header]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InputError(f"{path}: column(s) {', '.join(twice)} appear twice in the header. Keep one of each.")
    ragged = [line for line, row in body if len(row) != len(header)]
    if ragged:
        raise InputError(
            f"{path}: {at_rows(ragged, unit='line')} do not have the header's {len(header)} fields. "
            "Quote values that contain commas."
        )
    frame = pd.DataFrame([row for _, row in body], columns=header, dtype=str)
    frame.index = pd.Index([line for line, _ in body], dtype="int64")
    return frame


# --- vector layers -------------------------------------------------------------------------------------


def _reason(exc: BaseException) -> str:
    """An exception as a short reason: its text, or its type when it has none."""
    text = str(exc).strip()
    return text if text and text not in ("None", "''") else type(exc).__name__


def read_layer(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    what: str,
    expected: str,
    geometry: bool = True,
) -> pd.DataFrame:
    """Read a vector file (GeoJSON, GeoPackage, Shapefile, FlatGeobuf, GeoParquet …) a user gave.

    Parameters
    ----------
    path
        The file (a File Geodatabase folder, ``.gdb``, passes too).
    layer
        The layer inside a multi-layer file such as a GeoPackage (default: the first).
    what
        What the file should be, for messages: ``"area layer"``.
    expected
        The formats (and contents) katye expects, for messages: ``"GeoJSON, GeoPackage,
        Shapefile or GeoParquet with polygons"``.
    geometry
        True: the file must have geometries. False: a table without them (a plain Parquet file,
        a CSV) is returned as a DataFrame.

    Returns
    -------
    pandas.DataFrame
        A :class:`geopandas.GeoDataFrame` when the file has geometries (always, with
        ``geometry=True``), else a plain DataFrame.

    Raises
    ------
    InputError
        The path check fails (:func:`check_file`), or GDAL, pyogrio or pyarrow cannot read the
        file, whatever their error (each driver raises its own kinds); or ``geometry`` is True and
        the file has none. A GeoJSON in Windows-1252 (not UTF-8, as GeoJSON must be) is read.

    """
    import geopandas as gpd

    path = check_file(path, what=what, expected=expected, folders=FOLDER_FORMATS)
    try:
        frame = _read_vector(path, layer=layer, geometry=geometry)
    except MemoryError:
        raise
    except Exception as exc:  # pyogrio, pyarrow, shapely and GDAL's drivers each fail their own way
        if isinstance(exc, OSError) and exc.errno is not None:  # the system's error, not the format's
            raise os_error(path, exc, what=what) from exc
        retried = _read_json_as_cp1252(path, layer=layer, what=what)
        if retried is None:
            raise InputError(
                f"{path}: katye could not read this {what} ({_reason(exc)}). Expected {expected}."
            ) from exc
        frame = retried
    if geometry and not (isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns):
        raise InputError(f"{path}: has no geometries, so it cannot be the {what}. Expected {expected}.")
    return frame


def _read_vector(path: Path, *, layer: str | None, geometry: bool) -> pd.DataFrame:
    import geopandas as gpd
    import pandas as pd

    if path.suffix.lower() in PARQUET_SUFFIXES:
        try:
            return gpd.read_parquet(path)
        except ValueError:
            if geometry:
                raise
            return pd.read_parquet(path)  # a plain Parquet table, without GeoParquet metadata
    return gpd.read_file(path, layer=layer, engine="pyogrio")


def _read_json_as_cp1252(path: Path, *, layer: str | None, what: str) -> pd.DataFrame | None:
    """A GeoJSON that failed because it is Windows-1252 rather than UTF-8, read from a UTF-8 copy."""
    import geopandas as gpd

    if path.suffix.lower() not in JSON_SUFFIXES or not path.is_file():
        return None
    data = read_bytes(path, what=what)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return None  # UTF-8: the failure was something else
    try:
        text, _ = decode_text(data, path=path, what=what)
        return gpd.read_file(text.encode("utf-8"), layer=layer, engine="pyogrio")
    except MemoryError:
        raise
    except Exception:
        return None


# --- katye's own files ---------------------------------------------------------------------------------


def shipped_error(path: Path, exc: BaseException) -> InputError:
    """The error for one of katye's own files that is missing or cannot be read.

    The reason is ``exc``'s first sentence: the fix a reader's message offers a user (save as
    CSV …) is not the fix for katye's own file, which is to reinstall or rebuild.
    """
    reason = _reason(exc)
    if isinstance(exc, KatyeError):  # its message names the file already, then gives a user's fix
        reason = re.split(r"(?<=[.?!)])\s+(?=[A-Z])", reason.removeprefix(f"{path}: "), maxsplit=1)[0]
        reason = reason.removesuffix(".")
    return InputError(
        f"{path}: katye's shipped data cannot be read ({reason}): the installation is damaged or "
        f"incomplete. {REINSTALL}"
    )


@contextlib.contextmanager
def shipped(path: Path) -> Iterator[Path]:
    """Turn any failure while reading katye's own file ``path`` into :func:`shipped_error`.

    Examples
    --------
    >>> with shipped(folder / "actors.csv") as source:  # doctest: +SKIP
    ...     table = read_actors(source)

    """
    try:
        yield path
    except MemoryError:
        raise
    except Exception as exc:  # whatever broke, the fix is the same: reinstall or rebuild
        raise shipped_error(path, exc) from exc


def read_shipped(path: Path, *, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read one of katye's own files: a layer (GeoJSON …) or a table (UTF-8 CSV, every value text).

    Parameters
    ----------
    path
        The file, in :func:`katye.geodata.data_dir`.
    columns
        Columns the file must have.

    Returns
    -------
    pandas.DataFrame
        A :class:`geopandas.GeoDataFrame` for a layer, a DataFrame of text for a ``.csv`` table.

    Raises
    ------
    InputError
        The file is missing, damaged or not what katye wrote (a layer without geometries, a
        column missing); the message says to reinstall katye or rebuild the gazetteer.

    """
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    table = path.suffix.lower() == ".csv"
    try:
        if table:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        else:
            frame = pyogrio.read_dataframe(path)
    except MemoryError:
        raise
    except Exception as exc:  # whatever broke, the fix is the same: reinstall or rebuild
        raise shipped_error(path, exc) from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns[:10])) or "none"
        raise shipped_error(path, ValueError(f"no column {', '.join(missing)}; its columns: {found}"))
    if not table and not isinstance(frame, gpd.GeoDataFrame):
        raise shipped_error(path, ValueError("no geometries"))
    return frame
