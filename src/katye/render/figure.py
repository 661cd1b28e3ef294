"""The same map as a static image for reports: PNG, SVG or PDF through matplotlib."""

from __future__ import annotations

import io
import os
import textwrap
import unicodedata
from pathlib import Path
from typing import Any, Unpack

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerPatch
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch, Rectangle

from katye import geodata
from katye.errors import UsageError
from katye.labels import count_text, localised, number_text
from katye.mapdata import MapData, MapOptions, as_map_data
from katye.output import atomic_path
from katye.render import style
from katye.render.html import label_spot
from katye.scoring import range_text

FORMATS = (".png", ".svg", ".pdf")
# Fixed metadata so that the same map gives the same bytes.
METADATA = {
    ".png": {"Software": None},
    ".svg": {"Date": None, "Creator": None},
    ".pdf": {"CreationDate": None, "Creator": None, "Producer": None},
}


class _QuietCanvas(FigureCanvasAgg):
    """An Agg canvas that ignores requests to redraw: the page is drawn once, when it is saved.

    geopandas asks for a redraw after every layer it plots; each request drew the whole page (8 full
    draws a map, two thirds of render_static's time).
    """

    def draw_idle(self, *args, **kwargs) -> None:
        pass


class ShownFigure(Figure):
    """A matplotlib Figure that a notebook shows as a picture by itself (no pyplot, no backend to set up)."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=110, metadata=METADATA[".png"])
        return buffer.getvalue()


def render_static(
    incidents: gpd.GeoDataFrame | MapData | None = None,
    zones: gpd.GeoDataFrame | None = None,
    *,
    layer: str = "control",
    path: str | os.PathLike | None = None,
    dpi: int = 300,
    paper: str = "a4",
    orientation: str = "landscape",
    **options: Unpack[MapOptions],
) -> Figure:
    """Draw the report map with matplotlib: zones by control or risk, incidents, key sites, boundaries.

    Parameters
    ----------
    incidents, zones
        As for :func:`katye.make_map` (``incidents`` may be a :class:`~katye.mapdata.MapData`).
    layer
        ``"control"`` or ``"risk"``: what colours the zones.
    path
        When given, the figure is also written there (``.png``, ``.svg`` or ``.pdf``), atomically.
    dpi
        Resolution of PNG output (300 by default, for print).
    paper, orientation
        The page: ``"a4"`` (default), ``"a3"`` or ``"letter"``; ``"landscape"`` (default) or
        ``"portrait"``. Every element is laid out inside the page, measured, not guessed.
    **options
        What to map, as for :func:`katye.prepare`: ``control``, ``as_of``, ``start``, ``end``,
        ``lang``, ``title``, ``acled_accessed``, ``risk_per``.

    Returns
    -------
    matplotlib.figure.Figure
        With title and date range, a legend in sections (zones, incidents with their size key,
        sites), scale bar, north arrow, and inside the page the caveats, the boundary disclaimer
        and the credits. Text is at least 7 pt; PDF embeds TrueType fonts and SVG keeps text as text.

    """
    if layer not in ("control", "risk"):
        raise UsageError(f"layer={layer!r}: use 'control' or 'risk'.")
    page = page_size(paper, orientation)
    if path is not None and Path(path).suffix.lower() not in FORMATS:
        raise UsageError(f"{path}: a static map is saved as {', '.join(FORMATS)}.")
    data = as_map_data(incidents, zones, **options)
    words = data.words
    metric = "EPSG:32618"
    # A bare Figure, not pyplot: nothing is registered globally, nothing opens a window.
    fig = ShownFigure(figsize=page)
    _QuietCanvas(fig)  # a renderer to measure text with while laying out the page
    ax = fig.subplots()
    communes = geodata.communes().to_crs(metric)
    ax.set_facecolor(style.SEA)
    land = geodata.land().set_index("land_id").to_crs(metric)
    land.loc[["haiti"]].plot(ax=ax, color=style.LAND["haiti"][0], edgecolor=style.LAND["haiti"][1], linewidth=0.4)
    communes.plot(ax=ax, color=style.LAND["metro"][0], edgecolor=style.LAND["metro"][1], linewidth=0.6)
    zones_m = data.zones.to_crs(metric)
    handles: list = []  # the zones' section of the legend
    if layer == "control":
        status = zones_m["zone_id"].map(data.status)
        stand_in = (
            zones_m["kind"].isin(style.STAND_IN_KINDS) if "kind" in zones_m.columns else pd.Series(False, zones_m.index)
        )
        for part, opacity, dash, width in (
            (~stand_in, style.CONTROL_OPACITY, "-", 0.5),
            (stand_in, style.STAND_IN_OPACITY, ":", 1.2),
        ):
            if part.any():
                zones_m[part].plot(
                    ax=ax,
                    color=status[part].map(style.STATUS_COLORS),
                    edgecolor=style.ZONE_EDGE,
                    linewidth=width,
                    linestyle=dash,
                    alpha=opacity,
                )
        contested = zones_m[status == "contested"]
        stripe_a, stripe_b = style.CONTESTED_STRIPES
        if len(contested):
            contested.plot(ax=ax, color=stripe_a, edgecolor=stripe_b, hatch="///", linewidth=0)
        disagree = zones_m[zones_m["zone_id"].map(data.disagrees)]
        if len(disagree):
            disagree.boundary.plot(ax=ax, color=style.DISAGREE_LINE, linewidth=1.8, linestyle="--")
        for s in style.STATUS_COLORS:
            if not (status == s).any():
                continue  # the legend lists what the map draws
            swatch = style.status_swatch(s)
            patterned = swatch.shape == "pattern"
            handles.append(
                Patch(
                    facecolor=stripe_a if patterned else swatch.color,
                    edgecolor=stripe_b if patterned else style.ZONE_EDGE,
                    hatch="///" if patterned else None,
                    label=_plain(words["statuses"][s]),
                )
            )
        if len(disagree):
            handles.append(Line2D([], [], color=style.DISAGREE_LINE, linestyle="--", label=_plain(words["disagrees"])))
        if stand_in.any():
            handles.append(
                Patch(facecolor="none", edgecolor=style.ZONE_EDGE, linestyle=":", label=_plain(words["stand_in"]))
            )
        heading = words["control"]
    else:
        if data.scored is None:
            raise UsageError("a risk map needs incidents.")
        scored = data.scored.to_crs(metric)
        unfilled = scored["risk_class"].isin(style.UNFILLED)
        if not unfilled.all():
            scored[~unfilled].plot(
                ax=ax,
                color=scored["risk_class"][~unfilled].map(style.RISK_COLORS),
                alpha=style.RISK_OPACITY,
                edgecolor=style.ZONE_EDGE,
                linewidth=0.5,
            )
        if unfilled.any():
            scored[unfilled].boundary.plot(ax=ax, color=style.ZONE_EDGE, linewidth=0.8, linestyle="--")
        breaks = data.scored.attrs.get("katye_breaks", {})
        for c in style.RISK_COLORS:
            if c not in breaks and c != "none":
                continue
            swatch = style.class_swatch(style.RISK_COLORS, style.RISK_OPACITY, c)
            ring = swatch.shape == "outline"
            handles.append(
                Patch(
                    facecolor="none" if ring else swatch.color,
                    edgecolor=style.ZONE_EDGE,
                    linestyle="--" if ring else "-",
                    label=_plain(
                        words["classes"][c] + (f" ({localised(range_text(breaks[c]), words)})" if c in breaks else "")
                    ),
                )
            )
        per = data.scored.attrs.get("katye_method", {}).get("per", "zone")
        heading = f"{words['risk']} ({words['risk_unit'][per]})"
    geodata.sections().to_crs(metric).boundary.plot(ax=ax, color=style.SECTION_LINE, linewidth=0.3, linestyle=":")
    communes.boundary.plot(ax=ax, color=style.COMMUNE_LINE, linewidth=0.8)
    sections = [(heading, handles)]
    if data.incidents is not None and len(data.incidents):
        kinds, sizes, deaths = _incidents(ax, data.incidents.to_crs(metric), words)
        sections.append((words["incidents"], kinds))
        # Size keys apart, each with rows as tall as its largest symbol.
        sections += [
            (title, keys) for title, keys in ((words["symbol_sizes"], sizes), (words["fatalities"], deaths)) if keys
        ]
    sites = geodata.sites()
    key = sites[sites["site_id"].isin(style.FIGURE_SITES)].to_crs(metric)
    urban = geodata.urban_extent().to_crs(metric).total_bounds
    x_split = urban[0] + (urban[2] - urban[0]) * 2 / 3
    for site in key.itertuples(index=False):
        if site.approximate and site.site_id in style.KEY_SITE_RINGS_M:
            # Where a key site may be: its uncertainty as a dashed circle (as on the HTML map).
            ax.add_patch(
                Circle(
                    (site.geometry.x, site.geometry.y),
                    site.precision_m,
                    fill=False,
                    linestyle="--",
                    color=style.SITE_COLOR,
                    linewidth=0.6,
                )
            )
        ax.scatter(
            [site.geometry.x],
            [site.geometry.y],
            s=40,
            marker="D",
            facecolors=style.HALO if site.approximate else style.SITE_COLOR,
            edgecolors=style.SITE_COLOR if site.approximate else style.HALO,
            linestyle="--" if site.approximate else "-",
            zorder=5,
        )
        # Names of sites in the right third of the frame run to the left, so they stay inside it.
        leftward = site.geometry.x > x_split
        ax.annotate(
            _plain(words["site_names"].get(site.site_id, site.name)),
            (site.geometry.x, site.geometry.y),
            xytext=(-4 if leftward else 4, 4),
            textcoords="offset points",
            ha="right" if leftward else "left",
            fontsize=7,
            color=style.SITE_LABEL,
            bbox=_halo(),
            zorder=7,
            gid="site-name",
        )
    site_handles = [Line2D([], [], marker="D", linestyle="", color=style.SITE_COLOR, label=_plain(words["site"]))]
    site_handles.append(
        Line2D(
            [],
            [],
            marker="D",
            linestyle="",
            markerfacecolor=style.HALO,
            color=style.SITE_COLOR,
            label=_plain(words["approximate_site"]),
        )
    )
    site_handles.append(Line2D([], [], color=style.COMMUNE_LINE, linewidth=0.8, label=_plain(words["commune"])))
    site_handles.append(
        Line2D([], [], color=style.SECTION_LINE, linewidth=0.6, linestyle=":", label=_plain(words["section"]))
    )
    sections.append((words["sites_and_boundaries"], site_handles))
    pad = 1500
    ax.set_xlim(urban[0] - pad, urban[2] + pad)
    ax.set_ylim(urban[1] - pad, urban[3] + pad)
    ax.set_aspect("equal")
    # The page first: it sets the map's final extent, which the labels and the scale bar depend on.
    _lay_out(fig, ax, data, heading, sections, portrait=orientation.lower() == "portrait")
    _commune_labels(ax, communes, data.words["name_column"])
    _zone_labels(ax, zones_m, data.zone_names)
    _locator(ax, land.loc[["haiti"]], words)
    _declutter(ax)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    _scale_bar(ax)
    _north_arrow(ax)
    if data.synthetic:
        _watermark(ax, _plain(words["synthetic_watermark"]))
    # The illustrative control table's banner where control is drawn; a risk page does not draw it.
    banners = [b for b in data.banners if layer == "control" or b != words["illustrative_banner"]]
    if banners:
        # Inside the frame: a report that crops the page to the map still says it.
        banner = ax.text(
            0.5,
            0.985,
            _plain(" · ".join(banners)),
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=9,
            fontweight="bold",
            color=style.CAVEAT_TEXT,
            bbox={"facecolor": style.HALO, "alpha": 0.9, "edgecolor": style.CAVEAT_TEXT, "boxstyle": "round,pad=0.3"},
            zorder=10,
        )
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        patch = banner.get_bbox_patch()
        covered = patch.get_window_extent(renderer) if patch is not None else banner.get_window_extent(renderer)
        for text in ax.texts:
            if text.get_gid() in ("zone-name", "commune-name") and text.get_window_extent(renderer).overlaps(covered):
                text.set_visible(False)  # under the banner: hidden rather than half covered
    if path is not None:
        save_static(fig, path, dpi=dpi)
    return fig


def _stacks(points: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per coordinate: x, y, coarse (every event there approximate), events, fatalities, commonest type."""
    frame = pd.DataFrame(
        {
            "x": points.geometry.x.round(1).to_numpy(),
            "y": points.geometry.y.round(1).to_numpy(),
            "coarse": (points["assignment"] == "coarse").to_numpy(),
            "type": points["event_type"].astype(str).to_numpy(),
            "fatalities": points["fatalities"].to_numpy(),
        }
    )
    keys = ["x", "y"]
    # One symbol per coordinate: two counts on one spot would read as one number.
    sizes = frame.groupby(keys, sort=True).agg(
        events=("type", "size"), fatalities=("fatalities", "sum"), coarse=("coarse", "all")
    )
    # The commonest type; ties go to the first name in order, as in the HTML map.
    commonest = (
        frame.groupby([*keys, "type"], sort=True)
        .size()
        .rename("n")
        .reset_index()
        .sort_values([*keys, "n", "type"], ascending=[True, True, False, True], kind="stable")
        .drop_duplicates(keys)
        .set_index(keys)["type"]
    )
    out = sizes.join(commonest).reset_index()
    # Largest first, so that small symbols are drawn over big ones.
    return out.sort_values(["events", "x", "y"], ascending=[False, True, True], kind="stable")


