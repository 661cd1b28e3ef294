"""Kernel density of incidents on a grid in metres (EPSG:32618).

Points are binned on a grid padded by ``4 * bandwidth`` on every side, then smoothed with a
Gaussian filter whose sigma is the bandwidth; the padding keeps (all but about 6e-5 of) the
weight on the grid, so the surface integrates to the number of events.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from katye.crs import METRIC_CRS, require_crs
from katye.errors import UsageError
from katye.output import atomic_path

TRUNCATE = 4.0
#: Values per block of rows that the Gaussian filter works on at once (kept in the processor's cache).
BLOCK_VALUES = 65_536


@dataclass
class DensitySurface:
    """A density grid: ``values`` (events per km², row 0 is the north edge) and its placement.

    ``transform`` is the affine (a, b, c, d, e, f) of GDAL/rasterio order: x = c + col * a,
    y = f + row * e, in ``crs`` (EPSG:32618, metres).
    """

    values: np.ndarray
    transform: tuple[float, float, float, float, float, float]
    crs: str
    bandwidth_m: float
    cell_m: float
    total_weight: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in metres."""
        a, _, c, _, e, f = self.transform
        rows, cols = self.values.shape
        return c, f + rows * e, c + cols * a, f

    def mass(self) -> float:
        """The surface integrated over its area (equals ``total_weight`` up to the padding loss)."""
        return float(self.values.sum() * (self.cell_m / 1000) ** 2)

    def save(self, path: str | os.PathLike) -> Path:
        """Write a GeoTIFF (``.tif``, needs rasterio) or ``.npz`` (values, transform, crs)."""
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix in (".tif", ".tiff"):
            try:
                import rasterio
            except ImportError as exc:
                raise UsageError(
                    f"{target}: writing GeoTIFF needs rasterio (pip install rasterio); or save as .npz."
                ) from exc
            from rasterio.transform import Affine

            with (
                atomic_path(target) as tmp,
                rasterio.open(
                    tmp,
                    "w",
                    driver="GTiff",
                    height=self.values.shape[0],
                    width=self.values.shape[1],
                    count=1,
                    dtype="float32",
                    crs=self.crs,
                    transform=Affine(*self.transform),
                ) as dst,
            ):
                dst.write(self.values.astype("float32"), 1)
            return target
        if suffix != ".npz":
            raise UsageError(f"{target}: save a density surface as .tif or .npz.")
        with atomic_path(target) as tmp, tmp.open("wb") as handle:
            np.savez_compressed(
                handle,
                values=self.values,
                transform=np.asarray(self.transform),
                crs=self.crs,
                bandwidth_m=self.bandwidth_m,
                cell_m=self.cell_m,
            )
        return target


def density(
    incidents: gpd.GeoDataFrame, *, bandwidth_m: float = 500, cell_m: float = 100, weights=None, bounds=None
) -> DensitySurface:
    """Gaussian kernel density of incident points, in events per km².

    Parameters
    ----------
    incidents
        Points with a CRS.
    bandwidth_m
        Kernel standard deviation in metres.
    cell_m
        Grid cell size in metres.
    weights
        A column name or an array of per-incident weights (e.g. fatalities); default 1 each.
    bounds
        (minx, miny, maxx, maxy) in EPSG:32618 to cover; default the points' extent. The grid is
        always padded by four bandwidths around it.

    Returns
    -------
    DensitySurface

    """
    if bandwidth_m <= 0 or cell_m <= 0:
        raise UsageError("bandwidth_m and cell_m must be positive.")
    crs = require_crs(incidents, what="the incidents")
    # Transform coordinate arrays rather than geometries: same numbers, a fraction of the time.
    points = np.asarray(incidents.geometry.values)  # the plain object array: no pandas ufunc dispatch
    to_metric = Transformer.from_crs(crs, METRIC_CRS, always_xy=True)
    x, y = to_metric.transform(shapely.get_x(points), shapely.get_y(points), inplace=True)
    w = (
        np.ones(len(x))
        if weights is None
        else np.asarray(incidents[weights] if isinstance(weights, str) else weights, dtype=float)
    )
    finite = np.isfinite(x) & np.isfinite(y) & np.isfinite(w)
    x, y, w = x[finite], y[finite], w[finite]
    if bounds is None:
        bounds = (x.min(), y.min(), x.max(), y.max()) if x.size else (0.0, 0.0, cell_m, cell_m)
    pad = TRUNCATE * bandwidth_m + cell_m
    minx = np.floor((bounds[0] - pad) / cell_m) * cell_m
    maxy = np.ceil((bounds[3] + pad) / cell_m) * cell_m
    cols = int(np.ceil((bounds[2] + pad - minx) / cell_m))
    rows = int(np.ceil((maxy - (bounds[1] - pad)) / cell_m))
    col = np.floor((x - minx) / cell_m).astype(np.int64)
    row = np.floor((maxy - y) / cell_m).astype(np.int64)
    inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    counts = np.bincount(row[inside] * cols + col[inside], weights=w[inside], minlength=rows * cols)
    grid = counts.reshape(rows, cols)
    smoothed = gaussian_smooth(grid, bandwidth_m / cell_m, TRUNCATE)
    per_km2 = smoothed / (cell_m / 1000) ** 2
    return DensitySurface(
        per_km2, (cell_m, 0.0, minx, 0.0, -cell_m, maxy), METRIC_CRS, bandwidth_m, cell_m, float(w[inside].sum())
    )


