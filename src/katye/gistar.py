"""Hot and cold spots of a per-zone value: Getis-Ord Gi* (esda's method) with FDR-corrected classes.

:func:`gi_star` computes Gi* for many values of the same zones at once (one row per time slice in
:mod:`katye.emerging`): the z-scores and esda's conditional-permutation pseudo p-values, with
esda's own random draws, so each row equals ``esda.G_Local(row, w, star=True, transform="B",
permutations=…, seed=…)`` (tested), computed in one pass instead of one esda call per row.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

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


def contiguity(zones: gpd.GeoDataFrame):
    """Binary contiguity weights (``libpysal.weights.W``) of ``zones``, or None when Gi* cannot compare.

    Neighbours are zones within a metre of each other: exact Queen contiguity misses zones whose
    shared edges differ in the last digits, as hand-made layers often do. None when there are
    fewer than three zones or no zone touches another.
    """
    if len(zones) < 3:
        return None
    # Imported on use: libpysal pulls in scipy and costs about a second at start-up.
    from libpysal import weights as lpweights

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal warns about islands; Gi* leaves them out below
        # A fresh index: the weights are keyed by it, and must follow the zones' order.
        metric = zones.to_crs("EPSG:32618").reset_index(drop=True)
        w = lpweights.fuzzy_contiguity(metric, buffering=True, buffer=1.0, predicate="intersects")
    w.transform = "B"
    return None if len(w.islands) == len(zones) else w


def gi_star(values: np.ndarray, w, *, permutations: int = 999, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and pseudo p-values for each row of ``values`` (rows: slices, columns: zones).

    The statistic and its analytical z-score are esda's ``G_Local(star=True, transform="B")``;
    the pseudo p-values come from esda's conditional permutations: the random neighbour sets are
    esda's own (:func:`esda.crand.vec_permutations` with ``seed``), drawn once and used for every
    row, as esda would draw them for each row with the same seed. A p-value is esda's "directed"
    one, ``(min(larger, permutations - larger) + 1) / (permutations + 1)``.

    Parameters
    ----------
    values
        Array of shape (slices, zones), in the order of the zones that ``w`` was built from.
    w
        Binary contiguity weights from :func:`contiguity` (zone i's own value is added: Gi*).
    permutations, seed
        Conditional permutations and their seed.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        z-scores and pseudo p-values, each of shape (slices, zones). NaN where Gi* is undefined:
        a row whose values are all equal (nothing to compare, e.g. no event anywhere), and zones
        that touch no other (esda would call such an island with a value "significant").

    """
    from esda.crand import vec_permutations  # imported on use, as in contiguity()

    y = np.asarray(values, dtype=float)
    rows, n = y.shape
    adjacency = w.sparse.tocsr(copy=True)  # the weights object caches its matrix: leave it whole
    adjacency.setdiag(0)
    adjacency.eliminate_zeros()
    neighbours = [adjacency.indices[adjacency.indptr[i] : adjacency.indptr[i + 1]] for i in range(n)]
    cards = np.array([len(ids) for ids in neighbours])
    total = y.sum(axis=1)
    local = np.asarray(adjacency @ y.T).T + y  # each zone's sum over itself and its neighbours
    with np.errstate(invalid="ignore", divide="ignore"):
        z = _z_scores(y, local, total, cards + 1.0, n)
    flat = np.ptp(y, axis=1) == 0
    z[flat, :] = np.nan
    z[:, cards == 0] = np.nan
    p = np.full((rows, n), np.nan)
    if permutations and cards.max(initial=0) > 0:
        state = np.random.get_state()  # esda seeds NumPy's global generator: leave the caller's as it was
        try:
            draws = vec_permutations(int(cards.max()), n, permutations, seed)
        finally:
            np.random.set_state(state)
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
    import esda

    known = np.isfinite(p)
    out = np.zeros(p.shape, dtype=bool)
    if known.any():
        out[known] = p[known] <= esda.fdr(p[known], alpha)
    return out


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
