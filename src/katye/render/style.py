"""Every colour, symbol, opacity and ring distance katye draws with, in one table.

The HTML runtime receives :func:`page_style` in the map's payload and the stylesheet reads
:func:`css_variables`, so neither holds a colour of its own; the static figures read the same
names. Change a colour here and every output follows.

The palettes are fixed per meaning (an ACLED event type or a control status has the same colour
on every map, so monthly maps compare) and chosen to stay apart for colour-blind readers: every
pair of fills that a legend shows side by side differs by at least ``MIN_DELTA_E`` (CIEDE2000)
under simulated deuteranopia, protanopia and tritanopia, as drawn (opacity included); the test
suite checks it. The sources are Paul Tol's qualitative schemes and Okabe & Ito's palette (event
types, control), ColorBrewer's RdBu (hot spots), and matplotlib's inferno and magma (risk and
density: perceptually uniform schemes). Where a palette cannot separate a class by colour alone, the class gets a second
channel: a pattern (contested control) or no fill and a dashed outline (no risk, not significant).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The smallest CIEDE2000 difference between two legend fills under any simulated colour-vision deficiency.
MIN_DELTA_E = 20.0

# --- Ground -----------------------------------------------------------------------------------
SEA = "#c6dbea"
#: Land fill and outline: Haiti as a backdrop, the metro's communes over it.
LAND = {"haiti": ("#e3e1dc", "#b5b2ab"), "metro": ("#f4f1ea", "#9a9a9a")}
#: What a translucent fill is seen over (legend swatches are blended over it, like the map).
GROUND = LAND["metro"][0]

# --- Lines ------------------------------------------------------------------------------------
COMMUNE_LINE = "#252525"
SECTION_LINE = "#737373"
ZONE_EDGE = "#555555"
#: The outline of a zone whose declared and inferred control disagree.
DISAGREE_LINE = "#000000"

# --- Text and panels --------------------------------------------------------------------------
TEXT = "#252525"
MUTED_TEXT = "#444444"
CAVEAT_TEXT = "#8c2d04"
HALO = "#ffffff"
PANEL = "rgba(255,255,255,0.92)"
SHADOW = "rgba(0,0,0,0.3)"

# --- Control (fill opacity CONTROL_OPACITY; "contested" is striped in the state and gang colours) --
STATUS_COLORS = {
    "state": "#4477aa",
    "contested": "#ffffff",
    "gang": "#993344",
    "international": "#ddaa33",
    "unknown": "#ffffff",
}
CONTROL_OPACITY = 0.85
#: A stand-in area (the MSS base: no open source gives its outline) is paler, with a dotted edge.
STAND_IN_OPACITY = 0.4
STAND_IN_DASH = "2 4"
#: Zone kinds drawn as stand-ins.
STAND_IN_KINDS = frozenset({"security_base"})
#: Contested zones: stripes of the two sides over the fill, a pattern as the second channel.
CONTESTED_STRIPES = (STATUS_COLORS["state"], STATUS_COLORS["gang"])

# --- Risk (opaque: inferno at five stops; "none" has no fill, only a dashed outline) ------------
RISK_COLORS = {
    "very low": "#fcffa4",
    "low": "#f68013",
    "medium": "#b3325a",
    "high": "#520e6d",
    "very high": "#02020c",
    "none": "#ffffff",
}
RISK_OPACITY = 1.0

# --- Hot spots (opaque: RdBu; "not significant" has no fill, only a dashed outline) -------------
HOTSPOT_COLORS = {
    "hot 99%": "#67001f",
    "hot 95%": "#d6604d",
    "hot 90%": "#feda8b",
    "cold 90%": "#d1e5f0",
    "cold 95%": "#4393c3",
    "cold 99%": "#053061",
    "not significant": "#ffffff",
}
HOTSPOT_OPACITY = 1.0
#: Classes drawn as an outline only, not a fill: told apart by shape, not colour.
UNFILLED = frozenset({"none", "not significant"})
UNFILLED_DASH = "4 3"

# --- Emerging hot spots (ArcGIS's categories; the hot-spot palette's six fills, the rest outlines) ---
#: How each category is drawn: (fill or None, stroke, dash or None, stroke width in px). The three
#: categories hot (cold) in at least 90 % of slices are filled, darkest where the spot intensifies,
#: as hot spots are; the others are outlined in the side's colour, told apart by their dash, so that
#: no two fills need more contrast than six colour-blind-safe steps give.
EMERGING_HOT_LINE = "#b2182b"
EMERGING_COLD_LINE = "#2166ac"
EMERGING_STYLES: dict[str, tuple[str | None, str, str | None, float]] = {}
for _side, _line, _fills in (
    ("hot spot", EMERGING_HOT_LINE, ("#67001f", "#d6604d", "#feda8b")),
    ("cold spot", EMERGING_COLD_LINE, ("#053061", "#4393c3", "#d1e5f0")),
):
    EMERGING_STYLES |= {
        f"new {_side}": (None, _line, None, 3.5),
        f"consecutive {_side}": (None, _line, "10 4", 3.5),
        f"intensifying {_side}": (_fills[0], _line, None, 1.0),
        f"persistent {_side}": (_fills[1], _line, None, 1.0),
        f"diminishing {_side}": (_fills[2], _line, None, 1.0),
        f"sporadic {_side}": (None, _line, "3 3", 2.5),
        f"oscillating {_side}": (None, _line, "10 3 2 3", 2.5),
        f"historical {_side}": (None, _line, "1 5", 2.0),
    }
EMERGING_STYLES["no pattern detected"] = (None, ZONE_EDGE, UNFILLED_DASH, 1.0)
EMERGING_OPACITY = 1.0

# --- Charts (katye.render.charts) ----------------------------------------------------------------
#: Lines of the sites and zones, in order: five colours that stay apart (CIEDE2000 >= MIN_DELTA_E) for
#: every colour-vision deficiency tested, and dark enough to read on white (tests/test_style.py).
CHART_LINE_COLORS = ("#332288", "#ee6677", "#56b4e9", "#8c510a", "#000000")
#: Events per zone in the small multiples: none (white, outlined), then the risk palette's five steps.
CHART_EVENT_COLORS = ("#ffffff", *(RISK_COLORS[c] for c in ("very low", "low", "medium", "high", "very high")))
CHART_GRID = "#dddddd"

# --- Corridors (road segments by recency-weighted risk: inferno at 0.8, 0.5, 0.25 and 0 reversed;
# segments with no event in reach are grey, thinner and dashed: a second channel besides colour) --
CORRIDOR_COLORS = {
    "low": "#fca50a",
    "medium": "#bc3754",
    "high": "#57106e",
    "very high": "#000004",
}
CORRIDOR_NONE = "#9e9e9e"
CORRIDOR_NONE_DASH = "4 4"
CORRIDOR_WIDTH = 4.0
CORRIDOR_NONE_WIDTH = 2.0

# --- Incidents --------------------------------------------------------------------------------
#: One colour per ACLED event type, the same on every map (a monthly series compares like with like).
EVENT_TYPE_COLORS = {
    "Battles": "#d55e00",
    "Violence against civilians": "#663333",
    "Explosions/Remote violence": "#f0e442",
    "Riots": "#0077bb",
    "Protests": "#99ddff",
    "Strategic developments": "#222255",
}
#: Other types (a user's own files), in the order of their names.
SPARE_TYPE_COLORS = ("#bbbbbb", "#cc79a7", "#009e73", "#ee8866", "#44bb99", "#aaaa00", "#777777")
#: Incidents are outlined so that they read on any zone fill.
INCIDENT_OUTLINE = "#ffffff"
#: Incidents known only to a commune or worse: a dashed ring in the type's colour, no fill.
COARSE_DASH = "2 3"
#: A stack (events on one coordinate) is a circle whose area grows with its count: radius in pixels.
STACK_BASE_PX = 4.0
STACK_SCALE_PX = 2.5
#: No stack grows past this radius (about 250 events): the count written in it says the rest.
STACK_MAX_PX = 44.0
#: A lone event's radius in pixels grows with the square root of its fatalities (capped as stacks are).
FATAL_BASE_PX = 3.0
FATAL_SCALE_PX = 2.0
#: Squares of aggregated incidents (one colour: their darkness says how many).
CELL_COLOR = "#b30000"

# --- Density ----------------------------------------------------------------------------------
#: matplotlib colour map of the density surface, and the fractions of its top the legend shows.
DENSITY_COLORMAP = "magma_r"
#: The colour map's 256 colours as 8-bit RGB (6 hex digits each), written out from matplotlib's magma_r
#: (tests/test_style.py checks every entry against matplotlib): the HTML map colours its density image
#: from this table rather than importing matplotlib for it.
DENSITY_RGB = (
    "fcfdbffcfbbdfcf9bbfcf7b9fcf6b8fcf4b6fcf2b4fcf0b2fceeb0fcecaefdebacfde9aafde7a9fde5a7fde3a5fde2a3"
    "fde0a1fddea0fddc9efdda9cfed89afed799fed597fed395fed194fecf92fecd90fecc8ffeca8dfec88cfec68afec488"
    "fec287fec185febf84febd82febb81feb97ffeb77efeb67cfeb47bfeb27afeb078feae77feac76feaa74fea973fea772"
    "fea571fea36ffea16efe9f6dfe9d6cfd9b6bfd9a6afd9869fd9668fd9467fd9266fc9065fc8e64fc8c63fc8a62fc8961"
    "fb8761fb8560fb835ffa815ffa7f5efa7d5ef97b5df9795df9785df8765cf8745cf7725cf7705cf66e5cf66c5cf56b5c"
    "f4695cf4675cf3655cf2645cf2625df1605df05f5eef5d5eee5b5eed5a5fec5860eb5760ea5661e95462e85362e75263"
    "e55064e44f64e34e65e24d66e04c67df4a68de4968dc4869db476ad9466bd8456cd6456cd5446dd3436ed2426fd0416f"
    "cf4070cd4071cc3f71ca3e72c83e73c73d73c53c74c43c75c23b75c03a76bf3a77bd3977bc3978ba3878b83779b73779"
    "b5367ab3367ab2357bb0357bae347bad347cab337caa337da8327da6317da5317ea3307ea1307ea02f7f9e2f7f9c2e7f"
    "9b2e7f992d80982d80962c80942c80932b80912b81902a818e2a818c29818b2981892881882781862781842681832681"
    "8125818025827e24827c23827b2382792282782281762181752181732081721f81701f816e1e816d1d816b1d816a1c81"
    "681c81671b80651a80641a806219806018805f187f5d177f5c167f5a167e59157e57157e56147d54137d52137c51127c"
    "4f127b4e117b4c117a4a1079491078471078451077440f76420f75400f743f0f723d0f713b0f70390f6e38106c36106b"
    "3410693310673111652f11632d11612c115f2a115c29115a27125825125524125322115021114e20114b1e11491d1147"
    "1c10441a104219103f180f3d160f3b150e38140e36130d34120d31110c2f100b2d0e0b2b0d0a290c09260b09240a0822"
    "09072008071e07061c06051a06051805041604041403031203030f02020d02020b020109010108010106010005000004"
)


def density_colours(fractions) -> np.ndarray:
    """8-bit RGB of the density colour map at ``fractions`` of the top (0–1), as matplotlib would pick them."""
    table = np.frombuffer(bytes.fromhex("".join(DENSITY_RGB)), dtype=np.uint8).reshape(256, 3)
    # matplotlib's lookup: fraction x 256, truncated, the top value folded into the last colour.
    index = np.clip((np.asarray(fractions, dtype=float) * 256).astype(int), 0, 255)
    return table[index]


def density_hex(fraction: float) -> str:
    """The density colour at one fraction of the top, as ``#rrggbb``."""
    return "#" + bytes(density_colours(fraction)).hex()