def gaussian_kernel(sigma: float, truncate: float = TRUNCATE) -> np.ndarray:
    """The 1-D Gaussian weights of ``scipy.ndimage.gaussian_filter1d`` (order 0), computed as scipy does.

    Radius ``int(truncate * sigma + 0.5)``; ``exp(-0.5 / sigma**2 * x**2)`` over ``x`` from minus the
    radius to the radius, divided by its sum (scipy's ``_gaussian_kernel1d``, same operations in the
    same order, so the same bits).
    """
    sigma = float(sigma)
    radius = int(truncate * sigma + 0.5)
    x = np.arange(-radius, radius + 1)
    phi = np.exp(-0.5 / (sigma * sigma) * x**2)
    return phi / phi.sum()


def gaussian_smooth(grid: np.ndarray, sigma: float, truncate: float = TRUNCATE) -> np.ndarray:
    """A 2-D Gaussian filter with zeros beyond the edges, scipy's to the last bit, without scipy.

    For a float grid it equals ``scipy.ndimage.gaussian_filter(grid, sigma, mode="constant",
    truncate=truncate)`` exactly (tested). Like scipy, it filters along axis 0 and then axis 1 (a
    sigma of at most 1e-15 leaves the grid as it is), and each pass is scipy's ``NI_Correlate1D``
    for a symmetric kernel of radius r: ``out[i] = x[i] * w[r]``, then
    ``out[i] += (x[i - j] + x[i + j]) * w[r - j]`` for j from r down to 1, with x zero outside the
    grid. Each step runs over whole blocks of rows at once.
    """
    out = np.array(grid, dtype=np.float64)  # a copy: the passes below write into it
    if sigma <= 1e-15:
        return out
    weights = gaussian_kernel(sigma, truncate)[::-1]  # scipy correlates with the reversed kernel
    with np.errstate(invalid="ignore", over="ignore"):  # infinite cells give what C gives, quietly
        for axis in (0, 1):
            out = _correlate_symmetric(out, weights, axis)
    return out


def _correlate_symmetric(x: np.ndarray, weights: np.ndarray, axis: int) -> np.ndarray:
    """One pass of scipy's symmetric 1-D correlation along ``axis`` (0 or 1), zeros beyond the edges.

    Worked in blocks of rows small enough to stay in the processor's cache across the 3r steps.
    """
    radius = len(weights) // 2
    rows, cols = x.shape
    padding = [(0, 0), (0, 0)]
    padding[axis] = (radius, radius)
    padded = np.pad(x, padding)  # zeros
    out = np.empty_like(x)
    step = max(1, BLOCK_VALUES // max(1, cols + 2 * radius))
    pair = np.empty((min(step, rows), cols))
    for start in range(0, rows, step):
        stop = min(rows, start + step)

        def window(shift: int, start: int = start, stop: int = stop) -> np.ndarray:
            """The padded values ``shift`` cells along ``axis`` from output rows start:stop."""
            if axis == 0:
                return padded[start + radius + shift : stop + radius + shift]
            return padded[start:stop, radius + shift : radius + shift + cols]

        block = out[start:stop]
        np.multiply(window(0), weights[radius], out=block)
        tap = pair[: stop - start]
        for j in range(radius, 0, -1):
            np.add(window(-j), window(j), out=tap)
            tap *= weights[radius - j]
            block += tap
    return out


def bilinear(values: np.ndarray, rows, cols) -> np.ndarray:
    """``values`` sampled at fractional (row, col) positions by linear interpolation, scipy's to the last bit.

    Equal to ``scipy.ndimage.map_coordinates(values, [rows, cols], order=1, mode="constant",
    cval=0.0)`` exactly (tested), without scipy. scipy's rules: a position outside ``[0, n - 1]``
    on either axis (or NaN) gives 0, with no interpolation towards the edge; inside, the weights
    along an axis are ``1 - f`` and ``1 - (1 - f)`` for the fraction ``f = c - floor(c)``, and a
    position exactly on the last row or column takes its second tap from the row before it
    (scipy's mirror; its weight is 0). The four taps are summed from 0.0 in scipy's order, each
    as ``value * row weight * column weight``.
    """
    values = np.asarray(values, dtype=np.float64)
    rows, cols = np.broadcast_arrays(np.asarray(rows, dtype=np.float64), np.asarray(cols, dtype=np.float64))
    shape = rows.shape
    rows, cols = rows.ravel(), cols.ravel()
    n_rows, n_cols = values.shape
    inside = (rows >= 0) & (rows <= n_rows - 1) & (cols >= 0) & (cols <= n_cols - 1)
    everywhere = bool(inside.all())
    if not everywhere:
        rows, cols = rows[inside], cols[inside]
    r0, r1, wr0, wr1 = _linear_taps(rows, n_rows)
    c0, c1, wc0, wc1 = _linear_taps(cols, n_cols)
    flat = values.ravel()
    r0 *= n_cols
    r1 *= n_cols
    with np.errstate(invalid="ignore", over="ignore"):  # an infinite cell times a weight of 0, as in C
        total = 0.0 + flat.take(r0 + c0) * wr0 * wc0
        total += flat.take(r0 + c1) * wr0 * wc1
        total += flat.take(r1 + c0) * wr1 * wc0
        total += flat.take(r1 + c1) * wr1 * wc1
    if everywhere:
        return total.reshape(shape)
    out = np.zeros(inside.shape)
    out[inside] = total
    return out.reshape(shape)


def _linear_taps(coordinate: np.ndarray, length: int):
    """The two indices and weights of order-1 interpolation along one axis, as scipy computes them."""
    floor = np.floor(coordinate)
    first_weight = 1.0 - (coordinate - floor)
    second_weight = 1.0 - first_weight
    first = floor.astype(np.intp)
    second = first + 1
    second[second >= length] = max(length - 2, 0)  # only on the last index: scipy mirrors it back
    return first, second, first_weight, second_weight