def _incidents(ax, points: gpd.GeoDataFrame, words: dict) -> tuple[list, list, list]:
    """Incidents as symbols: one per coordinate, sized by how many events share it, the count written in."""
    stacks = _stacks(points)
    types = sorted(points["event_type"].astype(str).unique())
    color_of = dict(zip(types, style.type_colors(types), strict=True))
    colors = stacks["type"].map(color_of)
    single = stacks["events"] == 1
    # Matplotlib sizes are areas in pt^2; a stack's radius follows the HTML map's rule (in px ~ pt here).
    area = np.where(
        single,
        (stacks["fatalities"].map(style.fatality_radius) * 0.8) ** 2,
        (stacks["events"].map(style.stack_radius) * 0.8) ** 2,
    )
    exact = ~stacks["coarse"].to_numpy()
    ax.scatter(
        stacks["x"][exact],
        stacks["y"][exact],
        s=area[exact],
        color=colors[exact],
        edgecolors=style.INCIDENT_OUTLINE,
        linewidths=0.4,
        zorder=3,
    )
    ax.scatter(
        stacks["x"][~exact],
        stacks["y"][~exact],
        s=area[~exact],
        facecolors="none",
        edgecolors=colors[~exact],
        linewidths=0.7,
        linestyle="--",
        zorder=3,
    )
    big = stacks[stacks["events"] >= STACK_LABEL_MIN]
    for x, y, events in zip(big["x"], big["y"], big["events"].astype(int), strict=True):
        ax.text(
            x,
            y,
            number_text(events, words),
            ha="center",
            va="center",
            fontsize=7,
            fontweight="bold",
            color=style.TEXT,
            bbox=_halo(),
            zorder=8,  # above place and site names: a count is never hidden
            gid="count",
            clip_on=True,  # stacks beyond the frame keep their count off the page margins
        )
    names = words["event_types"]
    handles: list = [
        Line2D([], [], marker="o", linestyle="", color=color_of[t], label=_plain(names.get(t, t))) for t in types
    ]
    handles.append(_DashedRing(words["coarse"]))
    largest = int(stacks["events"].max())
    if largest >= 2:
        handles.append(_note(words["stack_colour"]))
    # The size keys go in a section of their own, whose rows are as tall as its largest symbol.
    sizes = [
        _hollow(words["stack_size"].format(n=number_text(n, words)), size=style.stack_radius(n) * 0.8)
        for n in style.stack_key(largest)
    ]
    deaths: list = []
    lone = stacks.loc[single, "fatalities"]
    for n in style.fatality_key(int(lone.max()) if len(lone) else 0):
        deaths.append(_hollow(count_text(n, words["fatality_size"], words), size=style.fatality_radius(n) * 0.8))
    return handles, sizes, deaths


