"""Hot and cold spots of a per-zone value: Getis-Ord Gi* (esda's method) with FDR-corrected classes.

:func:`gi_star` computes Gi* for many values of the same zones at once (one row per time slice in
:mod:`katye.emerging`): the z-scores and esda's conditional-permutation pseudo p-values, with
esda's own random draws, so each row equals ``esda.G_Local(row, w, star=True, transform="B",
permutations=…, seed=…)`` (tested), computed in one pass instead of one esda call per row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from katye import geodata
from katye.errors import UsageError

LEVELS = ((0.01, "99%"), (0.05, "95%"), (0.10, "90%"))
#: Values held in memory at once while drawing permutations (floats): bounds memory on long series.
CHUNK_VALUES = 4_000_000


def hotspots(
    values, zones: gpd.GeoDataFrame | None = None, *, column: str = "risk_index", permutations: int = 999, seed: int = 0
) -> gpd.GeoDataFrame:
    """Getis-Ord Gi* per zone on contiguity (zones within 1 m touch), with FDR-corrected classes.

    Parameters
    ----------
    values
        A GeoDataFrame with ``zone_id`` and ``column`` (e.g. the result of :func:`katye.risk`), or a
        Series indexed by ``zone_id``. Zones with no value count as 0.
    zones
        Area layer (default: the shipped zones); its contiguity defines the neighbours.
    column
        The value column when ``values`` is a frame.
    permutations, seed
        Conditional permutations for the pseudo p-values, and their seed (same seed, same result).

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone_id``, ``name``, ``value``, ``gi_z``, ``p_sim`` and ``hotspot``: ``hot 99%``,
        ``hot 95%``, ``hot 90%``, the same for ``cold``, or ``not significant``. A class at level
        a means the zone's pseudo p-value is within the Benjamini-Hochberg FDR threshold at a.
        A zone that touches no other (an island) is ``not significant``, with no z-score.

    """
    zones = geodata.resolve_zones(zones)
    if isinstance(values, pd.DataFrame):
        if column not in values.columns or "zone_id" not in values.columns:
            raise UsageError(f"values: need zone_id and {column!r} columns.")
        series = values.set_index("zone_id")[column]
    elif isinstance(values, pd.Series):
        series = values
    else:
        raise UsageError("values: pass a GeoDataFrame with zone_id (e.g. from katye.risk) or a Series.")
    y = zones["zone_id"].map(series).fillna(0.0).to_numpy(dtype=float)
    w = contiguity(zones)
    if w is None:
        # Fewer than three zones, or none touching another: no neighbourhood to compare anywhere.
        return _not_significant(zones, y, permutations, seed)
    z, p = gi_star(y[np.newaxis, :], w, permutations=permutations, seed=seed)
    z, p = z[0], p[0]
    label = np.full(len(zones), "not significant", dtype=object)
    for alpha, name in reversed(LEVELS):  # widest level first, so narrower levels overwrite
        significant = fdr_significant(p, alpha)
        label[significant & (z > 0)] = f"hot {name}"
        label[significant & (z < 0)] = f"cold {name}"
    return _frame(zones, y, z, p, label, permutations, seed)


@dataclass(frozen=True, eq=False)
class Contiguity:
    """Binary contiguity of ``n`` zones: each zone's neighbours (ids into the zones, ascending, itself not).

    What Gi* needs of a weights matrix, without scipy (importing ``scipy.sparse`` costs ``katye map``
    about 90 ms): ``toarray()`` is the dense 0/1 matrix, and :meth:`neighbour_sums` adds up the
    neighbours' values in the order a CSR matrix product does.
    """

    neighbours: tuple[np.ndarray, ...]
    n: int

    @property
    def cardinalities(self) -> np.ndarray:
        """How many neighbours each zone has."""
        return np.array([len(ids) for ids in self.neighbours], dtype=np.int64)

    def toarray(self) -> np.ndarray:
        """The dense (n, n) matrix: 1.0 where zones i and j are neighbours, else 0.0."""
        dense = np.zeros((self.n, self.n))
        for i, ids in enumerate(self.neighbours):
            dense[i, ids] = 1.0
        return dense

    def neighbour_sums(self, values: np.ndarray) -> np.ndarray:
        """For each row of ``values`` (rows, n): each zone's sum over its neighbours' values.

        Summed from 0.0 one neighbour at a time in ascending id order, as ``scipy.sparse``'s CSR
        matrix times a dense matrix does (one axpy per stored entry, row by row), so the sums are
        the same to the last bit (tested).
        """
        values = np.asarray(values, dtype=float)
        sums = np.zeros(values.shape)
        cards = self.cardinalities
        starts = np.concatenate([[0], np.cumsum(cards)])
        ids = np.concatenate([*self.neighbours, np.zeros(0, dtype=np.int64)]).astype(np.intp)
        for k in range(int(cards.max(initial=0))):  # every zone's k-th neighbour at once
            zones = np.flatnonzero(cards > k)
            sums[:, zones] += values[:, ids[starts[zones] + k]]
        return sums


def contiguity(zones: gpd.GeoDataFrame) -> Contiguity | None:
    """Binary contiguity of ``zones`` (no diagonal), or None when Gi* cannot compare.

    Neighbours are zones within a metre of each other: exact Queen contiguity misses zones whose
    shared edges differ in the last digits, as hand-made layers often do. The rule is libpysal's
    ``fuzzy_contiguity(buffering=True, buffer=1.0, predicate="intersects")`` in EPSG:32618 (each zone
    grown by 1 m, grown zones that intersect are neighbours; equal to it, tested), computed with
    shapely alone: importing libpysal costs a second of every ``katye map``. None when there are
    fewer than three zones or no zone touches another.
    """
    if len(zones) < 3:
        return None
    # Kept per layer (outlines and CRS): every map and every emerging-hot-spot run of the same
    # zones asks again, and the answer costs a buffer and a spatial join.
    digest = hashlib.sha256(str(zones.crs).encode("utf-8"))
    for wkb in shapely.to_wkb(zones.geometry.to_numpy()):
        digest.update(b"\0" if wkb is None else b"\1" + len(wkb).to_bytes(8, "little") + wkb)
    key = digest.hexdigest()
    if key not in _CONTIGUITY:
        if len(_CONTIGUITY) >= KEPT_LAYERS:
            _CONTIGUITY.pop(next(iter(_CONTIGUITY)))
        _CONTIGUITY[key] = _contiguity(zones)
    return _CONTIGUITY[key]


#: Zone layers whose contiguity is kept in memory (the oldest goes first).
KEPT_LAYERS = 8
_CONTIGUITY: dict[str, Contiguity | None] = {}


def _contiguity(zones: gpd.GeoDataFrame) -> Contiguity | None:
    metric = shapely.buffer(zones.to_crs("EPSG:32618").geometry.to_numpy(), 1.0)
    first, second = shapely.STRtree(metric).query(metric, predicate="intersects")
    keep = first != second
    if not keep.any():
        return None
    n = len(zones)
    pairs = np.unique(first[keep] * n + second[keep])  # sorted by zone, then by neighbour; each pair once
    starts = np.searchsorted(pairs // n, np.arange(n + 1))
    ids = pairs % n
    ids.flags.writeable = False  # shared by every caller (see contiguity)
    return Contiguity(tuple(ids[starts[i] : starts[i + 1]] for i in range(n)), n)


@lru_cache(maxsize=16)
def permutation_draws(max_card: int, n: int, permutations: int, seed: int) -> np.ndarray:
    """The conditional-permutation draws of esda: ``permutations`` rows of ``max_card`` ids from ``range(n - 1)``.

    The draws of ``esda.crand.vec_permutations`` as esda makes them without numba (NumPy's
    legacy generator seeded with ``seed``, one ``choice(n - 1, max_card, replace=False)`` per
    row; equal to it, tested), from a generator of its own so the caller's global NumPy state is
    left alone, and without importing esda (a second at start-up). Kept for the next call with
    the same arguments (read-only).
    """
    generator = np.random.RandomState(seed)
    out = np.empty((permutations, max_card), dtype=np.int64)
    for k in range(permutations):
        out[k] = generator.choice(n - 1, size=max_card, replace=False)
    out.flags.writeable = False  # kept for the next call with the same arguments, so never changed
    return out


def gi_star(
    values: np.ndarray, w: Contiguity, *, permutations: int = 999, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and pseudo p-values for each row of ``values`` (rows: slices, columns: zones).

    The statistic and its analytical z-score are esda's ``G_Local(star=True, transform="B")``;
    the pseudo p-values come from esda's conditional permutations: the random neighbour sets are
    esda's own (:func:`permutation_draws` with ``seed``), drawn once and used for every
    row, as esda would draw them for each row with the same seed. A p-value is esda's "directed"
    one, ``(min(larger, permutations - larger) + 1) / (permutations + 1)``.

    Parameters
    ----------
    values
        Array of shape (slices, zones), in the order of the zones that ``w`` was built from.
    w
        Binary contiguity from :func:`contiguity` (zone i's own value is added: Gi*).
    permutations, seed
        Conditional permutations and their seed.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        z-scores and pseudo p-values, each of shape (slices, zones). NaN where Gi* is undefined:
        a row whose values are all equal (nothing to compare, e.g. no event anywhere), and zones
        that touch no other (esda would call such an island with a value "significant").

    """
    y = np.asarray(values, dtype=float)
    rows, n = y.shape
    neighbours = w.neighbours
    cards = w.cardinalities
    total = y.sum(axis=1)
    local = w.neighbour_sums(y) + y  # each zone's sum over itself and its neighbours
    with np.errstate(invalid="ignore", divide="ignore"):
        z = _z_scores(y, local, total, cards + 1.0, n)
    flat = np.ptp(y, axis=1) == 0
    z[flat, :] = np.nan
    z[:, cards == 0] = np.nan
    p = np.full((rows, n), np.nan)
    if permutations and cards.max(initial=0) > 0:
        draws = permutation_draws(int(cards.max()), n, permutations, seed)
        p = _pseudo_p(y, local, neighbours, draws)
        p[flat, :] = np.nan
        p[:, cards == 0] = np.nan
    return z, p


