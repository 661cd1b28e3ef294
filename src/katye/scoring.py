"""Per-zone summaries and the risk index.

Risk index (per zone, as of a date)
-----------------------------------
For each incident assigned ``exact`` to a zone with a date in the window
``(as_of - window_days, as_of]``::

    severity = type_weight[event_type] * (1 + log(1 + fatalities))
    recency  = 0.5 ** (age_days / half_life_days)
    score    = sum(severity * recency)
    risk_index = score                                  per="zone" (default)
               = score / area_km2                       per="km2"
               = score / population * 100_000           per="population"

The default compares zones as they are: the zones are not equal-area units (the shipped ones
differ in area by 30 times), so dividing by area would let cell size decide the class. Only
``exact`` incidents count (see :func:`katye.assign`); the others are not in any zone. The class
comes from mapclassify (``quantiles`` or ``fisher_jenks``) over the zones with a score above
zero; zones with no event in the window are ``none``. The class breaks are returned in
``attrs["katye_breaks"]`` and each zone's class range in ``class_range``.

Trend: event counts in the window against the previous window of the same length, in ACLED
Trendfinder's bands: change > +25 % "large increase", +10 % to +25 % "moderate increase",
−25 % to +10 % "limited change", < −25 % "large decrease". Low-baseline rule: when the previous
window holds fewer than ``low_baseline`` events a percentage means little, so the trend is
"low baseline" (or "new activity" when the current window reaches ``low_baseline``).
"""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from katye import geodata
from katye.dates import as_day, require_columns, window_end
from katye.errors import UsageError
from katye.join import assigned

DEFAULT_WEIGHTS = {
    "Battles": 1.0,
    "Violence against civilians": 1.0,
    "Explosions/Remote violence": 1.0,
    "Riots": 0.5,
    "Strategic developments": 0.2,
    "Protests": 0.1,
}
#: Scheme names (case-insensitive) → mapclassify class names.
SCHEMES = {
    "quantiles": "Quantiles",
    "fisher_jenks": "FisherJenks",
    "fisherjenks": "FisherJenks",
    "natural_breaks": "NaturalBreaks",
}
CLASS_LABELS = ("very low", "low", "medium", "high", "very high")
PERIODS = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}