def _watermark(ax, text: str) -> None:
    """``text`` diagonally across the map, as large as fits in it: no crop of the map loses it."""
    mark = ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        rotation=30,
        rotation_mode="anchor",
        ha="center",
        va="center",
        fontsize=60,
        fontweight="bold",
        color=style.WATERMARK,
        alpha=style.WATERMARK_OPACITY,
        zorder=9,
        gid="watermark",
    )
    renderer = ax.figure.canvas.get_renderer()
    box, frame = mark.get_window_extent(renderer), ax.get_window_extent(renderer)
    # Text extents scale with the font size: one measurement gives the size that fills 85 % of the frame.
    fit = 0.85 * min(frame.width / box.width, frame.height / box.height)
    if fit < 1:
        mark.set_fontsize(60 * fit)


class _DashedRing(Circle):
    """The legend's symbol for incidents located only approximately: a dashed ring, as drawn."""

    def __init__(self, label: str) -> None:
        super().__init__((0, 0), 1, fill=False, edgecolor=style.ZONE_EDGE, linestyle="--", label=_plain(label))


class _RingHandler(HandlerPatch):
    def create_artists(self, legend, orig_handle, xdescent, ydescent, width, height, fontsize, trans):
        ring = Circle(
            (width / 2 - xdescent, height / 2 - ydescent),
            min(width, height) / 2,
            fill=False,
            edgecolor=orig_handle.get_edgecolor(),
            linestyle="--",
            linewidth=0.8,
            transform=trans,
        )
        return [ring]