def _z_scores(y, local, total, cardinality, n) -> np.ndarray:
    """The analytical Gi* z-score (star, binary weights) as esda computes it, in esda's order of operations."""
    statistic = local / total[:, None]
    mean = total / n
    variance = (y**2).sum(axis=1) / n - mean**2
    expected = cardinality / n
    expected_variance = cardinality * (n - cardinality)
    expected_variance = expected_variance / (n - 1) * (1 / n**2)
    expected_variance = expected_variance[None, :] * (variance / mean**2)[:, None]
    return (statistic - expected[None, :]) / np.sqrt(expected_variance)


def _pseudo_p(y, local, neighbours, draws) -> np.ndarray:
    """The directed pseudo p-value (esda's) for every slice and zone, from one set of permutation draws."""
    rows, n = y.shape
    permutations = draws.shape[0]
    columns = np.ascontiguousarray(y.T)  # one row of values per zone: gathers copy whole rows
    p = np.empty((rows, n))
    for i, ids in enumerate(neighbours):
        card = len(ids)
        if card == 0:
            continue
        # esda draws from the other zones, numbered without zone i: index k means zone k + (k >= i).
        chosen = draws[:, :card]
        chosen = chosen + (chosen >= i)
        larger = np.zeros(rows)
        step = max(1, CHUNK_VALUES // (card * rows))
        for start in range(0, permutations, step):
            sums = columns[chosen[start : start + step]].sum(axis=1) + columns[i]  # (draws, slices)
            larger += (sums >= local[:, i]).sum(axis=0)
        larger = np.where(permutations - larger < larger, permutations - larger, larger)
        p[:, i] = (larger + 1.0) / (permutations + 1.0)
    return p


def fdr_significant(p: np.ndarray, alpha: float) -> np.ndarray:
    """True where ``p`` is within the Benjamini-Hochberg threshold at ``alpha`` (``esda.fdr``); NaN never."""
    known = np.isfinite(p)
    out = np.zeros(p.shape, dtype=bool)
    if known.any():
        out[known] = p[known] <= fdr_threshold(p[known], alpha)
    return out


def fdr_threshold(p: np.ndarray, alpha: float) -> float:
    """``esda.fdr``: the largest Benjamini-Hochberg bound ``k * alpha / n`` that the k-th smallest p stays under.

    Written out (equal to esda's, tested) so that hot spots need not import esda. As in esda, the
    comparison is strict and, when no p-value passes, the Bonferroni bound ``alpha / n`` is returned.
    """
    n = len(p)
    descending = np.sort(p)[::-1]
    bounds = np.arange(n, 0, -1) * alpha / n
    passing = np.flatnonzero(descending < bounds)
    return float(bounds[passing[0]]) if len(passing) else alpha / n


def _not_significant(zones, y, permutations, seed) -> gpd.GeoDataFrame:
    """Every zone "not significant", with no z-score: when Gi* has nothing to compare."""
    blank = np.full(len(zones), np.nan)
    return _frame(zones, y, blank, blank, np.full(len(zones), "not significant", dtype=object), permutations, seed)


def _frame(zones, y, z, p, label, permutations, seed) -> gpd.GeoDataFrame:
    out = zones[["zone_id", *(["name"] if "name" in zones.columns else []), "geometry"]].copy()
    out["value"] = y
    out["gi_z"] = z
    out["p_sim"] = p
    out["hotspot"] = label
    out.attrs["katye_method"] = {
        "statistic": "Getis-Ord Gi* (esda.G_Local, star=True)",
        "weights": "contiguity (zones within 1 m), binary",
        "permutations": permutations,
        "seed": seed,
        "correction": "FDR (esda.fdr)",
    }
    return out
