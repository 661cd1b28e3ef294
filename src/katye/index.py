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
#: Up to this many polygons, boundary cells list their candidate polygons; beyond it, points in
#: boundary cells ask the spatial tree.
MAX_LISTED = 256
#: Points asked about, in all, from which an index builds its grid (about 0.06 s for the shipped
#: zones, then 0.05 µs a point) rather than asking its tree (about 0.6 µs a point): rent until
#: renting has cost what buying would. A short command never builds a grid (nor imports scipy).
GRID_MIN_POINTS = 100_000
#: How many times the spacing of doubles at the polygons' coordinates a cell must be wide to be used.
MIN_CELL_ULPS = 1e6
#: Grid value of a boundary cell without a candidate list; a cell with list ``k`` holds ``BOUNDARY - k``.
BOUNDARY = -2


class PolygonIndex:
    """Find, for many points at once, the first polygon (in the given order) that covers each.

    "Covers" includes the boundary, so a point on an edge shared by two polygons goes to the
    one that comes first, every time.

    The grid is built without testing cells one by one: every polygon boundary is sampled
    finely and every cell it touches is marked; the other cells form connected regions that no
    boundary crosses, so one test per region classifies all of its cells. Points in marked cells
    are tested exactly. Few points are answered from the polygons' tree instead, until the index
    has been asked about enough of them to pay for its grid (``GRID_MIN_POINTS``).

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
        self._grid: np.ndarray | None = None
        self._asked = 0  # points answered by the tree while there is no grid
        # Cells must be far wider than the coordinates' rounding, or a point's cell is a guess:
        # then the tree answers every time.
        magnitude = float(np.nanmax(np.abs([minx, miny, maxx, maxy]))) if len(self.polygons) else 0.0
        self.gridded = bool(np.isfinite(self.size)) and self.size > MIN_CELL_ULPS * np.spacing(magnitude)
        #: Candidate polygons of each boundary cell with a list, end to end (``starts`` delimits them).
        self.candidates: np.ndarray | None = None
        self.starts = np.zeros(1, dtype=np.int64)

    @property
    def grid(self) -> np.ndarray:
        """The grid of cells: a polygon's index, OUTSIDE, or a boundary cell; built on first use."""
        if self._grid is None:
            self._grid = self._classify()
        return self._grid

    def _cell(self, x, y):
        return (
            np.floor((y - self.origin[1]) / self.size).astype(np.int64),
            np.floor((x - self.origin[0]) / self.size).astype(np.int64),
        )

    def _classify(self) -> np.ndarray:
        from scipy import ndimage  # imported when a grid is built: `import katye` stays light

        # Boundaries sampled every quarter cell: each boundary point lies within an eighth of a
        # cell of a sample. Marking the cells under a square of a quarter cell around each sample
        # (at most 2 x 2 cells) therefore marks every cell a boundary touches, with room to spare
        # for rounding, and no more: the unmarked cells are wholly inside or outside.
        edges = shapely.segmentize(shapely.boundary(self.polygons), self.size / 4)
        coords, owner = shapely.get_coordinates(edges, return_index=True)
        marked = np.zeros(self.shape, dtype=bool)
        for dy in (-self.size / 4, self.size / 4):
            for dx in (-self.size / 4, self.size / 4):
                marked[self._cell(coords[:, 0] + dx, coords[:, 1] + dy)] = True
        listed = len(self.polygons) <= MAX_LISTED and not self._overlapping()
        regions, count = ndimage.label(~marked)
        grid = np.full(self.shape, BOUNDARY, dtype=np.int32)
        if count:
            # One cell of each region (any will do): scatter cell numbers by label, some write wins.
            flat = regions.ravel()
            some = np.zeros(count + 1, dtype=np.int64)
            some[flat] = np.arange(flat.size)
            region_rows, region_cols = np.divmod(some[1:], self.shape[1])
            centre_x = self.origin[0] + (region_cols + 0.5) * self.size
            centre_y = self.origin[1] + (region_rows + 0.5) * self.size
            region_owner = self._query(centre_x, centre_y)
            grid[~marked] = region_owner[regions[~marked] - 1]
        if listed:
            # For each marked cell, the polygons with a boundary sample in it or a neighbour, as a
            # list numbered in the grid: gathering a point's few candidates then costs what they
            # are. One cell around makes the list complete (see _exact), so a point none of them
            # covers is outside every polygon.
            lists = np.flatnonzero(marked.ravel())
            row, col = self._cell(coords[:, 0], coords[:, 1])
            cell, polygon = self._near_boundaries(row, col, owner.astype(np.int64), reach=1)
            on_list = marked.ravel()[cell]
            cell, polygon = cell[on_list], polygon[on_list]
            self.candidates = polygon.astype(np.int16)  # MAX_LISTED polygons at most
            self.starts = np.searchsorted(np.searchsorted(lists, cell), np.arange(len(lists) + 1))
            np.put(grid, lists, BOUNDARY - np.arange(len(lists)))
        return grid

    def _near_boundaries(self, row, col, owner, *, reach: int) -> tuple[np.ndarray, np.ndarray]:
        """Every (cell, polygon) pair where a sample of the polygon's boundary lies within ``reach`` cells.

        Sorted by cell (flat grid number), then polygon. Sparse, from the distinct sampled pairs: a
        dense bitset over the whole grid spent most of the index's build time copying empty cells.
        """
        rows, cols = self.shape
        n = len(self.polygons)
        pairs = _distinct((row * cols + col) * n + owner)
        steps = np.arange(-reach, reach + 1)
        # A square is a stripe of a stripe: widen along the columns, then along the rows, keeping
        # only distinct pairs in between (5 + 5 copies of each pair, not 25).
        for stride, limit in ((1, cols), (cols, rows)):
            cell, polygon = np.divmod(pairs, n)
            along = (cell // stride) % limit
            near = along[:, None] + steps[None, :]
            inside = (near >= 0) & (near < limit)
            moved = cell[:, None] + steps[None, :] * stride
            pairs = _distinct(moved[inside] * n + np.broadcast_to(polygon[:, None], near.shape)[inside])
        return np.divmod(pairs, n)

    def _overlapping(self) -> bool:
        """True when two polygons share interior: then a nearby boundary does not name every candidate."""
        left, right = self.tree.query(self.polygons, predicate="intersects")
        pairs = left < right
        return bool(shapely.relate_pattern(self.polygons[left[pairs]], self.polygons[right[pairs]], "T********").any())

    def cells(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of each (x, y) in the grid, for :meth:`lookup` here or on an index of the same grid.

        Points beyond the grid are clamped onto its one-cell margin, which no polygon owns: they
        come out -1 there, or go to the exact test. NaN lands there too and fails that test.
        """
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        rows_n, cols_n = self.shape
        with np.errstate(invalid="ignore"):
            col = np.clip((x - self.origin[0]) / self.size, -1, cols_n).astype(np.int64)
            row = np.clip((y - self.origin[1]) / self.size, -1, rows_n).astype(np.int64)
        np.clip(col, 0, cols_n - 1, out=col)
        np.clip(row, 0, rows_n - 1, out=row)
        return row, col

    @property
    def frame(self) -> tuple[float, float, float, tuple[int, int]]:
        """Origin, cell size and shape of the grid: two indexes with equal frames share :meth:`cells`."""
        return (float(self.origin[0]), float(self.origin[1]), float(self.size), self.shape)

    def lookup(self, x: np.ndarray, y: np.ndarray, *, probe: Probe | None = None) -> np.ndarray:
        """Index of the polygon covering each (x, y), or -1; NaN coordinates give -1.

        ``probe``: the same points as a :class:`Probe`, when several indexes are asked about
        them (their cells and shapely points are then made once).
        Until its grid is built, an index answers with its tree (the same answers) as long as the
        points it was asked about add up to fewer than ``GRID_MIN_POINTS``: the grid costs as much
        to build as the tree takes to answer about that many, and pays for itself after.
        """
        probe = probe if probe is not None else Probe(x, y)
        if not self.gridded or (self._grid is None and self._asked + probe.x.size < GRID_MIN_POINTS):
            self._asked += probe.x.size
            return self._query(probe.x, probe.y, probe.points)
        row, col = probe.cells(self)
        out = self.grid[row, col].astype(np.int64)
        edge = np.flatnonzero(out <= BOUNDARY)
        if edge.size:
            out[edge] = self._exact(probe.x[edge], probe.y[edge], BOUNDARY - out[edge])
        return out

    def _exact(self, x, y, lists) -> np.ndarray:
        """The first polygon covering each point of a boundary cell, tested against its cell's candidates.

        The candidates are complete. A cell is marked by a boundary sample ``s`` (of any polygon)
        within a quarter cell of it. If a point of the cell is in polygon P, either ``s`` is on
        P's boundary, or (polygons do not overlap, so ``s`` is not inside P) the straight line
        from the point to ``s`` leaves P at a boundary point within a quarter cell of the cell.
        Either way P's boundary comes within a quarter cell of the cell, so a sample of it within
        three eighths of a cell: in the cell or a neighbour, where P is listed.
        """
        if self.candidates is None:
            return self._query(x, y)
        count = self.starts[lists + 1] - self.starts[lists]
        point = np.repeat(np.arange(x.size), count)
        polygon = self.candidates[ranges(self.starts[lists], count)]  # by point, then polygon
        hit = shapely.intersects_xy(self.polygons[polygon], x[point], y[point])
        point, polygon = point[hit], polygon[hit]
        first = np.ones(point.size, dtype=bool)  # each point's lowest polygon: shared edges go to it
        first[1:] = point[1:] != point[:-1]
        result = np.full(x.size, OUTSIDE, dtype=np.int64)
        result[point[first]] = polygon[first]
        return result

    def _query(self, x: np.ndarray, y: np.ndarray, points: np.ndarray | None = None) -> np.ndarray:
        """The first polygon covering each point, from the tree: boxes first, then the prepared polygons."""
        point, poly = self.tree.query(shapely.points(x, y) if points is None else points)
        hit = shapely.intersects_xy(self.polygons[poly], x[point], y[point])
        best = np.full(x.size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, point[hit], poly[hit])  # the lowest polygon index wins a shared edge
        return np.where(best == np.iinfo(np.int64).max, OUTSIDE, best)


class Probe:
    """Points to look up in one or more indexes, with what each lookup needs made once.

    Indexes of the same :attr:`PolygonIndex.frame` (the shipped zones, sections and communes
    share one) share the points' grid cells; tree lookups share the shapely points.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self._cells: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._points: np.ndarray | None = None

    def cells(self, index: PolygonIndex) -> tuple[np.ndarray, np.ndarray]:
        """The points' :meth:`PolygonIndex.cells` in ``index``'s grid."""
        if index.frame not in self._cells:
            self._cells[index.frame] = index.cells(self.x, self.y)
        return self._cells[index.frame]

    @property
    def points(self) -> np.ndarray:
        """The points as shapely geometries (NaN coordinates make points that nothing covers)."""
        if self._points is None:
            self._points = shapely.points(self.x, self.y)
        return self._points


def _distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an integer array (a sort and a comparison: faster than np.unique's hash)."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if values.size else values


def ranges(first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``first[i], first[i] + 1, …`` (``count[i]`` of them) for each ``i``, end to end."""
    ends = np.cumsum(count)
    return np.arange(int(ends[-1]) if ends.size else 0) - np.repeat(ends - count - first, count)
