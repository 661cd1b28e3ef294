"""Population grids: reading a GeoTIFF window, exact zonal sums, sums within a radius of points.

Zonal sums are exact by pixel fraction: each pixel counts in proportion to the share of its area
that the polygon covers (the rule exactextract follows). Zones that tile an area therefore share
every pixel between them and their sums add up to the grid's total over the area, whatever their
size; the pixel-centre rule (a pixel counts wholly in the zone holding its centre, rasterstats'
default) is offered for comparison.

The coverage of a polygon over a grid is worked out from its edges (Green's theorem): in pixel
units, with ``x`` the column and ``y`` the row, the area of the polygon left of ``X`` within a row
strip is the integral of ``min(x, X) dy`` around its boundary. Cut at every grid line, each piece
of edge gives the cell it crosses ``dy * (mean x - column)`` and every cell left of it ``dy``; a
sum from the right along each row finishes the job. It is exact up to rounding, costs one pass
over the edge pieces and the cells of the polygon's bounding box, and needs nothing but numpy.

rasterio is imported on use (``pip install "katye[population]"``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import CRS

from katye.errors import CRSError, InputError, UsageError

#: What the grid should be, for messages.
GRID_EXPECTED = "a single-band GeoTIFF of people per pixel with a CRS (WorldPop, HRSL …)"
#: Pixels may poke out of the grid by this much (pixel units) and still count as covered: rounding.
EDGE_TOLERANCE = 1e-6


def rasterio_module():
    """rasterio, or a :class:`UsageError` that says how to install it."""
    try:
        import rasterio
    except ImportError:
        raise UsageError(
            "reading a population grid needs rasterio, which is not installed. Install it with: "
            'pip install "katye[population]"'
        ) from None
    return rasterio


@dataclass
class Grid:
    """A window of a population grid: people per pixel (nodata read as 0) and where it lies."""

    values: np.ndarray
    #: The affine transform of the window: (a, b, c, d, e, f) as rasterio's Affine.
    transform: tuple[float, float, float, float, float, float]
    crs: CRS
    #: The whole grid's size in pixels (height, width) and the window's offset in it (row, col).
    full_shape: tuple[int, int]
    offset: tuple[int, int]
    path: str
    #: Pixels of the window that held nodata (or NaN) and were read as 0 people.
    nodata_pixels: int = 0

    @property
    def pixel_size(self) -> tuple[float, float]:
        """Width and height of a pixel in the grid's CRS units."""
        return abs(self.transform[0]), abs(self.transform[4])

    def to_full_pixels(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates in the grid's CRS as (column, row) in pixel units of the whole grid."""
        col, row = self.to_pixels(x, y)
        return col + self.offset[1], row + self.offset[0]

    def to_pixels(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates in the grid's CRS as (column, row) in pixel units of this window."""
        a, _, c, _, e, f = self.transform
        return (np.asarray(x, dtype=float) - c) / a, (np.asarray(y, dtype=float) - f) / e


def open_grid(path: str | os.PathLike) -> tuple[Any, CRS]:
    """Open a population GeoTIFF and check it: a CRS, no rotation. Returns (dataset, CRS)."""
    from katye.io import check_file

    rasterio = rasterio_module()
    path = check_file(path, what="population grid", expected=GRID_EXPECTED)
    try:
        dataset = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(
            f"{path}: katye could not read this population grid ({exc}). Expected {GRID_EXPECTED}."
        ) from exc
    if dataset.crs is None:
        dataset.close()
        raise CRSError(
            f"{path}: the population grid has no coordinate reference system. katye does not guess one: "
            "set it (e.g. gdal_edit.py -a_srs EPSG:4326 FILE) and try again."
        )
    transform = dataset.transform
    if transform.b != 0 or transform.d != 0:
        dataset.close()
        raise InputError(
            f"{path}: the grid is rotated (its transform has shear terms); katye reads north-up grids. "
            "Warp it first (gdalwarp FILE north-up.tif)."
        )
    return dataset, CRS.from_user_input(dataset.crs.to_wkt())


def read_window(dataset, crs: CRS, bounds: tuple[float, float, float, float], *, margin: int = 1) -> Grid:
    """The pixels of ``dataset`` over ``bounds`` (in its CRS) plus ``margin`` pixels, clipped to the grid."""
    rasterio = rasterio_module()
    transform = dataset.transform
    a, _, c, _, e, f = transform.a, transform.b, transform.c, transform.d, transform.e, transform.f
    xs = (np.array([bounds[0], bounds[2]]) - c) / a
    ys = (np.array([bounds[1], bounds[3]]) - f) / e
    col0 = max(math.floor(xs.min()) - margin, 0)
    col1 = min(math.ceil(xs.max()) + margin, dataset.width)
    row0 = max(math.floor(ys.min()) - margin, 0)
    row1 = min(math.ceil(ys.max()) + margin, dataset.height)
    if col1 <= col0 or row1 <= row0:
        values = np.zeros((0, 0))
        nodata = 0
    else:
        window = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
        band = dataset.read(1, window=window, masked=True)
        values = np.asarray(band.filled(0), dtype=np.float64)
        missing = np.ma.getmaskarray(band) | ~np.isfinite(values)
        nodata = int(missing.sum())
        values[missing] = 0.0
        negative = values < 0
        if negative.any():
            row, col = np.argwhere(negative)[0]
            raise InputError(
                f"{dataset.name}: {int(negative.sum()):,} pixels hold a negative number of people (e.g. "
                f"{values[row, col]:g} at row {row + row0}, column {col + col0}). Set the grid's nodata value "
                "(gdal_edit.py -a_nodata VALUE FILE) if that number marks missing data."
            )
    window_transform = (a, 0.0, c + col0 * a, 0.0, e, f + row0 * e)
    return Grid(
        values=values,
        transform=window_transform,
        crs=crs,
        full_shape=(dataset.height, dataset.width),
        offset=(row0, col0),
        path=str(dataset.name),
        nodata_pixels=nodata,
    )


# --- exact coverage ----------------------------------------------------------------------------------


def _oriented_edges(geometry, to_pixels) -> tuple[np.ndarray, ...]:
    """The polygon's edges in pixel units, exteriors positive (counter-clockwise in x, y) and holes negative."""
    starts, ends = [], []
    for part in shapely.get_parts(geometry):
        if part.is_empty or part.geom_type != "Polygon":
            continue
        for k, ring in enumerate([part.exterior, *part.interiors]):
            coords = np.asarray(ring.coords, dtype=float)
            x, y = to_pixels(coords[:, 0], coords[:, 1])
            signed = 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))
            # Exterior rings add area, holes take it away, whatever the file's winding or the axes' flip.
            if (signed < 0) == (k == 0):
                x, y = x[::-1], y[::-1]
            starts.append(np.column_stack([x[:-1], y[:-1]]))
            ends.append(np.column_stack([x[1:], y[1:]]))
    if not starts:
        empty = np.zeros(0)
        return empty, empty, empty, empty
    a, b = np.concatenate(starts), np.concatenate(ends)
    return a[:, 0], a[:, 1], b[:, 0], b[:, 1]


