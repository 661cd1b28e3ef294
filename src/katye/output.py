"""Write tables and layers to files, the format chosen by the file's extension.

Every writer goes through a temporary file in the target folder and an atomic
rename, so an interrupted run never leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd

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
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def format_for(path: str | os.PathLike, *, allowed=tuple(FORMATS)) -> str:
    """The format name for ``path``'s extension, or a :class:`UsageError` listing the choices."""
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        choices = ", ".join(sorted(allowed))
        raise UsageError(
            f"{path}: katye cannot tell the output format from the extension {suffix or '(none)'!r}. "
            f"Use one of {choices}."
        )
    return FORMATS[suffix]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL refuse to open an existing empty file
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where text cells that a spreadsheet would run as a formula start with ``'``."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        text = series.astype("string")
        # A plain number such as -72.3 is data, not a formula: leave it readable as a number.
        number = text.str.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?").fillna(False)
        risky = text.str.startswith(FORMULA_STARTS).fillna(False) & ~number
        if risky.any():
            out[column] = series.where(~risky, "'" + text)
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
            neutralise_formulas(table).to_csv(tmp, index=False, encoding="utf-8")
        elif fmt == "GeoParquet":
            frame.to_parquet(tmp, index=False)
        else:
            driver = {"GeoJSON": "GeoJSON", "GeoPackage": "GPKG"}[fmt]
            frame.to_file(tmp, driver=driver, layer=layer or target.stem, engine="pyogrio")
    return target
