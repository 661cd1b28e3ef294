"""Distance from points outside every polygon to the nearest polygon, at the speed of a grid lookup.

A nearest-neighbour query over whole polygons costs about 11 µs a point. Here the boundary of
the polygons' union is cut into segments once, and a grid over their extent lists, for each cell, the
only segments that can be nearest to a point in it; a point's distance is then the smallest of a
few vectorised point-to-segment distances. Exact (the candidate lists provably hold the nearest
segment), not an approximation. Points beyond the grid get lists the same way, made when they
are asked for, per bin of points; when they are scattered, one nearest query each.

The lists are built coarse to fine, in numpy: a cell's list is filtered from its parent's, so no
cell is ever measured against every segment.
"""

from __future__ import annotations

import numpy as np
import shapely

from katye.index import ranges

#: Cells along the longer side of the grid.
CELLS = 512
#: Cells along the longer side of the coarsest grid, whose lists start as every segment.
COARSE = 8
#: Points up to this many metres beyond the polygons' extent use the grid; farther ones, the tree.
MARGIN_M = 2_000.0
#: Point-segment pairs measured at a time: small temporaries, reused from one chunk to the next
#: (large fresh ones cost more in page faults than in arithmetic).
CHUNK_PAIRS = 1 << 18
#: Rounding allowance on the distance bounds that decide which segments a cell keeps.
SLACK = 1e-9
#: Off the grid, points are measured in bins this many grid cells wide, when bins are this many
#: times fewer than the points (far incidents stack on a few towns): one tree query per bin finds
#: the segments that can be nearest to any point in it.
FAR_STEP = 8
FAR_POINTS_PER_BIN = 4