def summarize(
    incidents: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None = None,
    *,
    by=("month", "event_type"),
    start=None,
    end=None,
) -> pd.DataFrame:
    """Events, fatalities and rates per zone and period, with the events no zone can hold apart.

    Parameters
    ----------
    incidents
        Canonical incidents (assigned or not; unassigned ones are assigned to ``zones``). Past one
        machine: a dask-geopandas GeoDataFrame or the path of a GeoParquet dataset, summarised
        partition by partition and added up (see :mod:`katye.partitioned`).
    zones
        Area layer (default: the shipped zones).
    by
        Grouping keys after ``zone_id``: a period (``day``, ``week``, ``month``, ``quarter``,
        ``year``) and/or incident columns such as ``event_type``.
    start, end
        Inclusive date bounds.

    Returns
    -------
    pandas.DataFrame
        ``zone_id``, ``zone_name``, ``location_precision``, the keys, ``events``, ``fatalities``,
        ``events_per_km2``, ``civilians_targeted`` (events coded as targeting civilians) and
        ``share_of_zone_events`` (the row's share of the zone's events in the same period). Zone
        rows count ``exact`` incidents. Then, with ``zone_id`` empty, one row per commune and
        precision for the incidents located only approximately (``near``, ``commune``,
        ``region``, ``unknown``): counted, but in no zone ("Port-au-Prince (commune only, not in
        zone counts)").

    """
    if not isinstance(incidents, pd.DataFrame):
        from katye import partitioned  # dask and friends load only for dask input

        return partitioned.summarize(incidents, zones, by=by, start=start, end=end)
    require_columns(incidents, ("event_date", "fatalities"))
    data = assigned(incidents, zones)
    if start is not None:
        data = data[data["event_date"] >= as_day(start, what="start")]
    if end is not None:
        data = data[data["event_date"] <= as_day(end, what="end")]
    coarse = (data["assignment"] != "exact").to_numpy()
    exact = ~coarse
    zone_rows = _summary_rows(data[exact], by, data["zone_id"][exact].astype(str).to_numpy())
    zone_table = geodata.resolve_zones(zones).set_index("zone_id")
    names = zone_table["name"] if "name" in zone_table.columns else pd.Series(zone_table.index, zone_table.index)
    zone_rows["zone_name"] = zone_rows["zone_id"].map(names)
    zone_rows["location_precision"] = "exact"
    zone_rows["events_per_km2"] = zone_rows["events"] / zone_rows["zone_id"].map(zone_table["area_km2"])
    apart = data[coarse]
    communes = geodata.communes().set_index("commune_pcode")["name"]
    # Exact events in no zone are counted too, as "outside every zone".
    reason = np.where(
        apart["assignment"].astype(str).to_numpy() == "outside",
        "outside",
        apart["location_precision"].astype(str).to_numpy(),
    )
    label = (
        apart["commune_pcode"].astype(str).map(communes).fillna("outside the metro communes").astype(str)
        + " ("
        + pd.Series(reason, index=apart.index).map(APART_WORDS)
        + ", not in zone counts)"
    )
    apart_rows = _summary_rows(
        apart,
        by,
        np.full(len(apart), "", dtype=object),
        extra={"zone_name": label.to_numpy(), "location_precision": apart["location_precision"].astype(str).to_numpy()},
    )
    apart_rows["events_per_km2"] = np.nan
    apart_rows["share_of_zone_events"] = np.nan  # not a zone: no share to give
    keys = [
        k
        for k in zone_rows.columns
        if k not in SUMMARY_VALUES and k not in ("zone_id", "zone_name", "location_precision")
    ]
    out = pd.concat([zone_rows, apart_rows], ignore_index=True)
    return out[
        [
            "zone_id",
            "zone_name",
            "location_precision",
            *keys,
            "events",
            "fatalities",
            "events_per_km2",
            "civilians_targeted",
            "share_of_zone_events",
        ]
    ]


SUMMARY_VALUES = ("events", "fatalities", "civilians_targeted", "share_of_zone_events", "events_per_km2")
APART_WORDS = {
    "near": "near a place only",
    "commune": "commune only",
    "region": "department or wider only",
    "unknown": "precision unknown",
    "outside": "exact, outside every zone",
}


def _summary_rows(data: pd.DataFrame, by, zone_ids: np.ndarray, extra: dict | None = None) -> pd.DataFrame:
    """Events, fatalities and civilian targeting grouped by zone (or the ``extra`` labels) and ``by``."""
    table = pd.DataFrame({"zone_id": zone_ids, "events": 1, "fatalities": data["fatalities"].to_numpy()})
    civilian = (
        data["event_type"].astype(str).eq("Violence against civilians")
        if "event_type" in data.columns
        else pd.Series(False, index=data.index)
    )
    if "civilian_targeting" in data.columns:
        civilian |= data["civilian_targeting"].astype(str).str.strip().ne("")
    table["civilians_targeted"] = civilian.to_numpy().astype(int)
    keys = ["zone_id", *(extra or {})]
    for name, values in (extra or {}).items():
        table[name] = values
    period_key = None
    for key in by:
        if key in PERIODS:
            table[key] = data["event_date"].dt.to_period(PERIODS[key]).astype(str).to_numpy()
            period_key = key
        elif key in data.columns:
            table[key] = data[key].to_numpy()
        else:
            raise UsageError(f"by: {key!r} is neither a period ({', '.join(PERIODS)}) nor a column.")
        keys.append(key)
    out = table.groupby(keys, sort=True, observed=True)[["events", "fatalities", "civilians_targeted"]].sum()
    out = out.reset_index()
    per = [k for k in keys if k not in by] + ([period_key] if period_key else [])
    out["share_of_zone_events"] = out["events"] / out.groupby(per)["events"].transform("sum")
    return out