def _note(label: str) -> Line2D:
    """A legend line of words only (no symbol)."""
    return Line2D([], [], linestyle="", marker="", label=_plain(label))


def _hollow(label: str, *, size: float | None = None) -> Line2D:
    """A legend handle: an unfilled circle (approximate incidents, stack sizes)."""
    return Line2D(
        [],
        [],
        marker="o",
        linestyle="",
        markerfacecolor="none",
        color=style.ZONE_EDGE,
        markersize=size,
        label=_plain(label),
    )


#: Stacks of at least this many events have their count written in (fewer would crowd a report page).
STACK_LABEL_MIN = 2

#: Characters per line of a legend entry (7 pt beside the map), and at most this many in all.
LEGEND_WIDTH = 38
LEGEND_MAX_CHARS = 120
#: Page sizes in millimetres, landscape (width, height).
PAPERS_MM = {"a4": (297.0, 210.0), "a3": (420.0, 297.0), "letter": (279.4, 215.9)}
#: The smallest text on a page, in points (print legibility).
MIN_TEXT_PT = 7.0
#: Page margin, in inches.
MARGIN_IN = 0.3


def page_size(paper: str, orientation: str) -> tuple[float, float]:
    """The page's (width, height) in inches."""
    if not isinstance(paper, str) or paper.lower() not in PAPERS_MM:
        raise UsageError(f"paper={paper!r}: use one of {', '.join(PAPERS_MM)}.")
    if not isinstance(orientation, str) or orientation.lower() not in ("landscape", "portrait"):
        raise UsageError(f"orientation={orientation!r}: use 'landscape' or 'portrait'.")
    width, height = (mm / 25.4 for mm in PAPERS_MM[paper.lower()])
    return (width, height) if orientation.lower() == "landscape" else (height, width)


