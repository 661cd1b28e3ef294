"""Charts for reports and notebooks: events near key sites by week, risk by month, maps month by month.

Each function takes canonical incidents (as :func:`katye.read_incidents` gives them) and returns a
matplotlib :class:`~matplotlib.figure.Figure` (a bare Figure, not pyplot: nothing global changes),
which a notebook shows as its cell's output and :func:`katye.render.save_static` writes to PNG, SVG
or PDF with the same bytes every time. Every word comes from the map's label tables (``lang``:
``en``, ``fr`` or ``ht``); every chart names its data under the plot, and synthetic data is marked
SYNTHETIC in the title. Only exactly located incidents count: those known only to a commune or to
somewhere near a named place are never put near a site or in a zone (see :func:`katye.assign`).
"""

from __future__ import annotations

import itertools
import textwrap
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from katye import geodata
from katye.crs import METRIC_CRS
from katye.dates import period_index, periods_between
from katye.emerging import require_result
from katye.errors import UsageError
from katye.join import assigned, near_sites
from katye.labels import day_text, labels, month_text, number_text
from katye.mapdata import acled_credit, is_synthetic
from katye.render import style
from katye.render.figure import ShownFigure

#: Width and height of a chart in inches (a report's text width), and its screen resolution.
SIZE = (9.0, 4.8)
DPI = 110
LINE_COLORS = style.CHART_LINE_COLORS
#: Upper bounds of the classes of events per zone and month in the small multiples (the last is open).
EVENT_CLASSES = (0, 2, 5, 10, 20)
EVENT_COLORS = style.CHART_EVENT_COLORS


def _figure(size=SIZE) -> Figure:
    # No drawing canvas until the figure is saved or shown: geopandas asks the canvas to redraw
    # the whole figure after each layer it plots, which made a dozen small maps take half a minute.
    return ShownFigure(figsize=size, dpi=DPI, layout="constrained")


def _title(incidents, text: str, words: dict) -> str:
    return f"{words['synthetic_mark']} · {text}" if is_synthetic(incidents) else text


def _footer(fig: Figure, incidents, words: dict, *notes: str, above_in: float = 0.0) -> float:
    """The data's credit (synthetic data says so) and the chart's notes, wrapped to the width, under the plot."""
    credit = acled_credit(incidents, None, words) or words["chart_source_unknown"]
    width_in, height_in = fig.get_size_inches()
    # About 0.055 in a character at 7.5 pt; lines 0.14 in apart.
    lines = [line for text in (*notes, credit) for line in textwrap.wrap(text, int(width_in / 0.055))]
    share = (0.14 * len(lines) + 0.12) / height_in
    # The plots keep clear of the footer and of ``above_in`` inches over it (a figure legend's).
    engine = fig.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine)  # every chart is made by _figure
    engine.set(rect=(0, share + above_in / height_in, 1, 1 - share - above_in / height_in))
    fig.text(0.01, 0.06 / height_in, "\n".join(lines), fontsize=7.5, color=style.TEXT, ha="left", va="bottom")
    return share


def _sea(ax, bounds) -> None:
    """The sea under the map's whole frame (an axis turned off draws no background of its own)."""
    minx, miny, maxx, maxy = bounds
    ax.add_patch(Rectangle((minx, miny), maxx - minx, maxy - miny, color=style.SEA, zorder=0))