def trend_band(current: int, previous: int, *, low_baseline: int = 5) -> tuple[float, str]:
    """Percent change and its ACLED Trendfinder band (see the module docstring)."""
    if previous < low_baseline:
        change = math.nan if previous == 0 else 100.0 * (current - previous) / previous
        return change, ("new activity" if current >= low_baseline else "low baseline")
    change = 100.0 * (current - previous) / previous
    if change > 25:
        band = "large increase"
    elif change >= 10:
        band = "moderate increase"
    elif change >= -25:
        band = "limited change"
    else:
        band = "large decrease"
    return change, band


def quantile_classes(values: np.ndarray, k: int) -> np.ndarray:
    """Class of each value among ``k`` quantiles, as ``mapclassify.Quantiles(values, k).yb`` gives it.

    The default scheme is worked out here because importing mapclassify (which loads scipy.stats
    and scikit-learn) takes about a second, more than the rest of a small map; a test checks
    that the classes equal mapclassify's. Bounds are the k percentiles (linear interpolation),
    repeated bounds merged; a value belongs to the first class whose upper bound it does not exceed.
    """
    ordered = np.sort(np.asarray(values, dtype=float))
    step = 100.0 / k
    percents = np.arange(step, 100 + step, step)
    percents[-1] = min(percents[-1], 100.0)
    bounds = []
    for percent in percents:
        # scipy.stats.scoreatpercentile's arithmetic, to the last bit: ties depend on it.
        at = percent / 100.0 * (len(ordered) - 1)
        low = int(at)
        if low == at:
            bounds.append(ordered[low])
        else:
            weights = np.array([(low + 1) - at, at - low])
            bounds.append(np.add.reduce(ordered[low : low + 2] * weights) / weights.sum())
    return np.searchsorted(np.unique(bounds), values, side="left")


def _classify(values: np.ndarray, scheme: str, k: int) -> tuple[np.ndarray, dict[str, tuple[float, float]]]:
    """Class labels per value, and each class's (lowest, highest) value."""
    labels = np.full(values.shape, "none", dtype=object)
    positive = values > 0
    unique = np.unique(values[positive])
    if unique.size == 0:
        return labels, {}
    k = min(k, unique.size, len(CLASS_LABELS))
    names = CLASS_LABELS[len(CLASS_LABELS) - k :] if k < len(CLASS_LABELS) else CLASS_LABELS
    if k == 1:
        labels[positive] = names[0]
    elif scheme.lower() == "quantiles":
        labels[positive] = np.asarray(names, dtype=object)[np.minimum(quantile_classes(values[positive], k), k - 1)]
    else:
        import mapclassify  # imported on use: with scipy.stats and scikit-learn, about a second

        with warnings.catch_warnings():
            # Fisher-Jenks says it would be faster with numba; on a few dozen zones it does not matter.
            warnings.filterwarnings("ignore", message="Numba not installed")
            # Ties leave fewer distinct quantiles than classes; mapclassify then merges them, as intended.
            warnings.filterwarnings("ignore", message="Not enough unique values")
            classifier = getattr(mapclassify, SCHEMES[scheme.lower()])(values[positive], k=k)
        labels[positive] = np.asarray(names, dtype=object)[np.minimum(classifier.yb, k - 1)]
    breaks = {}
    for name in names:
        members = values[labels == name]
        if members.size:
            breaks[name] = (float(members.min()), float(members.max()))
    return labels, breaks


PER = ("zone", "km2", "population")
UNITS = {"zone": "per zone", "km2": "per km²", "population": "per 100,000 people"}


