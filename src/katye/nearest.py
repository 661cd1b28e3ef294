"""Distance from points outside every polygon to the nearest polygon, at the speed of a grid lookup.

A nearest-neighbour query over whole polygons costs about 11 µs a point. Here the polygons'
boundaries are cut into segments once, and a grid over their extent lists, for each cell, the
only segments that can be nearest to a point in it; a point's distance is then the smallest of a
few vectorised point-to-segment distances. Exact (the candidate lists provably hold the nearest
segment), not an approximation. Points beyond the grid fall back to the tree.
"""

from __future__ import annotations

import numpy as np
import shapely

#: Cells along the longer side of the grid.
CELLS = 256
#: Points up to this many metres beyond the polygons' extent use the grid; farther ones, the tree.
MARGIN_M = 2_000.0
#: Point-segment pairs measured at a time: small temporaries, reused from one chunk to the next
#: (large fresh ones cost more in page faults than in arithmetic).
CHUNK_PAIRS = 1 << 18


class NearestBoundary:
    """Distances from points to the nearest of ``polygons`` (projected, in their units).

    Only for points outside every polygon: a point inside one is at distance 0 from it, which
    this does not check (the caller knows which points are inside).
    """

    def __init__(self, polygons, *, cells: int = CELLS) -> None:
        polygons = np.asarray(polygons, dtype=object)
        self.tree = shapely.STRtree(polygons)
        lines = shapely.get_parts(shapely.boundary(polygons))  # rings, holes included
        coords, owner = shapely.get_coordinates(lines, return_index=True)
        same = owner[1:] == owner[:-1]
        self.ax, self.ay = coords[:-1][same, 0], coords[:-1][same, 1]
        self.bx, self.by = coords[1:][same, 0], coords[1:][same, 1]
        dx, dy = self.bx - self.ax, self.by - self.ay
        length2 = dx * dx + dy * dy
        inverse = np.divide(1.0, length2, out=np.zeros_like(length2), where=length2 > 0)  # 0: a point
        self.table = np.column_stack([self.ax, self.ay, dx, dy, inverse])
        minx, miny, maxx, maxy = shapely.total_bounds(polygons)
        margin = MARGIN_M
        self.x0, self.y0 = minx - margin, miny - margin
        span = max(maxx - minx, maxy - miny) + 2 * margin
        self.size = span / cells
        self.cols = int(np.ceil((maxx + margin - self.x0) / self.size))
        self.rows = int(np.ceil((maxy + margin - self.y0) / self.size))
        self._candidates()

    def _candidates(self) -> None:
        """For each cell, the segments that can be nearest to some point in it (CSR lists)."""
        segments = shapely.linestrings(
            np.stack([np.column_stack([self.ax, self.ay]), np.column_stack([self.bx, self.by])], axis=1)
        )
        tree = shapely.STRtree(segments)
        row, col = np.divmod(np.arange(self.rows * self.cols), self.cols)
        cx, cy = self.x0 + (col + 0.5) * self.size, self.y0 + (row + 0.5) * self.size
        centres = shapely.points(cx, cy)
        half = self.size * np.sqrt(2) / 2 * (1 + 1e-9) + 1e-9
        # A cell wholly inside a polygon never holds a point outside every polygon: no list. Its
        # centre is inside and no boundary passes within half a diagonal of it.
        inside = np.flatnonzero(shapely.contains_xy(shapely.union_all(self.tree.geometries), cx, cy))
        near_edge = inside[np.unique(tree.query(centres[inside], predicate="dwithin", distance=half)[0])]
        wanted = np.union1d(np.setdiff1d(np.arange(len(cx)), inside), near_edge)
        nearest = _nearest_distance(tree, centres[wanted])
        # Every point of a cell is within half a diagonal of its centre, so some segment lies
        # within (nearest + half) of every point: a segment farther than that from the whole cell
        # is never the nearest to any of them.
        pair_cell, segment = tree.query(centres[wanted], predicate="dwithin", distance=nearest + 2 * half)
        boxes = shapely.box(
            cx[wanted] - self.size / 2,
            cy[wanted] - self.size / 2,
            cx[wanted] + self.size / 2,
            cy[wanted] + self.size / 2,
        )
        close = shapely.distance(boxes[pair_cell], segments[segment]) <= nearest[pair_cell] + half
        cell, segment = wanted[pair_cell[close]], segment[close]
        order = np.lexsort((segment, cell))
        self.segment = segment[order].astype(np.int32)
        self.start = np.searchsorted(cell[order], np.arange(self.rows * self.cols + 1))

    def distance(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Distance from each point (outside every polygon) to the nearest polygon boundary."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        out = np.empty(len(x))
        col = np.floor((x - self.x0) / self.size).astype(np.int64)
        row = np.floor((y - self.y0) / self.size).astype(np.int64)
        on_grid = (col >= 0) & (col < self.cols) & (row >= 0) & (row < self.rows)
        off = np.flatnonzero(~on_grid)
        if off.size:
            out[off] = _nearest_distance(self.tree, shapely.points(x[off], y[off]))
        points = np.flatnonzero(on_grid)
        cell = row[points] * self.cols + col[points]
        order = np.argsort(cell, kind="stable")  # points of one cell together: the segments stay in cache
        points, cell = points[order], cell[order]
        count = self.start[cell + 1] - self.start[cell]
        total = np.cumsum(count)
        first = 0
        while first < points.size:
            # As many points as keep the pairs under CHUNK_PAIRS (at least one).
            done = total[first - 1] if first else 0
            last = max(first + 1, int(np.searchsorted(total, done + CHUNK_PAIRS)))
            out[points[first:last]] = self._measure(
                x[points[first:last]], y[points[first:last]], cell[first:last], count[first:last]
            )
            first = last
        return out

    def _measure(self, x: np.ndarray, y: np.ndarray, cell: np.ndarray, count: np.ndarray) -> np.ndarray:
        ends = np.cumsum(count)
        offsets = np.repeat(ends - count - self.start[cell], count)
        seg = self.segment[np.arange(int(ends[-1])) - offsets]
        px, py = np.repeat(x, count), np.repeat(y, count)
        ax, ay, dx, dy, inverse = self.table[seg].T  # one gather of each pair's segment
        ex, ey = px - ax, py - ay
        t = np.clip((ex * dx + ey * dy) * inverse, 0.0, 1.0)
        ex -= t * dx
        ey -= t * dy
        return np.sqrt(np.minimum.reduceat(ex * ex + ey * ey, ends - count))


def _nearest_distance(tree: shapely.STRtree, points: np.ndarray) -> np.ndarray:
    """Distance from each point to its nearest geometry in ``tree`` (ties counted once)."""
    (which, _), distance = tree.query_nearest(points, return_distance=True, all_matches=False)
    out = np.empty(len(points))
    out[which] = distance
    return out