def _lay_out(fig: Figure, ax, data: MapData, heading: str, sections: list, *, portrait: bool) -> None:
    """Place the title, the map, the legend sections and the notes on the page, measuring as it goes.

    Everything is placed in figure fractions computed from the measured size of the text, so a
    longer caveat or a wider legend moves the map instead of running over it or off the page.
    """
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    width_in, height_in = fig.get_size_inches()
    mx, my = MARGIN_IN / width_in, MARGIN_IN / height_in
    words = data.words

    def height_of(artist) -> float:
        return artist.get_window_extent(renderer).height / fig.dpi / height_in

    def wrapped(text: str, size: float, share: float = 1.0) -> str:
        # DejaVu Sans averages about 0.55 em a character: wrap to the page's width, not past it.
        chars = int((width_in - 2 * MARGIN_IN) * share * 72 / (size * 0.55))
        return "\n".join(textwrap.fill(line, chars, break_long_words=True) for line in text.split("\n"))

    # Header, top down.
    title = fig.suptitle(_plain(data.title), x=mx, y=1 - my, ha="left", va="top", fontsize=16, fontweight="bold")
    top = 1 - my - height_of(title) - 0.01
    subtitle = fig.text(mx, top, _plain(wrapped(f"{heading} · {data.subtitle}", 10)), va="top", fontsize=10)
    subtitle.set_color(style.MUTED_TEXT)
    top -= height_of(subtitle) + 0.015
    # Notes, bottom up: credits, the boundary disclaimer, then the caveats.
    credits = _plain(words["credits_lead"] + " · ".join(data.credits))
    notes = [
        (fig.text(mx, my, "", va="bottom", fontsize=MIN_TEXT_PT, color=color), _plain(text))
        for text, color in (
            (credits, style.TEXT),
            (words["disclaimer"], style.MUTED_TEXT),
            ("\n".join(data.caveats), style.CAVEAT_TEXT),
        )
    ]

    def stack_notes(share: float) -> float:
        """Wrap the notes to ``share`` of the page's width and stack them from the bottom; returns their top."""
        y = my
        for note, text in notes:
            note.set_text(wrapped(text, MIN_TEXT_PT, share))
            note.set_y(y)
            y += height_of(note) + 0.008
        return y + 0.01

    bottom = stack_notes(1.0)
    # The legend: sections down a column beside the map (landscape) or side by side under it (portrait).
    legends = []
    for name, handles in sections:
        for handle in handles:
            label = handle.get_label()
            label = label if len(label) <= LEGEND_MAX_CHARS else label[: LEGEND_MAX_CHARS - 1] + "…"
            handle.set_label(textwrap.fill(label, LEGEND_WIDTH, break_long_words=True))
        # Rows as tall as the section's largest symbol (a size key), so no symbol covers a neighbour.
        tallest = max(
            (h.get_markersize() for h in handles if isinstance(h, Line2D) and h.get_marker() == "o"), default=0
        )
        legend = fig.legend(
            handles=handles,
            handler_map={_DashedRing: _RingHandler()},
            handleheight=max(0.7, 0.9 * tallest / MIN_TEXT_PT),
            handlelength=max(2.0, tallest / MIN_TEXT_PT),
            labelspacing=0.5 if tallest < 2 * MIN_TEXT_PT else 0.2,
            title=_plain(name),
            loc="upper left",
            fontsize=MIN_TEXT_PT,
            title_fontproperties={"weight": "bold", "size": 8},
            alignment="left",
            frameon=False,
            borderaxespad=0,
        )
        legends.append(legend)
    boxes = [legend.get_window_extent(renderer) for legend in legends]
    widths = [b.width / fig.dpi / width_in for b in boxes]
    heights = [b.height / fig.dpi / height_in for b in boxes]
    if portrait:
        # Sections side by side; one that would run past the page goes under the shortest column.
        columns: list[list] = []  # [x, width, [(legend, height), ...]]
        for legend, w, h in zip(legends, widths, heights, strict=True):
            x = columns[-1][0] + columns[-1][1] + 0.03 if columns else mx
            if x + w <= 1 - mx or not columns:
                columns.append([x, w, [(legend, h)]])
            else:
                column = min(columns, key=lambda c: sum(height + 0.01 for _, height in c[2]))
                column[1] = max(column[1], w)
                column[2].append((legend, h))
        row = max(sum(height + 0.01 for _, height in c[2]) for c in columns)
        for x, _, stacked in columns:
            y = bottom + row
            for legend, h in stacked:
                legend.set_bbox_to_anchor((x, y), transform=fig.transFigure)
                y -= h + 0.01
        bottom += row + 0.015
        map_box = [mx, bottom, 1 - 2 * mx, top - bottom]
    else:
        column = max(widths)
        x, y = 1 - mx - column, top
        for legend, h in zip(legends, heights, strict=True):
            legend.set_bbox_to_anchor((x, y), transform=fig.transFigure)
            y -= h + 0.02
        if y < bottom:
            # The legend column reaches down past the map: the notes keep to the map's width beneath it.
            bottom = stack_notes((x - 0.02 - mx) / (1 - 2 * mx))
        map_box = [mx, bottom, x - 0.02 - mx, top - bottom]
    ax.set_position(map_box)
    _fill(ax, map_box[2] * width_in, map_box[3] * height_in)