def _divisor(zones: gpd.GeoDataFrame, per: str, population) -> np.ndarray:
    if per == "zone":
        return np.ones(len(zones))
    if per == "km2":
        return zones["area_km2"].to_numpy(dtype=float)
    if population is None:
        if "population" not in zones.columns:
            raise UsageError(
                "per='population' needs population=: a column of the zones, or a Series or dict of people per zone_id."
            )
        population = "population"
    if isinstance(population, str):
        if population not in zones.columns:
            raise UsageError(
                f"population={population!r}: the zones have no such column. Columns: "
                f"{', '.join(c for c in zones.columns if c != 'geometry')}."
            )
        people = pd.to_numeric(zones[population], errors="coerce")
    elif isinstance(population, pd.DataFrame):
        # A table of people per zone, e.g. katye.zone_population() or katye.exposure_rates().
        if not {"zone_id", "population"} <= set(population.columns):
            raise UsageError(
                "population: a table of people per zone needs zone_id and population columns "
                "(katye.zone_population() of the zones makes one)."
            )
        table = pd.Series(population["population"].to_numpy(), index=population["zone_id"].astype(str))
        if table.index.duplicated().any():
            raise UsageError("population: a zone_id appears twice; give one count per zone.")
        people = pd.to_numeric(zones["zone_id"].astype(str).map(table), errors="coerce")
    elif isinstance(population, (dict, pd.Series)):
        table = pd.Series(population)
        if table.index.duplicated().any():
            raise UsageError("population: a zone_id appears twice; give one count per zone.")
        people = pd.to_numeric(zones["zone_id"].map(table), errors="coerce")
    else:
        raise UsageError(
            f"population: expected a column name, a dict or a Series keyed by zone_id, got {type(population).__name__}."
        )
    people = people.to_numpy(dtype=float)
    bad = zones["zone_id"].to_numpy()[~((people >= 0) & np.isfinite(people))]
    if bad.size:
        raise UsageError(
            f"population: no count ≥ 0 for zone(s) {', '.join(map(str, bad[:10]))}"
            + (f" and {bad.size - 10} more" if bad.size > 10 else "")
            + "."
        )
    return people / 100_000


