"""Hot and cold spots of a per-zone value: Getis-Ord Gi* (esda) with FDR-corrected classes."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from katye import geodata
from katye.errors import UsageError

LEVELS = ((0.01, "99%"), (0.05, "95%"), (0.10, "90%"))


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
    if len(zones) < 3 or np.ptp(y) == 0:
        # Gi* compares a zone's neighbourhood with the rest: with fewer than three zones, or the same
        # value everywhere (no incident anywhere), there is nothing to compare.
        return _not_significant(zones, y, permutations, seed)
    # Imported on use: esda and libpysal pull in scipy.stats and cost over a second at start-up.
    import esda
    from libpysal import weights as lpweights

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        # libpysal warns about islands (Gi* with star=True handles them); with every value 0 the
        # statistic is undefined (NaN z, "not significant"), which esda reports as a division warning.
        warnings.simplefilter("ignore")
        # Neighbours are zones within a metre of each other: exact Queen contiguity misses zones
        # whose shared edges differ in the last digits, as hand-made layers often do.
        w = lpweights.fuzzy_contiguity(zones.to_crs("EPSG:32618"), buffering=True, buffer=1.0, predicate="intersects")
        w.transform = "B"
        if len(w.islands) == len(zones):
            # No zone touches another: Gi* has no neighbourhood to compare anywhere.
            return _not_significant(zones, y, permutations, seed)
        gi = esda.G_Local(y, w, star=True, permutations=permutations, seed=seed, transform="B")
    z = np.asarray(gi.Zs, dtype=float)
    p = np.asarray(gi.p_sim, dtype=float)
    label = np.full(len(zones), "not significant", dtype=object)
    for alpha, name in reversed(LEVELS):  # widest level first, so narrower levels overwrite
        threshold = esda.fdr(p, alpha)
        significant = p <= threshold
        label[significant & (z > 0)] = f"hot {name}"
        label[significant & (z < 0)] = f"cold {name}"
    return _frame(zones, y, z, p, label, permutations, seed)


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
