"""Which polygon covers each point, for millions of points at once.

:class:`PolygonIndex` lays a regular grid over the polygons. Its cells are either wholly inside
one polygon's interior (answered by an array lookup), wholly outside every polygon, or on a
boundary (answered exactly by shapely). Only the few points in boundary cells cost a geometric
test.
"""

from __future__ import annotations

import numpy as np
import shapely

OUTSIDE = -1
#: Up to this many polygons, boundary cells list their candidate polygons as bits (memory: a few
#: 64-bit words per grid cell); beyond it, points in boundary cells ask the spatial tree.
MAX_BITSET = 256
BOUNDARY = -2


class PolygonIndex:
    """Find, for many points at once, the first polygon (in the given order) that covers each.

    "Covers" includes the boundary, so a point on an edge shared by two polygons goes to the
    one that comes first, every time.

    The grid is built without testing cells one by one: every polygon boundary is sampled
    finely and the cells it crosses (and their neighbours) are marked; the other cells form
    connected regions that no boundary crosses, so one test per region classifies all of its
    cells. Points in marked cells are tested exactly.

    Parameters
    ----------
    polygons
        Shapely polygons, in the order that breaks ties on shared edges.
    cells
        Grid cells along the longer side of the polygons' bounding box.

    """

    def __init__(self, polygons, *, cells: int = 1024):
        self.polygons = np.asarray(polygons, dtype=object)
        for polygon in self.polygons:
            shapely.prepare(polygon)
        self.tree = shapely.STRtree(self.polygons)
        minx, miny, maxx, maxy = shapely.total_bounds(self.polygons)
        self.size = (max(maxx - minx, maxy - miny) / cells) or 1.0
        self.origin = (minx - self.size, miny - self.size)
        self.shape = (int(np.ceil((maxy - miny) / self.size)) + 3, int(np.ceil((maxx - minx) / self.size)) + 3)
        self.grid = self._classify()

    def _cell(self, x, y):
        return (
            np.floor((y - self.origin[1]) / self.size).astype(np.int64),
            np.floor((x - self.origin[0]) / self.size).astype(np.int64),
        )

    def _classify(self) -> np.ndarray:
        from scipy import ndimage  # imported when an index is built: `import katye` stays light

        edges = shapely.segmentize(shapely.boundary(self.polygons), self.size / 4)
        coords, owner = shapely.get_coordinates(edges, return_index=True)
        row, col = self._cell(coords[:, 0], coords[:, 1])
        marked = np.zeros(self.shape, dtype=bool)
        marked[row, col] = True
        # Neighbours too: a boundary may clip a cell's corner between two samples.
        marked = ndimage.binary_dilation(marked, structure=np.ones((3, 3), dtype=bool))
        self.bits = None
        if len(self.polygons) <= MAX_BITSET and not self._overlapping():
            # For each marked cell, the polygons whose boundary passes within one cell of it: one bit
            # per polygon, in as many 64-bit words as the polygons need.
            words = (len(self.polygons) + 63) // 64
            bits = np.zeros((*self.shape, words), dtype=np.uint64)
            owner = owner.astype(np.int64)
            np.bitwise_or.at(bits, (row, col, owner // 64), np.left_shift(np.uint64(1), (owner % 64).astype(np.uint64)))
            self.bits = _dilate_bits(bits)
        regions, count = ndimage.label(~marked)
        grid = np.full(self.shape, BOUNDARY, dtype=np.int32)
        if count:
            # One cell of each region (any will do): scatter cell numbers by label, some write wins.
            flat = regions.ravel()
            some = np.zeros(count + 1, dtype=np.int64)
            some[flat] = np.arange(flat.size)
            rows, cols = np.divmod(some[1:], self.shape[1])
            centre_x = self.origin[0] + (cols + 0.5) * self.size
            centre_y = self.origin[1] + (rows + 0.5) * self.size
            region_owner = self._query(centre_x, centre_y)
            grid[~marked] = region_owner[regions[~marked] - 1]
        return grid

    def _overlapping(self) -> bool:
        """True when two polygons share interior: then a nearby boundary does not name every candidate."""
        left, right = self.tree.query(self.polygons, predicate="intersects")
        pairs = left < right
        return bool(shapely.relate_pattern(self.polygons[left[pairs]], self.polygons[right[pairs]], "T********").any())

    def lookup(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index of the polygon covering each (x, y), or -1; NaN coordinates give -1."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        rows_n, cols_n = self.shape
        # Points beyond the grid are clamped onto its one-cell margin, which no polygon owns: they
        # come out -1 there, or go to the exact test. NaN lands there too and fails that test.
        with np.errstate(invalid="ignore"):
            col = np.clip((x - self.origin[0]) / self.size, -1, cols_n).astype(np.int64)
            row = np.clip((y - self.origin[1]) / self.size, -1, rows_n).astype(np.int64)
        np.clip(col, 0, cols_n - 1, out=col)
        np.clip(row, 0, rows_n - 1, out=row)
        out = self.grid[row, col].astype(np.int64)
        edge = np.flatnonzero(out == BOUNDARY)
        if edge.size:
            out[edge] = self._exact(x[edge], y[edge], row[edge], col[edge])
        return out

    def _exact(self, x, y, rows, cols) -> np.ndarray:
        if self.bits is None:
            return self._query(x, y)
        best = np.full(x.size, np.iinfo(np.int64).max, dtype=np.int64)
        bits = self.bits[rows, cols]
        for index in range(len(self.polygons)):
            mine = np.flatnonzero(bits[:, index // 64] & np.uint64(1 << (index % 64)))
            if mine.size:
                hit = mine[shapely.intersects_xy(self.polygons[index], x[mine], y[mine])]
                best[hit] = np.minimum(best[hit], index)
        found = best != np.iinfo(np.int64).max
        result = np.where(found, best, OUTSIDE)
        # Polygons do not overlap here, so a hit is the only polygon covering the point. A point
        # inside a polygon whose own boundary is not near has no candidate: ask the tree.
        rest = np.flatnonzero(~found)
        if rest.size:
            result[rest] = self._query(x[rest], y[rest])
        return result

    def _query(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        point, poly = self.tree.query(shapely.points(x, y), predicate="intersects")
        best = np.full(x.size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, point, poly)  # the lowest polygon index wins a shared edge
        return np.where(best == np.iinfo(np.int64).max, OUTSIDE, best)


def _dilate_bits(bits: np.ndarray) -> np.ndarray:
    """OR each cell's bits with its eight neighbours'."""
    out = bits.copy()
    padded = np.pad(bits, ((1, 1), (1, 1), (0, 0)))
    rows, cols = bits.shape[:2]
    for dr in (0, 1, 2):
        for dc in (0, 1, 2):
            out |= padded[dr : dr + rows, dc : dc + cols]
    return out
