"""Where violence is emerging: Gi* per time slice and a Mann-Kendall trend, classed as ArcGIS does.

Method
------
1. Slices: the whole months or ACLED weeks (Saturday to Friday, :data:`katye.dates.ACLED_WEEK`)
   of the study period; a week or month cut by its start or end is left out. Each zone's value
   in a slice is its number of ``exact`` incidents (or their fatalities); a zone with none has 0.
2. Gi* per slice: Getis-Ord Gi* of the zones' values in each slice, zones within 1 m as
   neighbours, binary weights, the zone itself included (:func:`katye.gistar.gi_star`, which
   equals ``esda.G_Local(star=True)`` slice by slice), with conditional-permutation pseudo
   p-values from a fixed seed. In each slice a zone is a significant hot (cold) spot when its
   z-score is positive (negative) and its p-value is within the Benjamini-Hochberg
   false-discovery-rate threshold at ``alpha`` over the zones of that slice (``esda.fdr``). A
   slice where every zone has the same value (e.g. no event anywhere) has no Gi*: nothing is
   significant in it and its z-scores count as 0 in the trend.
3. Trend: the Mann-Kendall test (``pymannkendall.original_test``: S, Var(S) corrected for ties,
   Z with continuity correction, two-sided p) on each zone's series of Gi* z-scores: is the
   intensity of clustering rising or falling? Significant when p < ``trend_alpha``.
4. Category (ArcGIS Pro, "How Emerging Hot Spot Analysis works",
   https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/learnmoreemerging.htm).
   With n slices, "90 %" meaning at least 9 in 10 of them, and hot below read cold for the
   cold counterparts (whose intensity rises as the z-scores fall):

   - new hot spot: hot in the final slice and never hot before;
   - consecutive hot spot: a single uninterrupted run of at least two hot slices ending with
     the final slice, never hot before that run, hot in less than 90 % of the slices;
   - intensifying hot spot: hot in at least 90 % of the slices, including the final one, and
     the intensity of clustering rises significantly;
   - persistent hot spot: hot in at least 90 % of the slices, including the final one, with no
     significant trend;
   - diminishing hot spot: as intensifying, but the intensity falls significantly;
   - sporadic hot spot: hot in the final slice, an on-again off-again hot spot, hot in less than
     90 % of the slices and never a cold spot;
   - oscillating hot spot: hot in the final slice, a cold spot in some earlier slice, hot in
     less than 90 % of the slices;
   - historical hot spot: not hot in the final slice, but hot in at least 90 % of them;
   - no pattern detected: none of these.

   Where two definitions fit one history, the final slice decides first (a zone hot in it
   takes a hot category, cold a cold one, neither a historical one or none), then the 90 % rule,
   then a cold (hot) history makes a hot (cold) spot oscillating before new, consecutive or
   sporadic are considered, as sporadic's own "never a cold spot" implies.

Differences from ArcGIS, on purpose: ArcGIS computes Gi* on a space-time cube whose neighbourhood
may include earlier time steps (its "neighborhood time step"); katye computes Gi* within each
slice, on the zones' contiguity. ArcGIS's older (ArcMap) page defined consecutive without "at
least two" and sporadic without the final time step; katye follows the current ArcGIS Pro text.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from katye import geodata
from katye.dates import PERIODS, as_day, period_index, periods_between, require_columns, window_end
from katye.errors import InputError, UsageError
from katye.gistar import contiguity, fdr_significant, gi_star
from katye.join import assigned

REFERENCE = "https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/learnmoreemerging.htm"
KINDS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating", "historical")
#: Every category, in a fixed order for legends: hot ones, cold ones, then no pattern.
CATEGORIES = (*(f"{kind} {spot}" for spot in ("hot spot", "cold spot") for kind in KINDS), "no pattern detected")
#: Below five slices Mann-Kendall cannot reach p < 0.05 whatever the data (n = 5 rising gives p = 0.027).
MIN_SLICES = 5
VALUES = ("events", "fatalities")
#: One letter per slice in ``history``: significant hot, significant cold, neither.
HISTORY_LETTERS = {1: "H", -1: "C", 0: "."}


def emerging_hotspots(
    incidents: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None = None,
    *,
    period: str = "week",
    start=None,
    end=None,
    value: str = "events",
    alpha: float = 0.05,
    trend_alpha: float = 0.05,
    permutations: int = 999,
    seed: int = 0,
) -> gpd.GeoDataFrame:
    """Emerging hot and cold spots per zone: Gi* per week or month, a Mann-Kendall trend, ArcGIS's classes.

    The method, its references and where it differs from ArcGIS are in the module docstring
    (:mod:`katye.emerging`).

    Parameters
    ----------
    incidents
        Canonical incidents (e.g. from :func:`katye.read_incidents`), assigned or not; only
        ``exact`` ones count in a zone (see :func:`katye.assign`).
    zones
        Area layer (default: the shipped zones); its contiguity defines the neighbours.
    period
        ``"week"`` (ACLED weeks, Saturday to Friday) or ``"month"``.
    start, end
        First and last day of the study period (default: the first and last incident dates).
        Only whole weeks or months inside it are slices: one cut by ``start`` or ``end`` is left
        out, since the classes hinge on the final slice and four days are not a week.
    value
        ``"events"`` (incidents per zone and slice) or ``"fatalities"``.
    alpha
        FDR level for a significant hot or cold spot in a slice.
    trend_alpha
        Significance level of the Mann-Kendall trend.
    permutations, seed
        Conditional permutations for Gi*'s pseudo p-values, and their seed (same seed, same result).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per zone: ``zone_id``, ``name``, ``category`` (one of :data:`CATEGORIES`),
        ``trend_tau``, ``trend_z``, ``trend_p`` (Mann-Kendall on the zone's Gi* z-scores),
        ``hot_slices``, ``cold_slices``, ``slices``, ``history`` (a letter per slice: ``H``
        hot, ``C`` cold, ``.`` neither), ``total`` (the value summed over the period) and the
        geometry. ``attrs["katye_method"]`` records the method, the parameters and the slice keys.
        Per-slice z-scores and p-values: :func:`gi_star_slices` with the same arguments.

    Raises
    ------
    UsageError
        An unknown ``period`` or ``value``, or fewer than :data:`MIN_SLICES` slices.
    CRSError
        The incidents or the zones have no CRS.

    """
    cube = _cube(
        incidents, zones, period=period, start=start, end=end, value=value, permutations=permutations, seed=seed
    )
    states = _states(cube.z, cube.p, alpha)
    z = np.nan_to_num(cube.z, nan=0.0)
    rows = [_zone_summary(states[:, i], z[:, i], trend_alpha) for i in range(len(cube.zones))]
    out = cube.zones[["zone_id", "name", "geometry"]].copy()
    for column in ("category", "trend_tau", "trend_z", "trend_p", "hot_slices", "cold_slices", "history"):
        out[column] = [row[column] for row in rows]
    out["slices"] = len(cube.bounds)
    out["total"] = cube.y.sum(axis=0)
    out = out[[c for c in out.columns if c != "geometry"] + ["geometry"]]
    out.attrs["katye_method"] = {
        **cube.method(alpha),
        "trend": "Mann-Kendall (pymannkendall.original_test) on each zone's Gi* z-scores",
        "trend_alpha": trend_alpha,
        "classes": "ArcGIS Pro emerging hot spot analysis categories",
        "reference": REFERENCE,
    }
    return gpd.GeoDataFrame(out, geometry="geometry", crs=cube.zones.crs)


def require_result(emerging) -> None:
    """Raise a UsageError unless ``emerging`` is a result of :func:`emerging_hotspots` (a known category per zone)."""
    if (
        not isinstance(emerging, pd.DataFrame)
        or "category" not in emerging.columns
        or not set(emerging["category"]) <= set(CATEGORIES)
    ):
        raise UsageError("emerging: pass the result of katye.emerging_hotspots (a category per zone).")


def gi_star_slices(
    incidents: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None = None, *, alpha: float = 0.05, **options
) -> pd.DataFrame:
    """Gi* of every zone in every slice, as :func:`emerging_hotspots` computes it (same arguments, same numbers).

    Parameters
    ----------
    incidents, zones, alpha
        As for :func:`emerging_hotspots`.
    **options
        ``period``, ``start``, ``end``, ``value``, ``permutations``, ``seed``: as for :func:`emerging_hotspots`.

    Returns
    -------
    pandas.DataFrame
        One row per zone and slice, in time order: ``zone_id``, ``period`` (``YYYY-MM`` or the
        week's Saturday), ``first_day``, ``last_day``, ``value``, ``gi_z``, ``p_sim`` (NaN when
        the slice has no Gi*) and ``state`` (``hot``, ``cold`` or ``not significant``, FDR at ``alpha``).

    """
    cube = _cube(incidents, zones, **options)
    states = _states(cube.z, cube.p, alpha)
    count, bounds = len(cube.zones), cube.bounds
    out = pd.DataFrame(
        {
            "zone_id": np.tile(cube.zones["zone_id"].to_numpy(), len(bounds)),
            "period": np.repeat([key for key, _, _ in bounds], count),
            "first_day": np.repeat([first for _, first, _ in bounds], count),
            "last_day": np.repeat([last for _, _, last in bounds], count),
            "value": cube.y.ravel(),
            "gi_z": cube.z.ravel(),
            "p_sim": cube.p.ravel(),
            "state": np.array(["cold", "not significant", "hot"], dtype=object)[states.ravel() + 1],
        }
    )
    out.attrs["katye_method"] = cube.method(alpha)
    return out


def classify(states, trend_z: float, trend_p: float, *, trend_alpha: float = 0.05) -> str:
    """The emerging hot spot category of one zone (rules in the module docstring).

    Parameters
    ----------
    states
        One value per slice in time order: 1 significant hot spot, -1 significant cold spot,
        0 neither.
    trend_z, trend_p
        The Mann-Kendall Z and p of the zone's Gi* z-scores.
    trend_alpha
        A trend is significant when ``trend_p < trend_alpha``.

    Returns
    -------
    str
        One of :data:`CATEGORIES`.

    """
    s = np.sign(np.asarray(states, dtype=float)).astype(int)
    n = len(s)
    if n == 0:
        raise UsageError("states: give one state per slice (1 hot, -1 cold, 0 neither); got none.")
    trending = bool(np.isfinite(trend_p) and trend_p < trend_alpha and trend_z != 0)
    for sign, spot in ((1, "hot spot"), (-1, "cold spot")):
        if s[-1] != sign:
            continue
        mine = int((s == sign).sum())
        if 10 * mine >= 9 * n:  # at least 90 % of the slices, in integers: no rounding at the edge
            if not trending:
                return f"persistent {spot}"
            # A cold spot intensifies as its z-scores fall: the trend's sign against the spot's.
            return f"{'intensifying' if np.sign(trend_z) == sign else 'diminishing'} {spot}"
        if (s == -sign).any():
            return f"oscillating {spot}"
        if mine == 1:
            return f"new {spot}"
        final_run = n - int(np.flatnonzero(s != sign)[-1]) - 1
        return f"{'consecutive' if final_run == mine else 'sporadic'} {spot}"
    for sign, spot in ((1, "hot spot"), (-1, "cold spot")):
        if 10 * int((s == sign).sum()) >= 9 * n:
            return f"historical {spot}"
    return "no pattern detected"


def mann_kendall(series) -> tuple[float, float, float]:
    """Mann-Kendall trend test of ``series`` in time order: Kendall's tau, Z and the two-sided p-value.

    ``pymannkendall.original_test`` (Hussain and Mahmud 2019, JOSS 4(39) 1556): S, Var(S)
    corrected for tied groups, Z = (S - sign(S)) / sqrt(Var(S)), p = 2 (1 - Phi(|Z|)),
    tau = S / (n (n - 1) / 2). A constant series has tau = Z = 0 and p = 1.
    """
    import pymannkendall  # imported on use: it loads scipy.stats

    result = pymannkendall.original_test(np.asarray(series, dtype=float))
    return float(result.Tau), float(result.z), float(result.p)


def _zone_summary(states: np.ndarray, z: np.ndarray, trend_alpha: float) -> dict:
    tau, trend_z, trend_p = mann_kendall(z)
    return {
        "category": classify(states, trend_z, trend_p, trend_alpha=trend_alpha),
        "trend_tau": tau,
        "trend_z": trend_z,
        "trend_p": trend_p,
        "hot_slices": int((states == 1).sum()),
        "cold_slices": int((states == -1).sum()),
        "history": "".join(HISTORY_LETTERS[int(s)] for s in states),
    }


def _states(z: np.ndarray, p: np.ndarray, alpha: float) -> np.ndarray:
    """1 hot, -1 cold, 0 neither, per slice (rows) and zone (columns); FDR over the zones of each slice."""
    significant = np.vstack([fdr_significant(row, alpha) for row in p]) if len(p) else np.zeros(p.shape, bool)
    return np.where(significant, np.sign(np.nan_to_num(z)), 0).astype(int)


def _period_bounds(incidents: pd.DataFrame, start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    last = window_end(incidents, end)  # raises a clear error when no incident has a date
    if start is not None:
        first = as_day(start, what="start")
    elif pd.isna(incidents["event_date"].min()):
        raise InputError("no incident has a date, so the period has no start: pass start= (YYYY-MM-DD).")
    else:
        first = pd.Timestamp(incidents["event_date"].min()).normalize()
    if first > last:
        raise UsageError(f"start {first.date()} is after end {last.date()}: give start on or before end.")
    return first, last


@dataclass(frozen=True)
class _Cube:
    """Zones, whole slices (key, first and last day), values (slices x zones), Gi* z and p of that shape."""

    zones: gpd.GeoDataFrame
    bounds: list[tuple[str, pd.Timestamp, pd.Timestamp]]
    y: np.ndarray
    z: np.ndarray
    p: np.ndarray
    options: dict

    def method(self, alpha: float) -> dict:
        return {
            "statistic": "Getis-Ord Gi* per slice (esda.G_Local, star=True, conditional permutations)",
            "weights": "contiguity (zones within 1 m), binary",
            "period": self.options["period"],
            "value": self.options["value"],
            "slices": [key for key, _, _ in self.bounds],
            "alpha": alpha,
            "correction": "FDR (esda.fdr) over the zones of each slice",
            "permutations": self.options["permutations"],
            "seed": self.options["seed"],
        }


def _cube(incidents, zones, *, period="week", start=None, end=None, value="events", permutations=999, seed=0) -> _Cube:
    """Count each zone's value per whole slice and compute Gi* for every slice."""
    if period not in PERIODS:
        raise UsageError(f"period={period!r}: use one of {', '.join(map(repr, PERIODS))}.")
    if value not in VALUES:
        raise UsageError(f"value={value!r}: use one of {', '.join(map(repr, VALUES))}.")
    require_columns(incidents, ("event_date", "fatalities") if value == "fatalities" else ("event_date",))
    zones_ = geodata.resolve_zones(zones)
    first, last = _period_bounds(incidents, start, end)
    # Whole slices only: the classes hinge on the final slice, and four days are not a week.
    bounds = [b for b in periods_between(first, last, period) if _whole(b[1], b[2], period)]
    if len(bounds) < MIN_SLICES:
        raise UsageError(
            f"{first.date()} to {last.date()} holds {len(bounds)} whole {period}(s); emerging hot spots need at "
            f"least {MIN_SLICES} (below that a Mann-Kendall trend cannot reach p < 0.05). Use a longer period"
            + (" or weekly slices (period='week'; katye map --emerging week)." if period == "month" else ".")
        )
    keys = [key for key, _, _ in bounds]
    first, last = bounds[0][1], bounds[-1][2]
    data = assigned(incidents, zones)
    dates = data["event_date"]
    keep = ((data["assignment"] == "exact") & (dates >= first) & (dates <= last)).to_numpy()
    if not keep.any():
        raise UsageError(
            f"none of the {len(incidents):,} incidents is located exactly between {first.date()} and {last.date()}: "
            "emerging hot spots count only exactly located incidents (katye validate shows each one's precision)."
        )
    data = data[keep]
    slice_at = period_index(data["event_date"], period, list(keys))
    zone_at = pd.Index(zones_["zone_id"]).get_indexer(pd.Index(data["zone_id"].astype(str)))
    weights = np.ones(len(data)) if value == "events" else data["fatalities"].to_numpy(dtype=float)
    y = np.zeros((len(keys), len(zones_)))
    np.add.at(y, (slice_at, zone_at), weights)
    options = {"period": period, "value": value, "permutations": permutations, "seed": seed}
    w = contiguity(zones_)
    if w is None:  # fewer than three zones, or none touching another: Gi* has nothing to compare
        blank = np.full(y.shape, np.nan)
        return _Cube(zones_, bounds, y, blank, blank, options)
    z, p = gi_star(y, w, permutations=permutations, seed=seed)
    return _Cube(zones_, bounds, y, z, p, options)


def _whole(first: pd.Timestamp, last: pd.Timestamp, period: str) -> bool:
    """True when ``first`` to ``last`` is a whole ACLED week or a whole month."""
    if period == "week":
        return (last - first).days == 6
    return first.day == 1 and (last + pd.Timedelta(days=1)).day == 1