def _exact(incidents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    data = assigned(incidents)
    exact = (data["assignment"] == "exact").to_numpy()
    if not exact.any():
        # A flat chart at zero would read as "no violence", not as "no event placed precisely enough".
        raise UsageError(
            f"none of the {len(data):,} incidents is located exactly: the charts count only those "
            "(katye validate shows each one's precision)."
        )
    return data[exact]


def _span(incidents, start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    if not len(incidents):
        raise UsageError("no incidents to chart.")
    first = pd.Timestamp(start) if start is not None else incidents["event_date"].min().normalize()
    last = pd.Timestamp(end) if end is not None else incidents["event_date"].max().normalize()
    return first, last


def weekly_near_sites(
    incidents: gpd.GeoDataFrame,
    *,
    sites=("airport", "mss-base"),
    radius_m: int = 2000,
    start=None,
    end=None,
    lang: str = "en",
) -> Figure:
    """Events within ``radius_m`` of each key site, one ACLED week (Saturday to Friday) at a time.

    Parameters
    ----------
    incidents
        Canonical incidents; only exactly located ones count.
    sites
        Shipped site ids (see :func:`katye.geodata.sites`).
    radius_m
        Distance to the site in metres.
    start, end
        First and last day (default: the incidents' first and last dates); weeks cut by them count
        only their days inside.
    lang
        ``en``, ``fr`` or ``ht``.

    Returns
    -------
    matplotlib.figure.Figure
        One line per site, weeks on the x axis (each labelled by its Saturday).

    """
    words = labels(lang)
    first, last = _span(incidents, start, end)
    weeks = periods_between(first, last, "week")
    keys = [key for key, *_ in weeks]
    exact = _exact(incidents)
    exact = exact[((exact["event_date"] >= first) & (exact["event_date"] <= last)).to_numpy()]
    measured = near_sites(exact, radii_m=(radius_m,), site_ids=list(sites))
    week = period_index(measured["event_date"], "week", keys)
    names = geodata.sites().set_index("site_id")["name"]
    fig = _figure()
    ax = fig.subplots()
    x = np.arange(len(keys))
    for color, site in zip(LINE_COLORS, sites, strict=False):
        near = measured[f"within_{site.replace('-', '_')}_{int(radius_m)}m"].to_numpy()
        counts = np.bincount(week[near & (week >= 0)], minlength=len(keys))
        ax.plot(x, counts, color=color, linewidth=1.8, marker="o", markersize=2.5, label=str(names.get(site, site)))
    ax.set_title(_title(incidents, words["chart_weekly_title"].format(km=number_text(radius_m / 1000, words)), words))
    ax.set_ylabel(words["chart_events_axis"])
    ax.set_xlabel(words["chart_week_axis"])
    ticks = x[:: max(1, len(x) // 8)]
    ax.set_xticks(ticks, [day_text(pd.Timestamp(keys[i]).date(), words) for i in ticks], fontsize=8)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color=style.CHART_GRID, linewidth=0.6)
    ax.legend(frameon=False, fontsize=8.5, loc="upper left")
    _footer(fig, incidents, words, words["chart_exact_only"])
    return fig


def risk_trend(
    incidents: gpd.GeoDataFrame, *, zones: gpd.GeoDataFrame | None = None, top: int = 5, lang: str = "en"
) -> Figure:
    """The risk index of the ``top`` zones (highest in the last month; five colours at most), month by month.

    Each point is :func:`katye.risk` as of that month's last day (its default window and
    half-life), so a line shows how the index an analyst would have read then has moved.
    """
    from katye.scoring import risk

    words = labels(lang)
    first, last = _span(incidents, None, None)
    _exact(incidents)  # zones count exactly located incidents only: none at all is an error, not a flat chart
    months = periods_between(first, last, "month")
    if len(months) < 2:
        raise UsageError("a risk trend needs incidents in at least two months.")
    table = pd.DataFrame(
        {
            key: risk(incidents, zones, as_of=month_last).set_index("zone_id")["risk_index"]
            for key, _, month_last in months
        }
    )
    # No more lines than colours told apart: a sixth would repeat one.
    chosen = table.iloc[:, -1].sort_values(ascending=False, kind="stable").index[: min(top, len(LINE_COLORS))]
    names = (zones if zones is not None else geodata.zones()).set_index("zone_id")["name"]
    fig = _figure()
    ax = fig.subplots()
    x = np.arange(len(months))
    ends = []
    for color, zone_id in zip(LINE_COLORS, chosen, strict=False):
        values = table.loc[zone_id].to_numpy()
        ax.plot(x, values, color=color, linewidth=1.8, marker="o", markersize=3)
        ends.append((float(values[-1]), str(names.get(zone_id, zone_id)), color))
    # Named at the line's end, not in a legend box (the eye need not match colours), spread apart
    # where two lines end close together.
    ends.sort()
    gap = 0.045 * max(float(np.nanmax(table.loc[chosen].to_numpy())), 1e-9)
    for (y, name, color), placed in zip(ends, _spread([end[0] for end in ends], gap), strict=True):
        ax.annotate(name, (x[-1], y), xytext=(x[-1] + 0.15, placed), va="center", fontsize=8, color=color)
    ax.set_title(_title(incidents, words["chart_risk_title"].format(n=len(chosen)), words))
    ax.set_ylabel(words["risk_index"])
    ax.set_xlabel(words["chart_month_axis"])
    ax.set_xticks(x, [month_text(key, words) for key, *_ in months], fontsize=8, rotation=35, ha="right")
    ax.set_xlim(-0.3, len(x) - 1 + 0.35 * max(1, len(x) / 4))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color=style.CHART_GRID, linewidth=0.6)
    _footer(fig, incidents, words, words["chart_exact_only"])
    return fig


def _spread(values: list[float], gap: float) -> list[float]:
    """``values`` (sorted) moved apart to at least ``gap`` from each other, each as little as it can."""
    placed = list(values)
    for _ in range(50):
        moved = False
        for i in range(1, len(placed)):
            if placed[i] - placed[i - 1] < gap - 1e-12:
                shift = (gap - (placed[i] - placed[i - 1])) / 2
                placed[i - 1] -= shift
                placed[i] += shift
                moved = True
        if not moved:
            break
    return placed


def monthly_small_multiples(
    incidents: gpd.GeoDataFrame,
    *,
    zones: gpd.GeoDataFrame | None = None,
    months: list[str] | None = None,
    columns: int = 4,
    lang: str = "en",
) -> Figure:
    """One small map of the zones per month, coloured by events per zone on one shared scale.

    Parameters
    ----------
    incidents
        Canonical incidents; only exactly located ones count.
    zones
        Area layer (default: the shipped zones).
    months
        ``YYYY-MM`` keys (default: every month of the incidents, the last twelve at most).
    columns
        Maps per row.
    lang
        ``en``, ``fr`` or ``ht``.

    """
    words = labels(lang)
    zones = geodata.resolve_zones(zones)
    first, last = _span(incidents, None, None)
    every = [key for key, *_ in periods_between(first, last, "month")]
    months = list(months) if months is not None else every[-12:]
    unknown = sorted(set(months) - set(every))
    if unknown:
        raise UsageError(f"months {', '.join(unknown)}: the incidents run from {every[0]} to {every[-1]}.")
    exact = _exact(incidents)
    month = period_index(exact["event_date"], "month", months)
    zone = pd.Index(zones["zone_id"].astype(str)).get_indexer(exact["zone_id"].astype(str))
    counts = np.zeros((len(months), len(zones)), dtype=np.int64)
    keep = (month >= 0) & (zone >= 0)
    np.add.at(counts, (month[keep], zone[keep]), 1)
    classes = np.searchsorted(np.asarray(EVENT_CLASSES), counts, side="left")
    rows = -(-len(months) // columns)
    fig = _figure((9.0, 2.3 * rows + 1.1))
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    metric = zones.to_crs(METRIC_CRS)
    land = geodata.land().set_index("land_id").to_crs(METRIC_CRS)
    minx, miny, maxx, maxy = metric.total_bounds
    for i, ax in enumerate(axes):
        ax.set_axis_off()
        if i >= len(months):
            continue
        _sea(ax, (minx, miny, maxx, maxy))
        land.loc[["haiti"]].plot(ax=ax, color=style.LAND["haiti"][0], linewidth=0, zorder=1)
        metric.plot(
            ax=ax, color=[EVENT_COLORS[c] for c in classes[i]], edgecolor=style.ZONE_EDGE, linewidth=0.2, zorder=2
        )
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)
        ax.set_aspect("equal")
        ax.set_title(month_text(months[i], words), fontsize=9)
    bounds = [0, *EVENT_CLASSES]
    names = ["0" if b == 0 else f"{a + 1}" if b == a + 1 else f"{a + 1}–{b}" for a, b in itertools.pairwise(bounds)][1:]
    handles = [Patch(facecolor=EVENT_COLORS[0], edgecolor=style.ZONE_EDGE, label="0")]
    handles += [Patch(facecolor=EVENT_COLORS[i + 1], label=n) for i, n in enumerate(names)]
    handles.append(Patch(facecolor=EVENT_COLORS[-1], label=f"> {EVENT_CLASSES[-1]}"))
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, _footer(fig, incidents, words, words["approximate"], above_in=0.55)),
        ncols=len(handles),
        fontsize=8,
        frameon=False,
        title=words["chart_events_per_zone"],
        title_fontsize=8.5,
    )
    fig.suptitle(_title(incidents, words["chart_multiples_title"], words))
    return fig