def _fill(ax, width_in: float, height_in: float) -> None:
    """Widen the map's extent on one axis so that, at equal scale, it fills its box on the page."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    wanted = (x1 - x0) * height_in / width_in
    if wanted > y1 - y0:
        grow = (wanted - (y1 - y0)) / 2
        ax.set_ylim(y0 - grow, y1 + grow)
    else:
        grow = ((y1 - y0) * width_in / height_in - (x1 - x0)) / 2
        ax.set_xlim(x0 - grow, x1 + grow)


def _plain(text) -> str:
    """Text for matplotlib, shown as written.

    A ``$`` would otherwise start maths ("$5 and $10"); control characters (other than line breaks)
    have no glyph and make SVG output malformed XML, so they are dropped.
    """
    shown = "".join(c for c in str(text) if c == "\n" or unicodedata.category(c) != "Cc")
    return shown.replace("$", r"\$")


def _halo() -> dict:
    """A light box behind map text, readable over fills, dots and lines.

    Not a stroke around the letters: stroke effects turn text into outlines, and a PDF's or an SVG's
    text must stay text (searchable, selectable, editable).
    """
    return {"boxstyle": "round,pad=0.12", "facecolor": style.HALO, "edgecolor": "none", "alpha": 0.75}


def _commune_labels(ax, communes: gpd.GeoDataFrame, column: str) -> None:
    """Each commune's name at the pole of inaccessibility of its part inside the view."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    view = shapely.box(x0, y0, x1, y1)
    for name, geometry in zip(communes[column], communes.geometry, strict=True):
        part = shapely.intersection(geometry, view)
        if part.is_empty or part.area < 0.01 * view.area:
            continue  # barely in view: a label would sit on the frame
        spot = label_spot(part)
        ax.text(
            spot.x,
            spot.y,
            _plain(name),
            ha="center",
            va="center",
            fontsize=8.5,
            style="italic",
            color=style.TEXT,
            bbox=_halo(),
            zorder=6,
            gid="commune-name",
        )