DENSITY_STOPS = (0.33, 0.66, 1.0)
DENSITY_OPACITY = 0.9
#: A density pixel's own opacity is DENSITY_FLOOR + (1 - DENSITY_FLOOR) x its fraction of the top.
DENSITY_FLOOR = 0.5

# --- Sites ------------------------------------------------------------------------------------
SITE_COLOR = "#54278f"
SITE_LABEL = "#3f007d"
RING_COLOR = "#444444"
RING_DASH = "6 6"
#: Distance rings (metres) around key sites with sourced coordinates. Approximate sites get none:
#: rings around an invented point would look measured.
KEY_SITE_RINGS_M = {"airport": (1000, 2000, 5000), "mss-base": (1000, 2000, 5000), "us-embassy": (1000, 2000)}
#: The sites a static figure marks and names (the HTML map shows every sourced site).
FIGURE_SITES = ("airport", "mss-base", "us-embassy", "palais-national", "port")


@dataclass(frozen=True)
class Swatch:
    """A legend entry's look: its colour as seen on the map, and how it is drawn."""

    color: str
    #: "fill"; "pattern" (contested stripes); "ring" (a dashed circle: hollow incidents, approximate
    #: sites, distance rings); "outline" (a dashed square: classes drawn unfilled); "line"; "dash";
    #: "diamond" and "diamond-dash" (key sites, exact and approximate, as their markers are drawn);
    #: "dot" (a filled circle: incidents by type); "stroke" (a square outline drawn with ``dash``
    #: and ``width``, as an outlined zone is).
    shape: str = "fill"
    dash: str | None = None
    width: float | None = None