class NearestBoundary:
    """Distances from points to the nearest of ``polygons`` (projected, in their units).

    Only for points outside every polygon: a point inside one is at distance 0 from it, which
    this does not check (the caller knows which points are inside).

    Parameters
    ----------
    polygons
        Shapely polygons or multipolygons in a projected CRS.
    cells
        Grid cells along the longer side of the polygons' extent (plus a margin).

    """

    def __init__(self, polygons, *, cells: int = CELLS) -> None:
        self.polygons = outline(polygons)
        shapely.prepare(self.polygons)
        self.tree = shapely.STRtree(self.polygons)
        ends = boundary_segments(self.polygons)
        self.ax, self.ay = ends[:, 0, 0], ends[:, 0, 1]
        self.dx, self.dy = ends[:, 1, 0] - self.ax, ends[:, 1, 1] - self.ay
        length2 = self.dx * self.dx + self.dy * self.dy
        # 0 for a point, or a segment so short its squared length is subnormal (1 / it overflows):
        # measured to its start, which is as near as makes no difference.
        tiny = np.finfo(float).tiny
        self.inverse = np.divide(1.0, length2, out=np.zeros_like(length2), where=length2 >= tiny)
        minx, miny, maxx, maxy = shapely.total_bounds(self.polygons)
        self.x0, self.y0 = minx - MARGIN_M, miny - MARGIN_M
        span = max(maxx - minx, maxy - miny) + 2 * MARGIN_M
        self.size = span / cells
        self.cols = int(np.ceil((maxx + MARGIN_M - self.x0) / self.size))
        self.rows = int(np.ceil((maxy + MARGIN_M - self.y0) / self.size))
        self.segment = np.zeros(0, dtype=np.int32)
        self.start = np.zeros(self.rows * self.cols + 1, dtype=np.int64)
        # The boundary's segments in a tree: for the coarsest lists, and for points off the grid.
        self.segments = shapely.STRtree(shapely.linestrings(ends) if len(ends) else self.polygons)
        if self.ax.size:
            self._candidates()

    def _candidates(self) -> None:
        """For each cell, the segments that can be nearest to some point in it (CSR lists).

        Invariant, from the coarsest grid down: a cell's list holds the nearest segment of every
        point in the cell. Let ``d`` be the distance from the cell's centre to its nearest
        segment and ``h`` half the cell's diagonal. A point of the cell is within ``d + h`` of
        some segment, so its nearest segment is within ``d + 2h`` of the centre (and within
        ``d + h`` of the cell itself): segments farther are dropped. A child cell lies in its
        parent, so its nearest segments are in the parent's list, and so is its centre's.
        """
        step = 1 << max(0, int(np.ceil(np.log2(max(self.rows, self.cols) / COARSE))))
        shape = (-(-self.rows // step), -(-self.cols // step))
        cell = np.arange(shape[0] * shape[1])  # ids on the current level's grid
        # The coarsest lists from a tree over the segments (not every segment: memory stays
        # proportional to the lists, whatever the number of segments).
        cx, cy = self._centres(cell, shape[1], step)
        reach = nearest_distance(self.segments, cx, cy) + 2 * self._half(step)
        owner, pair_seg = self.segments.query(shapely.points(cx, cy), predicate="dwithin", distance=reach)
        order = np.lexsort((pair_seg, owner))
        pair_seg, count = pair_seg[order], np.bincount(owner, minlength=cell.size)
        outside = np.zeros(cell.size, dtype=bool)  # cells known to lie wholly outside every polygon
        while True:
            cx, cy = self._centres(cell, shape[1], step)
            half = self._half(step)
            owner = np.repeat(np.arange(cell.size), count)
            d = np.sqrt(self._distance2(cx[owner], cy[owner], pair_seg))
            nearest = np.minimum.reduceat(d, np.cumsum(count) - count)
            # A cell no boundary crosses whose centre is inside a polygon is wholly inside it:
            # it never holds a point outside every polygon, so it (and its children) go.
            # A child of a cell wholly outside is wholly outside: only the others are tested.
            deep = np.flatnonzero((nearest > half) & ~outside)
            inside = self._inside(cx[deep], cy[deep])
            outside[deep[~inside]] = True
            kept_cell = np.ones(cell.size, dtype=bool)
            kept_cell[deep[inside]] = False
            keep = kept_cell[owner] & (d <= nearest[owner] + 2 * half)
            if step == 1:
                near = np.flatnonzero(keep)
                box = self._box_distance(cx[owner[near]], cy[owner[near]], self.size / 2, pair_seg[near])
                keep[near] = (d[near] <= half) | (box <= nearest[owner[near]] + half)
                break
            count = np.bincount(owner[keep], minlength=cell.size)
            first = np.cumsum(count) - count
            pair_seg = pair_seg[keep]
            # Four children per kept cell, those inside the next level's grid; each starts from
            # its parent's list.
            row, col = np.divmod(cell, shape[1])
            step //= 2
            shape = (-(-self.rows // step), -(-self.cols // step))
            parent = np.flatnonzero(kept_cell)
            parents, children = [], []
            for dr, dc in ((0, 0), (0, 1), (1, 0), (1, 1)):
                r, c = 2 * row[parent] + dr, 2 * col[parent] + dc
                fits = (r < shape[0]) & (c < shape[1])
                parents.append(parent[fits])
                children.append(r[fits] * shape[1] + c[fits])
            parent, cell = np.concatenate(parents), np.concatenate(children)
            outside = outside[parent]
            pair_seg = pair_seg[ranges(first[parent], count[parent])]
            count = count[parent]
        final = cell[owner[keep]]
        order = np.argsort(final, kind="stable")
        self.segment = pair_seg[keep][order].astype(np.int32)
        self.start = np.concatenate([[0], np.cumsum(np.bincount(final, minlength=self.rows * self.cols))])

    def _centres(self, cell: np.ndarray, cols: int, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Centres of cells numbered row by row on a grid of ``cols`` columns of ``step`` cells each."""
        row, col = np.divmod(cell, cols)
        size = self.size * step
        return self.x0 + (col + 0.5) * size, self.y0 + (row + 0.5) * size

    def _half(self, step: int) -> float:
        """Half the diagonal of a cell ``step`` cells wide, rounded up."""
        return float(self.size * step * np.sqrt(2) / 2 * (1 + SLACK) + SLACK)

    def _inside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """True for each point inside (or on) some polygon."""
        point, polygon = self.tree.query(shapely.points(x, y))
        hit = shapely.intersects_xy(self.polygons[polygon], x[point], y[point])
        out = np.zeros(x.size, dtype=bool)
        out[point[hit]] = True
        return out

    def _distance2(self, px: np.ndarray, py: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """Squared distance from each point to its segment."""
        dx, dy = self.dx[seg], self.dy[seg]
        ex, ey = px - self.ax[seg], py - self.ay[seg]
        t = (ex * dx + ey * dy) * self.inverse[seg]
        np.clip(t, 0.0, 1.0, out=t)
        ex -= t * dx
        ey -= t * dy
        ex *= ex
        ey *= ey
        ex += ey
        return ex

    def _box_distance(self, cx: np.ndarray, cy: np.ndarray, half: float, seg: np.ndarray) -> np.ndarray:
        """Distance from each square (centre, half side) to its segment, for segments not crossing it.

        Two disjoint convex shapes are closest at a vertex of one of them: a segment end or a
        corner. (A segment crossing the square comes out too far; the caller keeps those anyway.)
        """
        ends = []
        for ex, ey in ((self.ax[seg], self.ay[seg]), (self.ax[seg] + self.dx[seg], self.ay[seg] + self.dy[seg])):
            ends.append(np.hypot(np.maximum(np.abs(ex - cx) - half, 0), np.maximum(np.abs(ey - cy) - half, 0)))
        best = np.minimum(*ends)
        for sx, sy in ((-1, -1), (-1, 1), (1, -1), (1, 1)):
            np.minimum(best, np.sqrt(self._distance2(cx + sx * half, cy + sy * half, seg)), out=best)
        return best

    def distance(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Distance from each point (outside every polygon) to the nearest polygon boundary; NaN for NaN."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        out = np.full(len(x), np.nan)
        with np.errstate(invalid="ignore"):  # NaN is off the grid
            fx, fy = (x - self.x0) / self.size, (y - self.y0) / self.size
            on_grid = (fx >= 0) & (fx < self.cols) & (fy >= 0) & (fy < self.rows)
        points = np.flatnonzero(on_grid)
        cell = fy[points].astype(np.int64) * self.cols + fx[points].astype(np.int64)
        count = self.start[cell + 1] - self.start[cell]
        # Beyond the grid, or in a cell with no list (wholly inside a polygon, so only a point
        # that rounding put outside lands there): lists made for them.
        rest = np.r_[np.flatnonzero(~on_grid & np.isfinite(x) & np.isfinite(y)), points[count == 0]]
        if rest.size:
            out[rest] = self._far(x[rest], y[rest])
        listed = count > 0
        points = points[listed]
        out[points] = self._nearest_listed(x[points], y[points], self.segment, self.start[cell[listed]], count[listed])
        return out

    def _nearest_listed(self, x, y, lists: np.ndarray, start: np.ndarray, count: np.ndarray) -> np.ndarray:
        """Distance from each point to the nearest of its segments, ``lists[start[i]:start[i] + count[i]]``."""
        out = np.empty(x.size)
        total = np.cumsum(count)
        first = 0
        while first < x.size:
            # As many points as keep the pairs under CHUNK_PAIRS (at least one).
            done = total[first - 1] if first else 0
            last = max(first + 1, int(np.searchsorted(total, done + CHUNK_PAIRS)))
            n = count[first:last]
            seg = lists[ranges(start[first:last], n)]
            squared = self._distance2(np.repeat(x[first:last], n), np.repeat(y[first:last], n), seg)
            out[first:last] = np.sqrt(np.minimum.reduceat(squared, np.cumsum(n) - n))
            first = last
        return out

    def _far(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Distances of points off the grid: by bins of ``FAR_STEP`` cells when they stack, else one query each.

        Exact, by the grid's own argument: a point of a bin is within ``h`` (half the bin's
        diagonal) of its centre, so its nearest segment is within ``d + 2h`` of the centre, ``d``
        being the centre's distance to the nearest segment.
        """
        size = self.size * FAR_STEP
        col, row = np.floor((x - self.x0) / size), np.floor((y - self.y0) / size)
        if np.abs(col).max(initial=0) < 2**31 and np.abs(row).max(initial=0) < 2**31:
            # One integer per bin: a sort of numbers, ten times faster than one of coordinate pairs.
            packed = col.astype(np.int64) << 32 | (row.astype(np.int64) & 0xFFFFFFFF)
            key, where = np.unique(packed, return_inverse=True)
            bins = np.c_[key >> 32, (key & 0xFFFFFFFF).astype(np.int32)].astype(float)
        else:
            bins, where = np.unique(np.c_[col, row], axis=0, return_inverse=True)
        where = where.reshape(-1)
        if len(bins) * FAR_POINTS_PER_BIN > x.size or not self.ax.size:
            return nearest_distance(self.segments, x, y)
        cx, cy = self.x0 + (bins[:, 0] + 0.5) * size, self.y0 + (bins[:, 1] + 0.5) * size
        reach = nearest_distance(self.segments, cx, cy) + 2 * self._half(FAR_STEP)
        owner, segment = self.segments.query(shapely.points(cx, cy), predicate="dwithin", distance=reach)
        order = np.lexsort((segment, owner))
        count = np.bincount(owner, minlength=len(bins))
        start = np.cumsum(count) - count
        return self._nearest_listed(x, y, segment[order], start[where], count[where])


def outline(polygons) -> np.ndarray:
    """The polygons merged into one area, as a one-element array (the polygons themselves if GEOS cannot).

    Outside every polygon, the nearest one is exactly as near as the merged area's boundary, which
    leaves out the edges neighbours share: the shipped zones' 9,334 segments become 1,140.
    """
    polygons = np.asarray(polygons, dtype=object)
    try:
        return np.array([shapely.union_all(polygons)], dtype=object)
    except shapely.errors.GEOSException:
        return polygons


def boundary_segments(polygons) -> np.ndarray:
    """The segments of the polygons' boundaries (rings, holes included), as (start, end) coordinate pairs."""
    lines = shapely.get_parts(shapely.boundary(np.asarray(polygons, dtype=object)))
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    same = owner[1:] == owner[:-1]
    return np.stack([coords[:-1][same], coords[1:][same]], axis=1)


def segment_tree(polygons) -> shapely.STRtree:
    """A tree of the polygons' boundary segments, for :func:`nearest_distance` from points outside them.

    Outside every polygon, the distance to the nearest one is the distance to the nearest
    boundary segment, and a segment's distance is far cheaper than a whole polygon's: a few µs a
    point instead of about 20. The polygons are not merged first: merging the shipped zones costs
    more (17 ms) than the segments their neighbours share cost the tree.
    """
    ends = boundary_segments(polygons)
    return shapely.STRtree(shapely.linestrings(ends) if len(ends) else np.asarray(polygons, dtype=object))


def nearest_distance(tree: shapely.STRtree, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Distance from each (x, y) to its nearest geometry in ``tree``; NaN where x or y is not finite."""
    out = np.full(len(x), np.nan)
    finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    points = shapely.points(x[finite], y[finite])
    (which, _), distance = tree.query_nearest(points, return_distance=True, all_matches=False)
    out[finite[which]] = distance
    return out