def _declutter(ax) -> None:
    """Keep names off the stack counts and off each other: counts first, then communes, then sites.

    A commune name that would cover something moves a little up or down; a site name tries the
    four corners of its diamond; a name with no free place hides (the diamond stays).
    """
    renderer = ax.figure.canvas.get_renderer()
    # Metres per typographic point on this page, to move a commune name by a few points.
    y0, y1 = ax.get_ylim()
    per_point = (y1 - y0) / (ax.get_window_extent(renderer).height * 72 / ax.figure.dpi)
    taken = [t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "count"]
    frame = ax.get_window_extent(renderer)

    def free(text) -> bool:
        box = text.get_window_extent(renderer)
        inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
        if inside and not any(box.overlaps(other) for other in taken):
            taken.append(box)
            return True
        return False

    for text in [t for t in ax.texts if t.get_gid() == "commune-name"]:
        x, y = text.get_position()
        for dx, dy in (
            (0, 0),
            (0, 9),
            (0, -9),
            (-24, 0),
            (24, 0),
            (0, 16),
            (0, -16),
            (-24, 9),
            (24, 9),
            (-24, -9),
            (24, -9),
        ):
            text.set_position((x + dx * per_point, y + dy * per_point))
            if free(text):
                break
        else:
            text.set_visible(False)
    for text in [t for t in ax.texts if t.get_gid() == "site-name"]:
        first = text.get_position(), text.get_horizontalalignment()
        for (dx, dy), ha in (
            (first[0], first[1]),
            ((-4, 4), "right"),
            ((4, 4), "left"),
            ((-4, -10), "right"),
            ((4, -10), "left"),
        ):
            text.set_position((dx, dy))
            text.set_horizontalalignment(ha)
            if free(text):
                break
        else:
            text.set_visible(False)
    # Neighbourhood names last: only where nothing else is and the name fits inside its zone.
    for text in [t for t in ax.texts if t.get_gid() == "zone-name"]:
        if not free(text):
            text.set_visible(False)