def blend(color: str, opacity: float, under: str = GROUND) -> str:
    """``color`` at ``opacity`` over ``under``, as one opaque colour (what the eye sees on the map)."""
    top, bottom = _rgb(color), _rgb(under)
    mixed = [round(opacity * t + (1 - opacity) * b) for t, b in zip(top, bottom, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def type_colors(types: list[str]) -> list[str]:
    """Colours for event types: ACLED's six keep theirs on every map; others take the spare palette."""
    spare = iter(SPARE_TYPE_COLORS * (1 + len(types) // len(SPARE_TYPE_COLORS)))
    return [EVENT_TYPE_COLORS.get(t) or next(spare) for t in types]


def status_swatch(status: str) -> Swatch:
    """The control legend's swatch for ``status``."""
    if status == "contested":
        return Swatch(blend(STATUS_COLORS[status], CONTROL_OPACITY), "pattern")
    return Swatch(blend(STATUS_COLORS[status], CONTROL_OPACITY))


def emerging_swatch(category: str) -> Swatch:
    """An emerging-hot-spot category's swatch: its blended fill, or its outline with the dash drawn."""
    fill, line, dash, width = EMERGING_STYLES[category]
    if fill is not None:
        return Swatch(blend(fill, EMERGING_OPACITY))
    return Swatch(line, "stroke", dash=dash, width=width)


def corridor_swatch(risk_class: str) -> Swatch:
    """A corridor class's swatch: a line in its colour, or the grey dashed line of roads with no event."""
    if risk_class == "none":
        return Swatch(CORRIDOR_NONE, "dash")
    return Swatch(CORRIDOR_COLORS[risk_class], "line")


def class_swatch(colors: dict[str, str], opacity: float, name: str) -> Swatch:
    """A risk or hot-spot class's swatch: a blended fill, or a ring for the classes drawn unfilled."""
    if name in UNFILLED:
        return Swatch(ZONE_EDGE, "outline")
    return Swatch(blend(colors[name], opacity))


def stack_radius(count: int) -> float:
    """Radius in pixels of the symbol for ``count`` events on one coordinate (the runtime uses the same rule)."""
    return min(STACK_MAX_PX, STACK_BASE_PX + STACK_SCALE_PX * count**0.5)


def fatality_radius(fatalities: float) -> float:
    """Radius in pixels of a lone event with ``fatalities`` deaths (the runtime uses the same rule)."""
    return min(STACK_MAX_PX, FATAL_BASE_PX + FATAL_SCALE_PX * fatalities**0.5)


def stack_key(largest: int) -> list[int]:
    """Stack sizes for the size key: two events, about the square root of the largest, and the largest."""
    if largest < 2:
        return []
    middle = round(largest**0.5) if largest >= 9 else 2
    return sorted({2, middle, largest})


def fatality_key(largest: int) -> list[int]:
    """Death counts for the size key of lone events: 1, 10 and the largest drawn, as far as they go."""
    return sorted({n for n in (1, 10, largest) if 1 <= n <= largest})


def page_style() -> dict:
    """What the HTML runtime draws with, sent in the map's payload (the JavaScript holds no colour)."""
    return {
        "stripes": list(CONTESTED_STRIPES),
        "zone_edge": ZONE_EDGE,
        "incident_outline": INCIDENT_OUTLINE,
        "coarse_dash": COARSE_DASH,
        "density_opacity": DENSITY_OPACITY,
        "site": SITE_COLOR,
        "ring": RING_COLOR,
        "ring_dash": RING_DASH,
        "halo": HALO,
        "text": TEXT,
        "stack_base": STACK_BASE_PX,
        "stack_scale": STACK_SCALE_PX,
        "stack_max": STACK_MAX_PX,
        "fatal_base": FATAL_BASE_PX,
        "fatal_scale": FATAL_SCALE_PX,
    }


#: The diagonal "SYNTHETIC DATA" mark over maps of synthetic incidents: faint, so the map reads through it.
WATERMARK = CAVEAT_TEXT
WATERMARK_OPACITY = 0.14


def css_variables() -> str:
    """The stylesheet's colours as CSS custom properties (``katye.css`` uses only these)."""
    values = {
        "text": TEXT,
        "muted": MUTED_TEXT,
        "caveat": CAVEAT_TEXT,
        "halo": HALO,
        "panel": PANEL,
        "shadow": SHADOW,
        "edge": ZONE_EDGE,
        "site": SITE_COLOR,
        "stripe-a": CONTESTED_STRIPES[0],
        "stripe-b": CONTESTED_STRIPES[1],
        "watermark": WATERMARK,
        "watermark-opacity": WATERMARK_OPACITY,
    }
    return ":root{" + "".join(f"--katye-{k}:{v};" for k, v in values.items()) + "}"
