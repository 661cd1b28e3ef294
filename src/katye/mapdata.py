"""What a map shows, computed once: the data behind :func:`katye.make_map` and :func:`katye.render_static`.

:func:`prepare` filters the incidents, assigns them, scores risk, infers control, and computes the
density surface and the hot spots, once. Both renderers draw the :class:`MapData` it returns, so a
command that writes an HTML map, a PNG and a PDF analyses the data once. Nothing here draws.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypedDict, Unpack

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from katye import geodata
from katye.control import control_as_of, infer_control, read_control
from katye.crs import METRIC_CRS, require_crs
from katye.dates import ACLED_WEEK, as_day, period_index
from katye.errors import UsageError
from katye.gistar import hotspots
from katye.join import assigned
from katye.kde import DensitySurface, density
from katye.labels import count_text, day_text, localised, month_text, number_text
from katye.labels import labels as label_set
from katye.scoring import risk


@dataclass
class MapData:
    """The filtered incidents, the zones with their control and risk, and the words around them."""

    words: dict
    zones: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame | None
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    as_of: pd.Timestamp | None
    snapshot: pd.DataFrame | None
    inferred: pd.DataFrame | None
    scored: gpd.GeoDataFrame | None
    title: str
    caveats: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)
    #: The zones as given (None: the shipped ones), for the assignment cache.
    user_zones: gpd.GeoDataFrame | None = None
    #: Incidents left out because they lie more than ``MAP_MARGIN_M`` beyond the zones' extent.
    beyond: int = 0
    #: Words that must stay on the map itself, whatever crop a report makes (synthetic data …).
    banners: list[str] = field(default_factory=list)
    #: The incidents are katye's synthetic sample (or another file flagged ``synthetic``).
    synthetic: bool = False
    #: The declared control table is illustrative, not an assessment.
    illustrative: bool = False
    #: Dates of the incidents left out as beyond the margin (for each period's count of them).
    far_dates: pd.Series | None = None
    #: Where the population of a per-100,000 Risk layer came from, in the map's language (or None).
    population_note: list[str] = field(default_factory=list)

    @cached_property
    def density(self) -> DensitySurface | None:
        """Kernel density of the incidents drawn (500 m bandwidth, 100 m cells), or None without incidents.

        Only events located at or near their place count: an event known only to a commune would
        paint a blob on the commune's centre. Computed on first use (a static figure never asks),
        then kept.
        """
        if self.incidents is None or not len(self.incidents):
            return None
        placed = self.incidents["location_precision"].astype(str).isin(["exact", "near"]).to_numpy()
        return density(self.incidents[placed], bandwidth_m=500, cell_m=100)

    @cached_property
    def hotspots(self) -> gpd.GeoDataFrame | None:
        """Getis-Ord Gi* hot spots of the risk index, or None without incidents (computed on first use)."""
        return None if self.scored is None else hotspots(self.scored, self.zones)

    @property
    def has_incidents(self) -> bool:
        """True when there is at least one incident to draw."""
        return self.incidents is not None and len(self.incidents) > 0

    @property
    def subtitle(self) -> str:
        """The date range and the as-of date, in the map's language."""
        words = self.words
        period = (
            words["period_all"].format(start=day_text(self.start.date(), words), end=day_text(self.end.date(), words))
            if self.start is not None and self.end is not None
            else ""
        )
        as_of = f" · {words['as_of']} {day_text(self.as_of.date(), words)}" if self.as_of is not None else ""
        return (period + as_of).strip(" ·")

    def period_subtitle(self, kind: str, key: str) -> str:
        """The subtitle while the map shows one period: a month (``YYYY-MM``) or an ACLED week (its Saturday)."""
        words = self.words
        if kind == "month":
            shown = words["month_only"].format(month=month_text(key, words))
        else:
            # The days shown: the week, cut to the map's period at either end.
            first = max(pd.Timestamp(key), self.start) if self.start is not None else pd.Timestamp(key)
            last = first.to_period(ACLED_WEEK).end_time.normalize()
            last = min(last, self.end) if self.end is not None else last
            shown = words["week_only"].format(start=day_text(first.date(), words), end=day_text(last.date(), words))
        as_of = f" · {words['as_of']} {day_text(self.as_of.date(), words)}" if self.as_of is not None else ""
        return shown + as_of

    def caveats_between(self, first: pd.Timestamp, last: pd.Timestamp) -> list[str]:
        """The caveats while the map shows only the days from ``first`` to ``last``: that period's counts."""
        shown = self.incidents
        if shown is not None and len(shown):
            dates = shown["event_date"]
            shown = shown[((dates >= first) & (dates <= last)).to_numpy()]
        beyond = 0
        if self.far_dates is not None:
            beyond = int(((self.far_dates >= first) & (self.far_dates <= last)).sum())
        return _caveats(self, _coarse_levels(shown), beyond)

    def period_caveats(self, kind: str, keys: list[str]) -> list[list[str]]:
        """The caveats of each month or ACLED week in ``keys`` (as :meth:`caveats_between`, counted at once)."""

        def period_of(dates: pd.Series) -> np.ndarray:
            # Only days inside the map's period count, though its first and last weeks reach beyond it.
            inside = dates.notna()
            if self.start is not None:
                inside &= dates >= self.start
            if self.end is not None:
                inside &= dates <= self.end
            return np.where(inside.to_numpy(), period_index(dates, kind, keys), -1)

        beyond = np.zeros(len(keys), dtype=int)
        if self.far_dates is not None and len(self.far_dates):
            found = period_of(self.far_dates)
            np.add.at(beyond, found[found >= 0], 1)
        levels: list[dict[str, int] | None] = [None] * len(keys)
        if self.incidents is not None and len(self.incidents):
            # Two columns of the coarse rows, not the whole frame: maps hold millions of rows.
            coarse = (self.incidents["assignment"] == "coarse").to_numpy()
            found = period_of(self.incidents["event_date"][coarse])
            shown = found >= 0
            codes, names = pd.factorize(self.incidents["location_precision"][coarse].astype(str).to_numpy()[shown])
            table = np.zeros((len(keys), len(names)), dtype=np.int64)
            np.add.at(table, (found[shown], codes), 1)
            levels = [{str(name): int(n) for name, n in zip(names, row, strict=True) if n} for row in table.tolist()]
        return [_caveats(self, levels[i], int(beyond[i])) for i in range(len(keys))]

    @cached_property
    def zone_names(self) -> dict[str, str]:
        """Each zone's name as this map shows it."""
        return dict(zip(self.zones["zone_id"], self.zones["name"], strict=True))

    def status(self, zone_id: str) -> str:
        """The control status drawn for a zone: declared when a table was given, else inferred."""
        return self._statuses.get(zone_id, "unknown")

    def disagrees(self, zone_id: str) -> bool:
        """True when the declared and the inferred status of a zone differ."""
        return self._disagreeing.get(zone_id, False)

    @cached_property
    def _statuses(self) -> dict[str, str]:
        if self.snapshot is not None:
            column = self.snapshot["status"]
        elif self.inferred is not None:
            column = self.inferred["inferred_status"]
        else:
            return {}
        return {str(zone_id): str(status) for zone_id, status in column.items()}

    @cached_property
    def _disagreeing(self) -> dict[str, bool]:
        if self.inferred is None or "disagrees" not in self.inferred.columns:
            return {}
        return {str(zone_id): bool(flag) for zone_id, flag in self.inferred["disagrees"].items()}