def _zone_labels(ax, zones: gpd.GeoDataFrame, names: dict) -> None:
    """Each zone's name at its pole of inaccessibility, smaller than communes', when it fits in the zone."""
    renderer = ax.figure.canvas.get_renderer()
    to_display = ax.transData
    for zone_id, geometry in zip(zones["zone_id"], zones.geometry, strict=True):
        spot = label_spot(geometry)
        text = ax.text(
            spot.x,
            spot.y,
            _plain(names.get(zone_id, zone_id)),
            ha="center",
            va="center",
            fontsize=MIN_TEXT_PT,
            color=style.TEXT,
            bbox=_halo(),
            zorder=6,
            gid="zone-name",
            clip_on=True,
        )
        minx, _, maxx, _ = geometry.bounds
        width = to_display.transform((maxx, spot.y))[0] - to_display.transform((minx, spot.y))[0]
        if text.get_window_extent(renderer).width > width:
            text.remove()


def _locator(ax, haiti: gpd.GeoDataFrame, words: dict) -> None:
    """A small map of Haiti in the frame's lower right corner, with the area shown outlined."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    inset = ax.inset_axes((0.76, 0.02, 0.22, 0.2), zorder=9)
    inset.set_facecolor(style.SEA)
    haiti.plot(ax=inset, color=style.LAND["haiti"][0], edgecolor=style.LAND["haiti"][1], linewidth=0.3)
    inset.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=style.CAVEAT_TEXT, linewidth=1.2))
    minx, miny, maxx, maxy = haiti.total_bounds
    pad = 0.05 * (maxx - minx)
    inset.set_xlim(minx - pad, maxx + pad)
    inset.set_ylim(miny - pad, maxy + pad)
    inset.set_aspect("equal", adjustable="box")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.text(0.04, 0.92, words["country"], transform=inset.transAxes, fontsize=7, va="top", color=style.TEXT)


def _scale_bar(ax, length_m: float = 5000) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    # On a light panel of its own: it stays readable over whatever lies in that corner.
    pad = 0.012 * (y1 - y0)
    panel = Rectangle(
        (x - 2 * pad, y - 2 * pad), length_m + 4 * pad, 0.06 * (y1 - y0), facecolor=style.HALO, alpha=0.85, zorder=9
    )
    ax.add_patch(panel)
    ax.plot([x, x + length_m], [y, y], color=style.TEXT, linewidth=3, solid_capstyle="butt", zorder=10)
    ax.text(x + length_m / 2, y + 0.015 * (y1 - y0), f"{length_m / 1000:.0f} km", ha="center", fontsize=8, zorder=10)


def _north_arrow(ax) -> None:
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": style.TEXT, "linewidth": 1.5},
    )


def png_bytes(data: MapData, *, dpi: int = 110) -> bytes:
    """The map as PNG bytes (A4 landscape, at screen resolution): for a notebook's output."""
    fig = render_static(data)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata=METADATA[".png"])
    return buffer.getvalue()


def save_static(fig: Figure, path: str | os.PathLike, *, dpi: int = 300) -> Path:
    """Write ``fig`` to ``path`` (PNG, SVG or PDF) atomically, with fixed metadata (same map, same bytes)."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"{target}: a static map is saved as {', '.join(FORMATS)}.")
    # A fixed salt makes the SVG's element ids the same from run to run.
    # TrueType fonts embedded in PDF (not Type 3) and SVG text kept as text: editable, searchable, crisp.
    fonts: dict[str, Any] = {"svg.hashsalt": "katye", "pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none"}
    with atomic_path(target) as tmp, matplotlib.rc_context(fonts):  # type: ignore[arg-type]
        fig.savefig(tmp, format=suffix[1:], dpi=dpi, metadata=METADATA[suffix])
    return target
