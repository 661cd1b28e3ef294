"""Static maps laid out as report pages: paper sizes, everything inside the page, print-ready fonts."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess

import pytest
from matplotlib.legend import Legend
from matplotlib.text import Text

import katye
from conftest import require_or_skip
from katye.render.figure import MIN_TEXT_PT, PAPERS_MM


@pytest.fixture(scope="module")
def sample():
    return katye.read_incidents(katye.samples.path()).incidents


def visible_texts(figure):
    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize(
    ("paper", "orientation"), [("a4", "landscape"), ("a4", "portrait"), ("a3", "landscape"), ("letter", "portrait")]
)
def test_every_element_sits_inside_the_page_and_nothing_overlaps_the_map(sample, paper, orientation):
    figure = katye.render_static(sample, control=katye.samples.path("control"), paper=paper, orientation=orientation)
    width, height = (mm / 25.4 for mm in PAPERS_MM[paper])
    expected = (width, height) if orientation == "landscape" else (height, width)
    assert tuple(figure.get_size_inches()) == pytest.approx(expected)
    figure.canvas.draw()  # text positions are final once drawn, as when saved
    renderer = figure.canvas.get_renderer()
    page = figure.bbox
    outside = []
    for text in visible_texts(figure):
        box = text.get_window_extent(renderer)
        if text.get_clip_on() and text.axes is not None:
            continue  # clipped to the map frame, so never past it
        if box.x0 < page.x0 - 1 or box.y0 < page.y0 - 1 or box.x1 > page.x1 + 1 or box.y1 > page.y1 + 1:
            outside.append(text.get_text()[:40])
    assert outside == []
    map_box = figure.axes[0].get_window_extent(renderer)
    legends = [legend.get_window_extent(renderer) for legend in figure.legends]
    # zones, incidents, stack sizes, deaths, sites: a legend in sections
    assert len(legends) == 5
    for legend in legends:
        assert not legend.overlaps(map_box)
        assert page.x0 <= legend.x0
        assert legend.x1 <= page.x1
        assert page.y0 <= legend.y0
        assert legend.y1 <= page.y1
    for one, two in itertools.pairwise(legends):
        assert not one.overlaps(two)
    notes = [t for t in figure.texts if "Sources" in t.get_text() or "SYNTHETIC DATA" in t.get_text()]
    for note in notes:
        assert not note.get_window_extent(renderer).overlaps(map_box)


def test_no_text_is_smaller_than_seven_points(sample):
    figure = katye.render_static(sample, control=katye.samples.path("control"))
    sizes = {t.get_fontsize() for t in visible_texts(figure)}
    assert min(sizes) >= MIN_TEXT_PT


def test_the_page_carries_the_boundary_disclaimer_and_a_titled_legend_per_section(sample):
    figure = katye.render_static(sample, lang="fr")
    texts = " ".join(t.get_text() for t in figure.texts)
    assert "ne sont pas une position officielle" in texts
    titles = [legend.get_title().get_text() for legend in figure.findobj(Legend)]
    assert titles == ["Contrôle", "Incidents", "Taille des symboles", "Morts", "Sites clés et limites"]


def test_french_risk_classes_write_decimals_the_french_way(sample):
    figure = katye.render_static(sample, layer="risk", lang="fr")
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert any("," in label and "." not in label for label in labels if "(" in label)


def test_pdf_embeds_truetype_fonts_not_type3(sample, tmp_path):
    path = tmp_path / "map.pdf"
    katye.render_static(sample, path=path)
    data = path.read_bytes()
    assert b"/FontFile2" in data  # an embedded TrueType font program
    assert b"/Type3" not in data


def test_pdffonts_lists_only_embedded_truetype_fonts(sample, tmp_path):
    require_or_skip(shutil.which("pdffonts") is not None, "pdffonts is not installed (apt-get install poppler-utils)")
    path = tmp_path / "map.pdf"
    katye.render_static(sample, path=path, paper="a4")
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = listing.splitlines()[2:]
    assert rows
    for row in rows:
        assert "TrueType" in row
        assert " yes " in row  # embedded


def test_svg_keeps_text_as_text(sample, tmp_path):
    path = tmp_path / "map.svg"
    katye.render_static(sample, path=path)
    svg = path.read_text(encoding="utf-8")
    assert "<text" in svg
    assert "Insecurity in Port-au-Prince" in svg


@pytest.mark.parametrize(("option", "value"), [("paper", "a5"), ("orientation", "sideways")])
def test_an_unknown_page_is_a_clear_error(sample, option, value):
    with pytest.raises(katye.errors.UsageError, match=option):
        katye.render_static(sample, **{option: value})


def test_a_locator_map_of_haiti_outlines_the_area_shown(sample):
    from matplotlib.patches import Rectangle

    figure = katye.render_static(sample, lang="fr")
    main = figure.axes[0]
    insets = main.child_axes
    assert len(insets) == 1
    boxes = [p for p in insets[0].patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert len(boxes) == 1
    x0, x1 = main.get_xlim()
    assert boxes[0].get_width() == pytest.approx(x1 - x0)
    assert "Haïti" in [t.get_text() for t in insets[0].texts]
    assert insets[0].get_xlabel() == ""


def test_names_on_the_static_map_never_cover_a_count_or_each_other(sample):
    figure = katye.render_static(sample, control=katye.samples.path("control"))
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    ax = figure.axes[0]
    counts = [t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "count"]
    names = [
        t.get_window_extent(renderer)
        for t in ax.texts
        if t.get_gid() in ("commune-name", "site-name") and t.get_visible()
    ]
    assert counts
    assert len(names) >= 5
    assert not [n for n in names for c in counts if n.overlaps(c)]
    assert not [(a, b) for i, a in enumerate(names) for b in names[i + 1 :] if a.overlaps(b)]


def test_svg_and_pdf_keep_place_names_and_stack_counts_as_text(sample, tmp_path):
    svg = tmp_path / "map.svg"
    katye.render_static(sample, path=svg)
    text = svg.read_text(encoding="utf-8")
    for name in ("Delmas", "Cité Soleil", "Port-au-Prince"):
        assert re.search(rf"<text[^>]*>\s*{re.escape(name)}\s*</text>", text), name
    pdf = tmp_path / "map.pdf"
    katye.render_static(sample, path=pdf)
    require_or_skip(shutil.which("pdftotext") is not None, "pdftotext is not installed (apt-get install poppler-utils)")
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Delmas" in words
    assert "Pétion-Ville" in words


def test_the_static_control_legend_lists_only_what_is_drawn(sample):
    from matplotlib.legend import Legend

    figure = katye.render_static(sample.head(5), layer="control")
    (control,) = [legend for legend in figure.findobj(Legend) if legend.get_title().get_text() == "Control"]
    labels = [t.get_text() for t in control.get_texts()]
    assert labels[0] == "Unknown"  # no control table, five events: every zone unknown
    assert not any("disagree" in label for label in labels)