def _crossings(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each span (lo, hi), the integers strictly inside it: (span index, integer)."""
    first = np.floor(lo) + 1
    last = np.ceil(hi) - 1
    count = np.maximum(last - first + 1, 0).astype(np.int64)
    which = np.repeat(np.arange(len(lo)), count)
    step = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return which, first[which] + step


def coverage(geometry, to_pixels) -> tuple[int, int, np.ndarray]:
    """Exact fraction of each pixel that ``geometry`` covers, over the pixels of its bounding box.

    Parameters
    ----------
    geometry
        A shapely polygon or multipolygon, in the grid's CRS.
    to_pixels
        Maps grid-CRS ``(x, y)`` arrays to ``(column, row)`` in pixel units.

    Returns
    -------
    tuple
        ``(row0, col0, fractions)``: the first row and column of the box and a 2-D array of
        fractions in [0, 1] (an empty array for an empty polygon).

    """
    x0, y0, x1, y1 = _oriented_edges(geometry, to_pixels)
    if not len(x0):
        return 0, 0, np.zeros((0, 0))
    col0 = math.floor(min(x0.min(), x1.min()))
    row0 = math.floor(min(y0.min(), y1.min()))
    width = max(math.ceil(max(x0.max(), x1.max())) - col0, 1)
    height = max(math.ceil(max(y0.max(), y1.max())) - row0, 1)
    x0, x1, y0, y1 = x0 - col0, x1 - col0, y0 - row0, y1 - row0
    # Cut each edge where it crosses a grid line: parameters t in (0, 1) along the edge.
    dx, dy = x1 - x0, y1 - y0
    edge_x, at_x = _crossings(np.minimum(x0, x1), np.maximum(x0, x1))
    edge_y, at_y = _crossings(np.minimum(y0, y1), np.maximum(y0, y1))
    edge = np.concatenate([np.arange(len(x0)), np.arange(len(x0)), edge_x, edge_y])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.concatenate(
            [np.zeros(len(x0)), np.ones(len(x0)), (at_x - x0[edge_x]) / dx[edge_x], (at_y - y0[edge_y]) / dy[edge_y]]
        )
    order = np.lexsort((t, edge))
    edge, t = edge[order], t[order]
    same = edge[1:] == edge[:-1]
    e, ta, tb = edge[:-1][same], t[:-1][same], t[1:][same]
    xa, xb = x0[e] + ta * dx[e], x0[e] + tb * dx[e]
    ya, yb = y0[e] + ta * dy[e], y0[e] + tb * dy[e]
    rise = yb - ya
    keep = rise != 0  # a flat piece adds nothing
    xa, xb, ya, yb, rise = xa[keep], xb[keep], ya[keep], yb[keep], rise[keep]
    mean_x = 0.5 * (xa + xb)
    col = np.clip(np.floor(mean_x).astype(np.int64), 0, width - 1)
    row = np.clip(np.floor(0.5 * (ya + yb)).astype(np.int64), 0, height - 1)
    cell = row * width + col
    size = height * width
    partial = np.bincount(cell, weights=rise * (mean_x - col), minlength=size).reshape(height, width)
    carry = np.bincount(cell, weights=rise, minlength=size).reshape(height, width)
    # Every cell gets the rise of the pieces right of it in its row.
    right = np.cumsum(carry[:, ::-1], axis=1)[:, ::-1] - carry
    return row0, col0, np.clip(partial + right, 0.0, 1.0)


def centre_mask(geometry, grid: Grid) -> tuple[int, int, np.ndarray]:
    """Pixels of ``grid`` whose centre lies in ``geometry`` (GDAL's rule, as rasterstats), over its box."""
    rasterio_module()  # a clear error when it is missing
    import rasterio
    import rasterio.features

    col, row = grid.to_pixels(*np.asarray(geometry.bounds).reshape(2, 2).T)
    col0, col1 = math.floor(col.min()), math.ceil(col.max())
    row0, row1 = math.floor(row.min()), math.ceil(row.max())
    a, _, c, _, e, f = grid.transform
    shape = (max(row1 - row0, 1), max(col1 - col0, 1))
    transform = rasterio.Affine(a, 0.0, c + col0 * a, 0.0, e, f + row0 * e)
    mask = rasterio.features.rasterize([(geometry, 1)], out_shape=shape, transform=transform, fill=0, dtype="uint8")
    return row0, col0, mask.astype(np.float64)


def covered(geometry, grid: Grid) -> bool:
    """True when ``geometry`` (in the grid's CRS) lies wholly within the whole grid's extent."""
    if geometry is None or geometry.is_empty:
        return True
    col, row = grid.to_full_pixels(*np.asarray(geometry.bounds).reshape(2, 2).T)
    height, width = grid.full_shape
    return bool(
        col.min() >= -EDGE_TOLERANCE
        and row.min() >= -EDGE_TOLERANCE
        and col.max() <= width + EDGE_TOLERANCE
        and row.max() <= height + EDGE_TOLERANCE
    )


def zonal_sum(geometry, grid: Grid, *, method: str = "fraction") -> float:
    """People of ``grid`` in ``geometry`` (grid CRS): pixel values weighted by covered fraction or centre rule."""
    if geometry is None or geometry.is_empty:
        return 0.0
    if method == "fraction":
        row0, col0, weights = coverage(geometry, grid.to_pixels)
    else:
        row0, col0, weights = centre_mask(geometry, grid)
    height, width = grid.values.shape
    r0, c0 = max(row0, 0), max(col0, 0)
    r1, c1 = min(row0 + weights.shape[0], height), min(col0 + weights.shape[1], width)
    if r1 <= r0 or c1 <= c0:
        return 0.0
    # Cells of the box beyond the window lie beyond the grid: callers check coverage first.
    part = weights[r0 - row0 : r1 - row0, c0 - col0 : c1 - col0]
    return float(np.sum(part * grid.values[r0:r1, c0:c1]))


# --- people within a radius --------------------------------------------------------------------------


def metres_per_pixel(grid: Grid, x: float, y: float) -> tuple[float, float]:
    """Ground width and height of a pixel near (``x``, ``y``) in the grid's CRS (degrees or a metric projection).

    A projection's metre is a ground metre only where its scale factor is 1: Web Mercator's pixels
    near Port-au-Prince cover cos(18.5°) of their nominal size, so the projection's own scale
    factors there convert them (an unscaled 1 km disc held 10 % too few people).
    """
    width, height = grid.pixel_size
    if grid.crs.is_geographic:
        from pyproj import Geod

        geod = Geod(ellps="WGS84")
        _, _, across = geod.inv(0.0, y, width, y)
        _, _, down = geod.inv(0.0, y - height / 2, 0.0, y + height / 2)
        return float(across), float(down)
    unit = grid.crs.axis_info[0].unit_name.lower() if grid.crs.axis_info else ""
    if unit not in ("metre", "meter", "m"):
        raise InputError(
            f"{grid.path}: the grid's CRS measures in {unit or 'unknown units'}; katye needs degrees or metres "
            "to draw radii. Warp it to EPSG:4326 or EPSG:32618 first."
        )
    from pyproj import Proj, Transformer

    lon, lat = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform(x, y)
    factors = Proj(grid.crs).get_factors(lon, lat)
    return width / factors.parallel_scale, height / factors.meridional_scale


def disc_kernel(radius_m: float, metres: tuple[float, float]) -> np.ndarray:
    """Fraction of each pixel within ``radius_m`` of the centre of the middle pixel (odd square array)."""
    rx, ry = radius_m / metres[0], radius_m / metres[1]
    half = math.ceil(max(rx, ry)) + 1
    # 512 sides: the polygon's area is within 3e-5 of the ellipse's.
    circle = shapely.Point(0.0, 0.0).buffer(1.0, quad_segs=128)
    ellipse = shapely.affinity.scale(circle, rx, ry, origin=(0.0, 0.0))
    ellipse = shapely.affinity.translate(ellipse, half + 0.5, half + 0.5)
    row0, col0, fractions = coverage(ellipse, lambda x, y: (x, y))
    kernel = np.zeros((2 * half + 1, 2 * half + 1))
    kernel[row0 : row0 + fractions.shape[0], col0 : col0 + fractions.shape[1]] = fractions
    return kernel


def disc_sums(grid: Grid, x: np.ndarray, y: np.ndarray, radius_m: float, metres: tuple[float, float]) -> np.ndarray:
    """People within ``radius_m`` of each point (grid CRS): the grid convolved with a disc, read bilinearly.

    The window must reach ``radius_m`` beyond every point (the caller reads it so): the
    convolution pads with zeros beyond it.

    The disc's sum is exact for a point on a pixel centre; between centres it is interpolated
    from the four nearest, which is within a few tenths of a percent on real grids (the tests
    compare it with exact sums). Points whose disc leaves the grid get NaN.
    """
    from scipy.signal import fftconvolve

    kernel = disc_kernel(radius_m, metres)
    out = np.full(len(x), np.nan)
    if not len(x) or grid.values.size == 0:
        return out
    surface = np.clip(fftconvolve(grid.values, kernel, mode="same"), 0.0, None)
    col, row = grid.to_pixels(x, y)
    # The disc must lie within the whole grid, and the four centres around the point within the window.
    full_col, full_row = col + grid.offset[1], row + grid.offset[0]
    rx, ry = radius_m / metres[0], radius_m / metres[1]
    height, width = grid.full_shape
    inside = (
        (full_col - rx >= -EDGE_TOLERANCE)
        & (full_col + rx <= width + EDGE_TOLERANCE)
        & (full_row - ry >= -EDGE_TOLERANCE)
        & (full_row + ry <= height + EDGE_TOLERANCE)
    )
    u, v = col - 0.5, row - 0.5
    i0, j0 = np.floor(u), np.floor(v)
    rows, cols = surface.shape
    inside &= (i0 >= 0) & (j0 >= 0) & (i0 + 1 < cols) & (j0 + 1 < rows)
    inside &= np.isfinite(u) & np.isfinite(v)
    i, j = i0[inside].astype(np.int64), j0[inside].astype(np.int64)
    fu, fv = u[inside] - i, v[inside] - j
    out[inside] = (
        surface[j, i] * (1 - fu) * (1 - fv)
        + surface[j, i + 1] * fu * (1 - fv)
        + surface[j + 1, i] * (1 - fu) * fv
        + surface[j + 1, i + 1] * fu * fv
    )
    return out


def grid_name(path: str | os.PathLike) -> str:
    """The file name of a grid, for tables and credits (no folders: they may be private)."""
    return Path(path).name
