"""Write tables and layers to files, the format chosen by the file's extension.

Every writer goes through a temporary file in the target folder and an atomic
rename, so an interrupted run never leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio

from katye.errors import UsageError

FORMATS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
    ".csv": "CSV",
}
#: Spreadsheet programs run a cell that starts with one of these as a formula.


def format_for(path: str | os.PathLike) -> str:
    """The format name for ``path``'s extension, or a :class:`UsageError` listing the choices."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        choices = ", ".join(sorted(FORMATS))
        raise UsageError(
            f"{path}: katye cannot tell the output format from the extension {suffix or '(none)'!r}. "
            f"Use one of {choices}."
        )
    return FORMATS[suffix]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    An existing target keeps its permissions, and a symlink is written through to the file it points
    to (the link stays a link). A path katye cannot write is a :class:`UsageError` naming it.
    """
    target = Path(path)
    mode = None
    try:
        if target.is_symlink():
            target = target.resolve()
        if target.exists():
            if not target.is_file():
                raise UsageError(
                    f"{path}: exists and is not a regular file (a folder or a device); choose a file name."
                )
            mode = stat.S_IMODE(target.stat().st_mode)
        target.parent.mkdir(parents=True, exist_ok=True)
        # A short temporary name: the target's own may already be near the 255-byte limit.
        fd, tmp = tempfile.mkstemp(prefix=".katye-", suffix=target.suffix[:16], dir=target.parent)
    except OSError as exc:
        raise UsageError(
            f"{path}: katye cannot write there ({exc.strerror or exc}). Choose a folder you can write "
            "to, with a shorter name."
        ) from exc
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL refuse to open an existing empty file
    try:
        yield Path(tmp)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def refuse_overwriting_inputs(outputs, inputs) -> None:
    """A :class:`UsageError` when an output path is one of the input files (it would replace it)."""
    sources = {_same_file_key(p) for p in inputs if p}
    for output in outputs:
        if output and _same_file_key(output) in sources:
            raise UsageError(
                f"{output}: is also an input file; writing it would replace your data. Choose another output name."
            )


def _same_file_key(path) -> str:
    return os.path.realpath(os.fspath(path))


#: What a spreadsheet may skip before a formula sign: white space, control characters and invisible
#: ones (zero-width spaces, BOM, DEL).
_SKIPPED = r"[\s\x00-\x1f\x7f\x{200b}-\x{200f}\x{2060}\x{feff}]"


def _risky(text: pd.Series) -> pd.Series:
    """True where a spreadsheet could run the text, or one of its lines, as a formula.

    Leading white space and control characters are skipped first (``" =1+1"``, ``"\\t=1+1"``), and
    every line of a multi-line cell counts. A plain number such as -72.3 is data, not a formula.
    """
    # One arrow pass finds the few cells with a formula sign at the start of some line; only those
    # are split into lines and checked for plain numbers.
    values = pa.array(text.astype("string[pyarrow]"))
    signed = pc.match_substring_regex(values, f"(^|[\\r\\n]){_SKIPPED}*[=+\\-@]")
    number = pc.match_substring_regex(values, f"^{_SKIPPED}*[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?$")
    candidates = pc.fill_null(pc.and_not(signed, number), False).to_numpy(zero_copy_only=False)
    out = pd.Series(False, index=text.index)
    if not candidates.any():
        return out
    picked = text[candidates]
    lines = picked.str.split(r"[\r\n]", regex=True).explode()
    stripped = lines.str.replace(r"^[\s\x00-\x1f\x7f\u200b-\u200f\u2060\ufeff]+", "", regex=True)
    number = stripped.str.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?").fillna(False)
    formula = stripped.str.startswith(tuple("=+-@")).fillna(False) & ~number
    out[picked.index] = formula.groupby(level=0).any().reindex(picked.index, fill_value=False).to_numpy()
    return out


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where text cells and headers that a spreadsheet would run as a formula start with ``'``."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype("string")
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        text = series.astype("string").reset_index(drop=True)
        risky = _risky(text).to_numpy(dtype=bool)
        if risky.any():
            out[column] = series.where(~risky, "'" + series.astype("string"))
    names = pd.Series([str(c) for c in out.columns], dtype="string")
    risky_names = _risky(names).to_numpy(dtype=bool)
    if risky_names.any():
        out.columns = ["'" + n if r else n for n, r in zip(names, risky_names, strict=True)]
    return out


def write_frame(frame: pd.DataFrame, path: str | os.PathLike, *, layer: str | None = None) -> Path:
    """Write ``frame`` to ``path`` in the format its extension names.

    Parameters
    ----------
    frame
        A DataFrame or GeoDataFrame. Geometry goes to CSV as WKT in a ``geometry`` column.
    path
        Target file: ``.csv``, ``.geojson``/``.json``, ``.gpkg``, ``.parquet``/``.geoparquet``.
    layer
        The layer name inside a GeoPackage (default: the file's stem).

    Returns
    -------
    Path
        The path written.

    """
    fmt = format_for(path)
    target = Path(path)
    is_geo = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns
    if fmt != "CSV" and not is_geo:
        raise UsageError(f"{target}: {fmt} needs geometries; write this table to a .csv file instead.")
    with atomic_path(target) as tmp:
        if fmt == "CSV":
            table = pd.DataFrame(frame)
            if is_geo:
                table[frame.geometry.name] = frame.geometry.to_wkt()
            # CRLF rows (RFC 4180): a cell holding a bare carriage return or a line break is then
            # quoted, so no spreadsheet reads a new row out of it.
            neutralise_formulas(table).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\r\n")
        elif fmt == "GeoParquet":
            frame.to_parquet(tmp, index=False)
        else:
            driver = {"GeoJSON": "GeoJSON", "GeoPackage": "GPKG"}[fmt]
            # GeoPackages record when they were written; a fixed date keeps same inputs, same bytes.
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
            cast(gpd.GeoDataFrame, frame).to_file(tmp, driver=driver, layer=layer or target.stem, engine="pyogrio")
    return target