def emerging_map(emerging: gpd.GeoDataFrame, *, incidents=None, lang: str = "en") -> Figure:
    """The zones by emerging-hot-spot category (:func:`katye.emerging_hotspots`), as the HTML map draws them."""
    words = labels(lang)
    require_result(emerging)
    metric = emerging.to_crs(METRIC_CRS)
    land = geodata.land().set_index("land_id").to_crs(METRIC_CRS)
    fig = _figure((9.0, 6.4))
    ax = fig.subplots()
    ax.set_axis_off()
    minx, miny, maxx, maxy = metric.total_bounds
    _sea(ax, (minx, miny, maxx, maxy))
    land.loc[["haiti"]].plot(ax=ax, color=style.LAND["haiti"][0], linewidth=0, zorder=1)
    handles = []
    for category, (fill, line, dash, width) in style.EMERGING_STYLES.items():
        part = metric[(metric["category"] == category).to_numpy()]
        if not len(part):
            continue
        dashes: Any = (0, tuple(float(d) for d in dash.split())) if dash else "-"
        part.plot(
            ax=ax,
            facecolor=fill or "none",
            edgecolor=line,
            linewidth=width * 0.75,
            linestyle=dashes,
            zorder=3 if fill is None else 2,
        )
        label = words["emerging_categories"][category]
        handles.append(
            Patch(facecolor=fill, edgecolor=line, label=label)
            if fill
            else Line2D([], [], color=line, linewidth=width * 0.75, linestyle=dashes, label=label)
        )
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")
    method = emerging.attrs.get("katye_method", {})
    fig.legend(
        handles=handles,
        loc="outside right upper",
        fontsize=8,
        frameon=False,
        title=words["emerging"],
        title_fontsize=9,
        handlelength=4,
    )
    slices = method.get("slices") or []
    title = words["emerging"]
    if slices:
        title += f" · {len(slices)} {words['emerging_period'][method.get('period', 'week')]}"
    ax.set_title(_title(incidents, title, words) if incidents is not None else title)
    if incidents is not None:
        _footer(fig, incidents, words, words["approximate"])
    return fig