def risk(
    incidents: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None = None,
    *,
    as_of=None,
    window_days: int = 90,
    half_life_days: float = 30,
    weights: dict[str, float] | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    low_baseline: int = 5,
    per: str = "zone",
    population=None,
) -> gpd.GeoDataFrame:
    """The documented risk index per zone, its class and its trend (see the module docstring).

    Parameters
    ----------
    incidents
        Canonical incidents, assigned or not.
    zones
        Area layer (default: the shipped zones).
    as_of
        The date the index is computed for (default: the latest incident date).
    window_days, half_life_days
        Window length and the half-life of the recency weight, in days.
    weights
        Event type → weight (default :data:`DEFAULT_WEIGHTS`; unknown types weigh 0.5).
    scheme, k
        mapclassify scheme (``quantiles``, ``fisher_jenks``; case-insensitive) and class count.
    low_baseline
        Fewest previous-window events for a percentage trend.
    per
        ``"zone"`` (default): the score as it is; ``"km2"``: divided by the zone's area;
        ``"population"``: per 100,000 people (needs ``population``).
    population
        People per zone for ``per="population"``: a column name of the zones, a Series or dict
        indexed by ``zone_id``, or a table with ``zone_id`` and ``population`` columns such as
        :func:`katye.zone_population` returns. A zone with no people has no rate: its
        ``risk_index`` is NaN and its class ``none`` (listed in ``attrs["katye_method"]["no_population"]``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per zone: ``zone_id``, ``name``, ``area_km2``, ``events``, ``fatalities``,
        ``score``, ``risk_index``, ``risk_class``, ``class_range``, ``events_previous``,
        ``change_pct``, ``trend``, and the zone geometry (and ``population`` with ``per="population"``).
        ``attrs["katye_method"]`` records the method and parameters, ``attrs["katye_breaks"]`` each
        class's lowest and highest index.

    """
    if not (window_days > 0 and 0 < half_life_days < float("inf")):  # also refuses NaN
        raise UsageError("window_days and half_life_days must be positive.")
    if not isinstance(scheme, str) or scheme.lower() not in SCHEMES:
        raise UsageError(f"scheme={scheme!r}: use one of {', '.join(sorted(SCHEMES))}.")
    if per not in PER:
        raise UsageError(f"per={per!r}: use one of {', '.join(PER)}.")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise UsageError(f"k={k!r}: the number of classes must be a whole number from 1 to {len(CLASS_LABELS)}.")
    for name, weight in (weights or {}).items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
            raise UsageError(f"weights[{name!r}]={weight!r}: a weight must be a finite number ≥ 0.")
    require_columns(incidents, ("event_date", "event_type", "fatalities"))
    data = assigned(incidents, zones)
    as_of = window_end(data, as_of)
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    exact = data[["zone_id", "event_date", "event_type", "fatalities"]][(data["assignment"] == "exact").to_numpy()]
    age = (as_of - exact["event_date"]).dt.days.to_numpy()
    current = (age >= 0) & (age < window_days)
    previous = (age >= window_days) & (age < 2 * window_days)
    type_weight = exact["event_type"].map(weights).fillna(0.5).to_numpy(dtype=float)
    severity = type_weight * (1 + np.log1p(exact["fatalities"].to_numpy(dtype=float)))
    recency = 0.5 ** (age / half_life_days)
    frame = pd.DataFrame(
        {
            "zone_id": exact["zone_id"].to_numpy(),
            "current": current,
            "previous": previous,
            "weighted": np.where(current, severity * recency, 0.0),
            "fatalities": np.where(current, exact["fatalities"].to_numpy(), 0),
        }
    )
    grouped = frame.groupby("zone_id").agg(
        events=("current", "sum"),
        events_previous=("previous", "sum"),
        score=("weighted", "sum"),
        fatalities=("fatalities", "sum"),
    )
    out = geodata.resolve_zones(zones)
    divisor = _divisor(out, per, population)
    keep = [c for c in ("zone_id", "name", "area_km2", "confidence") if c in out.columns]
    out = out[[*keep, "geometry"]].copy()
    for column in ("events", "events_previous", "fatalities"):
        out[column] = out["zone_id"].map(grouped[column]).fillna(0).astype(int)
    out["score"] = out["zone_id"].map(grouped["score"]).fillna(0.0)
    # Nobody lives there (an airport, a port): no rate per person. The zone's index is left empty (NaN).
    with np.errstate(divide="ignore", invalid="ignore"):
        out["risk_index"] = np.where(divisor > 0, out["score"].to_numpy() / divisor, np.nan)
    if per == "population":
        out["population"] = divisor * 100_000
    out["risk_class"], breaks = _classify(out["risk_index"].to_numpy(), scheme, k)
    out["class_range"] = out["risk_class"].map(lambda c: _range_text(breaks.get(c)))
    bands = [trend_band(c, p, low_baseline=low_baseline) for c, p in zip(out.events, out.events_previous, strict=True)]
    out["change_pct"] = [b[0] for b in bands]
    out["trend"] = [b[1] for b in bands]
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=out.crs)
    out.attrs["katye_method"] = {
        "index": "sum over exact incidents in the window of type_weight * (1 + ln(1 + fatalities)) "
        "* 0.5 ** (age_days / half_life_days)"
        + {"zone": "", "km2": ", divided by the zone area in km2", "population": ", per 100,000 people"}[per],
        "per": per,
        "unit": UNITS[per],
        "as_of": str(as_of.date()),
        "window_days": window_days,
        "half_life_days": half_life_days,
        "weights": weights,
        "scheme": scheme,
        "k": k,
        "low_baseline": low_baseline,
        "trend": "event counts vs the previous window; ACLED Trendfinder bands >+25 / +10..+25 / -25..+10 / <-25 %",
        "coarse": "incidents whose location precision is not exact are not in any zone and do not count",
    }
    if per == "population":
        out.attrs["katye_method"]["no_population"] = list(out["zone_id"][~(divisor > 0)])
        if isinstance(population, pd.DataFrame) and "katye_population" in population.attrs:
            out.attrs["katye_population"] = population.attrs["katye_population"]
    out.attrs["katye_breaks"] = breaks
    return out


def _range_text(bounds) -> str:
    return "" if bounds is None else range_text(bounds)


def short_number(value: float) -> str:
    """A class bound as a reader writes it: ``3,120``, ``50.9``, ``0.25`` (never ``1e+03``)."""
    value = float(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def range_text(bounds) -> str:
    """``low–high`` of a risk class (one number when they are equal)."""
    low, high = bounds
    return short_number(low) if low == high else f"{short_number(low)}–{short_number(high)}"
