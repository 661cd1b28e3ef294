"""Colours: one table, fixed per meaning, and apart for colour-blind readers in every legend."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

import katye
from katye.render import style
from katye.render.html import read_payload

colorspacious = pytest.importorskip("colorspacious")

SRC = Path(katye.__file__).parent
DEFICIENCIES = ("deuteranomaly", "protanomaly", "tritanomaly")


def ciede2000(lab1, lab2) -> float:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), kL = kC = kH = 1."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p, h2p = np.degrees(np.arctan2(b1, a1p)) % 360, np.degrees(np.arctan2(b2, a2p)) % 360
    dh = 0.0 if c1p * c2p == 0 else (h2p - h1p + 180) % 360 - 180
    d_hp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hp_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hp_bar = (h1p + h2p) / 2
    else:
        hp_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * np.cos(np.radians(hp_bar - 30))
        + 0.24 * np.cos(np.radians(2 * hp_bar))
        + 0.32 * np.cos(np.radians(3 * hp_bar + 6))
        - 0.20 * np.cos(np.radians(4 * hp_bar - 63))
    )
    rotation = 30 * np.exp(-(((hp_bar - 275) / 25) ** 2))
    rc = 2 * np.sqrt(cp_bar**7 / (cp_bar**7 + 25.0**7))
    sl = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    sc, sh = 1 + 0.045 * cp_bar, 1 + 0.015 * cp_bar * t
    rt = -np.sin(np.radians(2 * rotation)) * rc
    dl, dc, dh_ = (l2 - l1) / sl, (c2p - c1p) / sc, d_hp / sh
    return float(np.sqrt(dl**2 + dc**2 + dh_**2 + rt * dc * dh_))


@pytest.mark.parametrize(
    ("one", "two", "expected"),
    [
        # Pairs 1, 17 and 25 of Sharma, Wu & Dalal's test data for CIEDE2000.
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ],
)
def test_the_colour_difference_matches_published_values(one, two, expected):
    assert ciede2000(one, two) == pytest.approx(expected, abs=1e-4)


def seen(color: str, deficiency: str | None):
    rgb = np.array([int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    if deficiency:
        cvd = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
        rgb = np.clip(colorspacious.cspace_convert(rgb, cvd, "sRGB1"), 0, 1)
    return colorspacious.cspace_convert(rgb, "sRGB1", "CIELab")


def closest_pair(colors: list[str], deficiency: str | None) -> tuple[float, str, str]:
    pairs = itertools.combinations(colors, 2)
    return min((ciede2000(seen(a, deficiency), seen(b, deficiency)), a, b) for a, b in pairs)


@pytest.fixture(scope="module")
def legends() -> dict[str, list[dict]]:
    """Every legend of a full map (control, risk, incidents, density, hot spots, sites, boundaries)."""
    sample = katye.read_incidents(katye.samples.path()).incidents
    html = katye.make_map(sample, control=katye.samples.path("control")).render_html()
    data = read_payload(html)
    return {layer["key"]: layer["legend"] for layer in data["layers"]}


@pytest.mark.parametrize("deficiency", [None, *DEFICIENCIES])
@pytest.mark.parametrize("key", ["control", "risk", "incidents", "density", "hotspots"])
def test_every_pair_of_fills_in_a_legend_stays_apart_for_colour_blind_readers(legends, key, deficiency):
    fills = [item["color"] for item in legends[key] if item.get("shape") in ("fill", "dot")]
    difference, a, b = closest_pair(fills, deficiency)
    assert difference >= style.MIN_DELTA_E, f"{key}: {a} and {b} differ by {difference:.1f} ({deficiency})"


@pytest.mark.parametrize("deficiency", [None, *DEFICIENCIES])
def test_all_six_acled_event_types_stay_apart(deficiency):
    difference, a, b = closest_pair(list(style.EVENT_TYPE_COLORS.values()), deficiency)
    assert difference >= style.MIN_DELTA_E, f"{a} and {b} differ by {difference:.1f} ({deficiency})"


def test_the_legends_under_test_hold_the_classes_they_should(legends):
    """Guards the test above: a legend that lost its fills would pass it by having none."""
    shapes = {key: [item.get("shape") for item in items] for key, items in legends.items()}
    assert shapes["control"].count("fill") == 4  # state, armed group, international, unknown
    assert shapes["control"].count("pattern") == 1  # contested
    assert shapes["hotspots"].count("fill") >= 3
    assert shapes["incidents"].count("dot") >= 5  # circles, as the incidents are drawn


def full_palettes() -> dict[str, list[str]]:
    """Every fill each palette can draw, as drawn (blended at the layer's opacity): any map's legend."""
    return {
        "control": [
            style.status_swatch(s).color for s in style.STATUS_COLORS if style.status_swatch(s).shape == "fill"
        ],
        "risk": [
            style.class_swatch(style.RISK_COLORS, style.RISK_OPACITY, c).color
            for c in style.RISK_COLORS
            if c not in style.UNFILLED
        ],
        "hotspots": [
            style.class_swatch(style.HOTSPOT_COLORS, style.HOTSPOT_OPACITY, c).color
            for c in style.HOTSPOT_COLORS
            if c not in style.UNFILLED
        ],
        "emerging": [
            style.emerging_swatch(c).color for c in style.EMERGING_STYLES if style.emerging_swatch(c).shape == "fill"
        ],
        "chart events": list(style.CHART_EVENT_COLORS[1:]),  # the first, no event, is white and outlined
        "chart lines": list(style.CHART_LINE_COLORS),
        # Road segments by risk class, drawn opaque over the land ("no event" is grey and dashed).
        "corridors": [style.corridor_swatch(c).color for c in style.CORRIDOR_COLORS],
    }


@pytest.mark.parametrize("deficiency", [None, *DEFICIENCIES])
@pytest.mark.parametrize("key", ["control", "risk", "hotspots", "emerging", "chart events", "chart lines", "corridors"])
def test_every_class_a_palette_can_draw_stays_apart(key, deficiency):
    fills = full_palettes()[key]
    assert len(fills) >= 4
    difference, a, b = closest_pair(fills, deficiency)
    assert difference >= style.MIN_DELTA_E, f"{key}: {a} and {b} differ by {difference:.1f} ({deficiency})"


def test_an_event_type_keeps_its_colour_whatever_else_is_on_the_map():
    alone = style.type_colors(["Riots"])
    among = style.type_colors(["Battles", "Protests", "Riots", "Something else"])
    assert alone[0] == among[2]


def test_legend_swatches_show_the_fill_as_drawn_over_land():
    """A fill at 85 % over the land is lighter than the raw colour: the swatch shows the blend."""
    swatch = style.status_swatch("state")
    assert swatch.color == style.blend(style.STATUS_COLORS["state"], style.CONTROL_OPACITY)
    assert swatch.color != style.STATUS_COLORS["state"]


def test_no_colour_is_written_outside_the_style_table():
    literal = re.compile(
        r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|rgba?\(|['\"](white|black|red|blue|green|grey|gray)['\"]"
    )
    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sorted(SRC.rglob("*"))
        if path.suffix in (".py", ".js", ".css") and path.name != "style.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert offenders == []


def test_density_table_is_matplotlibs_colour_map():
    import matplotlib

    colormap = matplotlib.colormaps[style.DENSITY_COLORMAP]
    fractions = np.concatenate([np.linspace(0, 1, 2049), np.random.default_rng(0).random(5000), [1.0, 0.0]])
    expected = np.round(colormap(fractions)[:, :3] * 255).astype(np.uint8)
    np.testing.assert_array_equal(style.density_colours(fractions), expected)


def test_every_emerging_category_has_a_look_and_outlines_differ_by_dash():
    from katye.emerging import CATEGORIES

    assert list(style.EMERGING_STYLES) == list(CATEGORIES)  # the legend's fixed order is the method's
    outlines = {(line, dash, width) for fill, line, dash, width in style.EMERGING_STYLES.values() if fill is None}
    assert len(outlines) == sum(1 for look in style.EMERGING_STYLES.values() if look[0] is None)


@pytest.mark.parametrize("deficiency", [None, *DEFICIENCIES])
def test_corridor_lines_stand_out_from_the_land_and_no_event_has_a_second_channel(deficiency):
    for color in style.CORRIDOR_COLORS.values():
        difference = ciede2000(seen(color, deficiency), seen(style.GROUND, deficiency))
        assert difference >= style.MIN_DELTA_E, f"{color} on the land: {difference:.1f} ({deficiency})"
    assert style.corridor_swatch("none").shape == "dash"
    assert style.CORRIDOR_NONE_DASH
    assert {style.corridor_swatch(c).shape for c in style.CORRIDOR_COLORS} == {"line"}