#: How far beyond the zones' extent a map still draws incidents, in metres.
MAP_MARGIN_M = 5_000


def _near_zones(incidents: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> np.ndarray:
    """True for incidents within ``MAP_MARGIN_M`` of the zones' bounding box."""
    crs = require_crs(incidents, what="the incidents")
    minx, miny, maxx, maxy = zones.to_crs(METRIC_CRS).total_bounds
    box = shapely.box(minx - MAP_MARGIN_M, miny - MAP_MARGIN_M, maxx + MAP_MARGIN_M, maxy + MAP_MARGIN_M)
    area = gpd.GeoSeries([box], crs=METRIC_CRS).to_crs(crs).iloc[0]
    shapely.prepare(area)
    return shapely.intersects(area, np.asarray(incidents.geometry.values))


class MapOptions(TypedDict, total=False):
    """What shapes a map's data: :func:`prepare`'s options, also taken by the renderers."""

    control: Any
    as_of: Any
    start: Any
    end: Any
    lang: str
    title: str | None
    acled_accessed: str | None
    risk_per: str
    population: Any


def as_map_data(incidents, zones=None, **options: Unpack[MapOptions]) -> MapData:
    """``incidents`` when it is already a :class:`MapData`, else :func:`prepare` of it with ``options``."""
    return incidents if isinstance(incidents, MapData) else prepare(incidents, zones, **options)


def is_synthetic(incidents) -> bool:
    """True when the incidents carry the ``synthetic`` flag (katye's samples and generators set it)."""
    if incidents is None or not len(incidents) or "synthetic" not in incidents.columns:
        return False
    # The distinct values first: a flag column holds two or three, whatever the rows.
    values = pd.Series(incidents["synthetic"].unique()).astype(str)
    return bool(values.str.strip().str.lower().isin(["true", "1", "yes"]).any())


def acled_credit(incidents, accessed, words: dict) -> str | None:
    """The incidents' credit line: ACLED with the access date the user gave, or the synthetic sample's own.

    Synthetic incidents are never credited to ACLED. The access date is the user's (ACLED asks for
    the date of download); an export's ``timestamp`` says when ACLED last edited a row, not that.
    """
    if incidents is None or not ({"timestamp", "inter1"} & set(incidents.columns)):
        return None
    if is_synthetic(incidents):
        return words["credit_synthetic"]
    if not accessed:
        return words["access_not_given"]
    return words["credit_acled"].format(accessed=day_text(as_day(accessed, what="acled_accessed").date(), words))


def prepare(
    incidents: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    *,
    control=None,
    as_of=None,
    start=None,
    end=None,
    lang: str = "en",
    title: str | None = None,
    acled_accessed: str | None = None,
    risk_per: str = "zone",
    population=None,
) -> MapData:
    """Filter, assign and score everything a map draws, once.

    Parameters
    ----------
    incidents
        Canonical incidents (from :func:`katye.read_incidents`), or None for a map of the gazetteer.
    zones
        Area layer (default: the shipped zones).
    control
        Declared control: a table from :func:`katye.read_control` or a path to one. Without it the
        Control layer shows control inferred from the incidents.
    as_of
        Date of the control snapshot and the risk index (default: ``end`` or the latest incident).
    start, end
        Keep incidents in this date range (inclusive); they also title the map.
    lang
        ``"en"``, ``"fr"`` or ``"ht"`` (Haitian Creole).
    title
        Map title (default: "Insecurity in Port-au-Prince" in ``lang``).
    acled_accessed
        The date the ACLED data was downloaded (``YYYY-MM-DD``), for the credit line ACLED asks for;
        without it the line says the access date was not given. Synthetic data is never credited
        to ACLED.
    risk_per
        How the Risk layer compares zones: ``"zone"`` (default), ``"km2"`` or ``"population"``
        (see :func:`katye.risk`).
    population
        People per zone for ``risk_per="population"``, e.g. from :func:`katye.zone_population`;
        where its numbers came from (and how far a grid was from official totals) goes into the
        caveats.

    Returns
    -------
    MapData
        The incidents in the date range (assigned), the zones, the declared-control snapshot, the
        inferred control, the risk table, the density surface and the hot spots, with the title,
        caveats and credits in ``lang``. Pass it to :func:`katye.make_map` and
        :func:`katye.render_static` in place of the incidents.

    """
    words = label_set(lang)
    user_zones = zones  # None: the shipped zones, with their cached indexes
    zones = geodata.resolve_zones(zones)
    if user_zones is None:
        # The shipped zones whose names describe (an airport, a base area) are named in the map's language.
        zones = zones.assign(name=zones["zone_id"].map(words["zone_names"]).fillna(zones["name"]))
    far_dates = None
    if incidents is not None:
        # A nationwide file costs what its part around the zones costs: the rest is never drawn,
        # and falls in no zone, so neither control nor risk would count it.
        near = _near_zones(incidents, zones)
        if not near.all():
            far_dates = incidents["event_date"][~near]
            incidents = incidents[near]
        incidents = assigned(incidents, user_zones)
    start = as_day(start, what="start") if start is not None else None
    end = as_day(end, what="end") if end is not None else None
    if start is not None and end is not None and start > end:
        raise UsageError(f"start {start.date()} is after end {end.date()}: give the earlier day first.")
    if incidents is not None and len(incidents):
        start = start if start is not None else pd.Timestamp(incidents["event_date"].min()).normalize()
        end = end if end is not None else pd.Timestamp(incidents["event_date"].max()).normalize()
        keep = ((incidents["event_date"] >= start) & (incidents["event_date"] <= end)).to_numpy()
        # Risk and control look back from as_of over their own windows (and the trend over the one
        # before): they take every incident up to the end, not only the ones the map draws.
        until_end = (incidents["event_date"] <= end).to_numpy()
        history = incidents if until_end.all() else incidents[until_end]
        if not keep.all():
            incidents = incidents[keep]
    else:
        history = incidents
    beyond = 0
    if far_dates is not None:
        # Left out of this map: only those its period would have drawn.
        in_period = far_dates.notna()
        if start is not None:
            in_period &= far_dates >= start
        if end is not None:
            in_period &= far_dates <= end
        beyond = int(in_period.sum())
    as_of = as_day(as_of, what="as_of") if as_of is not None else end
    if isinstance(control, (str, os.PathLike)):
        control = read_control(control, zones=zones)
    snapshot = None
    if control is not None:
        # No date to go by (no incidents, no as_of): the table's latest rows, not today's date, so the
        # same inputs give the same map whenever it is made.
        when = as_of if as_of is not None else control["as_of"].max()
        snapshot = control_as_of(control, when).set_index("zone_id")
    data = MapData(
        words=words,
        zones=zones,
        incidents=incidents,
        start=start,
        end=end,
        as_of=as_of,
        snapshot=snapshot,
        inferred=None,
        scored=None,
        title=title or words["title"],
        credits=list(words["base_credits"]),
        user_zones=user_zones,
    )
    data.synthetic = is_synthetic(incidents)
    data.illustrative = bool(
        control is not None and "illustrative" in control.columns and control["illustrative"].astype(bool).any()
    )
    if data.synthetic:
        data.banners.append(words["synthetic_banner"])
        # In the title too: a title is what a report quotes, and a crop keeps.
        if words["synthetic_mark"] not in data.title:
            data.title = f"{words['synthetic_mark']} · {data.title}"
    if data.illustrative:
        data.banners.append(words["illustrative_banner"])
    data.beyond = beyond
    data.far_dates = far_dates
    data.caveats = _caveats(data, _coarse_levels(incidents), beyond)
    if incidents is not None and len(incidents):
        data.inferred = infer_control(history, user_zones, as_of=as_of, declared=control).set_index("zone_id")
        data.scored = risk(history, user_zones, as_of=as_of, per=risk_per, population=population)
        if risk_per == "population":
            data.population_note = population_note(population, data.scored, words)
            data.caveats = _caveats(data, _coarse_levels(incidents), beyond)
        credit = acled_credit(incidents, acled_accessed, words)
        if credit:
            data.credits.insert(0, credit)
    return data


def _coarse_levels(incidents: gpd.GeoDataFrame | None) -> dict[str, int] | None:
    """How many incidents drawn are located only approximately, by location precision."""
    if incidents is None or not len(incidents):
        return None
    coarse = incidents["location_precision"][(incidents["assignment"] == "coarse").to_numpy()]
    return {str(level): int(n) for level, n in coarse.astype(str).value_counts().items()}


def _caveats(data: MapData, levels: dict[str, int] | None, beyond: int) -> list[str]:
    """What a reader must know about what is drawn: synthetic or illustrative data, counts left out or coarse.

    ``levels`` counts the incidents drawn that are located only approximately, by precision.
    """
    words = data.words
    caveats = []
    if data.synthetic:
        caveats.append(words["synthetic"])
    if data.illustrative:
        caveats.append(words["illustrative"])
    if beyond:
        caveats.append(count_text(beyond, words["beyond_map"], words, km=MAP_MARGIN_M // 1000))
    if levels and sum(levels.values()):
        detail = ", ".join(
            words["precision_counts"][level].format(n=number_text(levels[level], words))
            for level in ("commune", "region", "near", "unknown")
            if levels.get(level)
        )
        caveats.append(count_text(sum(levels.values()), words["acled_precision"], words, detail=detail))
    caveats.extend(data.population_note)
    caveats.append(words["approximate"])
    return caveats


def population_note(population, scored: gpd.GeoDataFrame, words: dict) -> list[str]:
    """The caveats of a per-100,000 Risk layer: where the people came from, and zones with nobody."""
    notes = []
    info = getattr(population, "attrs", {}).get("katye_population") if population is not None else None
    forms = words["population_note"]
    if info:
        level = forms["levels"].get(info.get("level", ""), info.get("level", ""))
        if info["kind"] == "table":
            notes.append(forms["table"].format(table=info["table"], level=level))
        elif info["kind"] == "grid":
            notes.append(forms["grid"].format(grid=info["grid"]))
        else:
            ratio = localised(f"{info['max_disagreement']:.1f}", words)
            notes.append(
                forms["rescaled"].format(
                    grid=info["grid"], table=info["table"], level=level, ratio=ratio, unit=info["max_disagreement_unit"]
                )
            )
    nobody = scored.attrs.get("katye_method", {}).get("no_population", [])
    if nobody:
        notes.append(count_text(len(nobody), forms["no_people"], words))
    return notes
