"""What a person sees: the map in real Chromium (Debian's /usr/bin/chromium), offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import shapely

import katye
from conftest import require_or_skip
from katye.labels import LABELS
from katye.render.html import read_payload
from katye.testing import CHROMIUM, chromium

HOSTILE = '<img src=x onerror="window.__pwned=1"> `${window.__pwned=2}` \\ </script><script>window.__pwned=3</script>'

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    require_or_skip(Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def maps(tmp_path_factory):
    folder = tmp_path_factory.mktemp("maps")
    incidents = katye.read_incidents(katye.samples.path()).incidents
    incidents = incidents[incidents.event_date >= "2024-10-01"].copy()
    # Compact categorical text columns take new values once they are plain text.
    incidents = incidents.astype({"notes": "str", "actor1": "str"})
    incidents.loc[incidents.index[0], "notes"] = HOSTILE
    incidents.loc[incidents.index[0], "actor1"] = HOSTILE
    incidents.loc[incidents.index[0], "geo_precision"] = 1
    # Alone on the map, so that a click on it opens its popup and no other.
    incidents.loc[incidents.index[0], "geometry"] = shapely.Point(-72.262, 18.505)
    paths = {}
    emerging = katye.emerging_hotspots(incidents, period="week", seed=0)
    for lang in ("en", "fr", "ht"):
        path = folder / f"map_{lang}.html"
        m = katye.make_map(incidents, control=katye.samples.path("control"), lang=lang, emerging=emerging)
        katye.save_map(m, path)
        paths[lang] = path
    return paths, incidents.iloc[0]


def open_map(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    problems, requests = [], []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "request",
        lambda request: requests.append(request.url) if not request.url.startswith(("file:", "data:")) else None,
    )
    page.route("http*://**", lambda route: route.abort())
    page.goto(path.as_uri())
    page.wait_for_function("window.katyeReady !== undefined", timeout=30_000)
    return page, problems, requests


def screen_point(page, lat: float, lon: float) -> list[float]:
    return page.evaluate(
        f"() => {{ const p = map_katye0.latLngToContainerPoint([{lat}, {lon}]);"
        " const r = document.getElementById('map_katye0').getBoundingClientRect();"
        " return [p.x + r.left, p.y + r.top]; }"
    )


def popup_at(page, lat: float, lon: float):
    """Click the map at ``lat``, ``lon`` and return the popup that opens."""
    page.mouse.click(*screen_point(page, lat, lon))
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    return popup


def legend_visible(page, key: str) -> bool:
    return page.evaluate(f"""() => {{ const box = document.querySelector('.katye-legend[data-layer="{key}"]');
        return !!box && box.style.display !== 'none'; }}""")


def test_loads_with_no_errors_and_no_network(browser, maps):
    page, problems, requests = open_map(browser, maps[0]["en"])
    assert problems == []
    assert requests == []
    assert page.locator(".katye-title-main").inner_text() == "SYNTHETIC · Insecurity in Port-au-Prince"
    assert "SYNTHETIC" in page.locator(".katye-title").inner_text()
    assert "CC BY-IGO 3.0" in page.locator(".katye-credits").inner_text()
    assert page.locator(".leaflet-control-scale").count() == 1
    page.close()


def test_every_layer_toggles_and_its_legend_follows(browser, maps):
    page, problems, _ = open_map(browser, maps[0]["en"])
    for key, label in (
        ("control", "Control"),
        ("risk", "Risk"),
        ("incidents", "Incidents"),
        ("density", "Density"),
        ("hotspots", "Hot spots"),
        ("emerging", "Emerging hot spots"),
        ("sites", "Key sites"),
        ("boundaries", "Boundaries"),
    ):
        box = page.get_by_label(label, exact=True)
        before = box.is_checked()
        assert legend_visible(page, key) == before, key
        box.click()
        assert box.is_checked() != before
        assert legend_visible(page, key) == (not before), key
        box.click()
        assert legend_visible(page, key) == before, key
    assert problems == []
    page.close()


def test_popup_shows_hostile_text_as_text_and_nothing_runs(browser, maps):
    path, hostile_row = maps
    page, problems, _ = open_map(browser, path["en"])
    page.get_by_label("Control", exact=True).uncheck()
    page.get_by_label("Key sites", exact=True).uncheck()
    popup = popup_at(page, hostile_row.geometry.y, hostile_row.geometry.x)
    text = popup.inner_text()
    assert popup.locator(".katye-card-title").inner_text() == hostile_row["event_id"]  # ids travel as numbers
    assert "onerror" in text
    assert "${window.__pwned=2}" in text
    assert "</script>" in text
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert problems == []
    page.close()


def test_month_selector_filters_incidents(browser, maps):
    page, _, _ = open_map(browser, maps[0]["en"])
    options = page.locator("select.katye-month option").all_inner_texts()
    assert options[0] == "Whole period"
    assert "2024-11" in options

    def drawn() -> int:
        return page.evaluate("""() => { const c = document.querySelector('.leaflet-katyeIncidents-pane canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
            for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) { n++; } } return n; }""")

    everything = drawn()
    page.select_option("select.katye-month", label="2024-12")
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert 0 < drawn() < everything
    page.close()


def test_french_labels_appear(browser, maps):
    page, problems, _ = open_map(browser, maps[0]["fr"])
    assert page.locator(".katye-title-main").inner_text() == "SYNTHÉTIQUE · Insécurité à Port-au-Prince"
    assert page.get_by_label("Contrôle", exact=True).is_checked()
    assert page.locator("select.katye-month option").first.inner_text() == "Toute la période"
    assert problems == []
    page.close()


def test_the_browser_is_debians_chromium(browser):
    # The fixture fails in CI (and skips elsewhere) when /usr/bin/chromium is missing: scripts/test installs it.
    assert browser.is_connected()
    assert browser.browser_type.name == "chromium"
    assert browser.version.split(".")[0].isdigit()


def test_density_shows_above_the_land_and_the_sea_is_sea(browser, maps):
    page, problems, _ = open_map(browser, maps[0]["en"])
    page.get_by_label("Density", exact=True).click()
    # The density image sits in a pane above the zones' fills and the land, so it can be seen.
    z = page.evaluate("""() => [".leaflet-katyeLand-pane", ".leaflet-overlay-pane", ".leaflet-katyeDensity-pane"]
        .map(s => parseInt(getComputedStyle(document.querySelector(s)).zIndex, 10))""")
    assert z[0] < z[1] < z[2]
    assert page.locator(".leaflet-katyeDensity-pane img").count() == 1
    assert page.locator(".leaflet-katyeLand-pane path").count() == 2  # Haiti's backdrop and the metro
    sea = page.evaluate("() => getComputedStyle(document.querySelector('.leaflet-container')).backgroundColor")
    assert sea == "rgb(198, 219, 234)"
    assert problems == []
    page.close()


def test_zone_tooltips_show_through_the_incident_layer(browser, maps):
    page, problems, _ = open_map(browser, maps[0]["en"])
    # The incidents' canvas covers the map but lets the pointer through to the zones.
    hit = page.evaluate("""() => { const r = document.querySelector('.leaflet-container').getBoundingClientRect();
        const el = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return el ? el.tagName + '.' + (el.getAttribute('class') || '') : ''; }""")
    assert "katye-points" not in hit
    assert page.evaluate("() => getComputedStyle(document.querySelector('.katye-points')).pointerEvents") == "none"
    assert problems == []
    page.close()


def test_a_zone_drawn_as_an_outline_shows_its_card_when_the_pointer_is_inside(browser, maps):
    # Hot-spot zones that are not significant are outlines only: their card must still open
    # over their inside, not only on their thin edge.
    page, problems, _ = open_map(browser, maps[0]["en"])
    for layer in ("Control", "Incidents", "Key sites", "Place names"):
        page.get_by_label(layer, exact=True).uncheck()
    page.get_by_label("Hot spots", exact=True).check()
    payload = read_payload(maps[0]["en"].read_text(encoding="utf-8"))
    layer = next(layer for layer in payload["layers"] if layer["key"] == "hotspots")
    quiet = [f for f in layer["features"] if not f.get("fill")]
    assert quiet, "the sample map has zones that are not significant"
    # The centre of the widest circle inside a quiet zone (far from its edges), the widest first,
    # where no panel covers the map.
    circles = sorted(
        (shapely.maximum_inscribed_circle(shapely.geometry.shape(f["geometry"])) for f in quiet),
        key=lambda circle: -circle.length,
    )
    for circle in circles:
        lon, lat = circle.coords[0]
        x, y = screen_point(page, lat, lon)
        if page.evaluate(f"() => (document.elementFromPoint({x}, {y}) || {{}}).tagName") == "path":
            break
    else:
        raise AssertionError("no quiet zone in view")
    page.mouse.move(x, y)
    tooltip = page.locator(".leaflet-tooltip .katye-card")
    tooltip.wait_for(timeout=5000)
    assert "not significant" in tooltip.inner_text().lower()
    assert problems == []
    page.close()


def test_commune_names_show_and_hide_with_their_layer(browser, maps):
    page, problems, _ = open_map(browser, maps[0]["fr"])
    names = page.locator(".katye-name-commune")
    assert names.count() == 10
    assert "Pétion-Ville" in names.all_inner_texts()
    assert "Cité Soleil" in names.all_inner_texts()
    hidden = page.evaluate(
        """() => getComputedStyle(document.querySelector('.katye-legend[data-layer="names"]')).display"""
    )
    assert hidden == "none"  # text needs no legend box
    page.get_by_label("Noms de lieux", exact=True).click()
    assert page.locator(".katye-name").count() == 0
    assert problems == []
    page.close()


@pytest.fixture(scope="module")
def stacked_map(tmp_path_factory):
    """37 exactly located events on one coordinate, and one event alone elsewhere."""
    incidents = katye.read_incidents(katye.samples.path()).incidents
    incidents = incidents[incidents["location_precision"].astype(str) == "exact"].head(38).copy()
    incidents["geometry"] = [shapely.Point(-72.30, 18.55)] * 37 + [shapely.Point(-72.26, 18.53)]
    path = tmp_path_factory.mktemp("stack") / "stack.html"
    katye.save_map(katye.make_map(incidents, show=("incidents",)), path)
    return path


def test_a_stack_of_37_events_is_one_symbol_that_says_37_and_lists_them_page_by_page(browser, stacked_map):
    page, problems, _ = open_map(browser, stacked_map)
    popup = popup_at(page, 18.55, -72.30)
    assert "37 events at this place" in popup.inner_text()
    assert popup.locator(".katye-card").count() == 5
    assert "1–5 of 37" in popup.inner_text()
    popup.get_by_role("button", name="Next").click()
    assert "6–10 of 37" in popup.inner_text()
    legend = page.locator('.katye-legend[data-layer="incidents"]').inner_text()
    assert "37 events at one place" in legend
    assert problems == []
    page.close()


def test_the_stack_count_is_drawn_on_the_map(browser, stacked_map):
    """The count is written in the symbol: dark text pixels at its centre, none at a lone event's."""
    page, _, _ = open_map(browser, stacked_map)

    def dark_pixels_around(lat: float, lon: float) -> int:
        x, y = screen_point(page, lat, lon)
        box = page.locator(".leaflet-katyeIncidents-pane canvas").bounding_box()
        return page.evaluate(
            f"""() => {{ const c = document.querySelector('.leaflet-katyeIncidents-pane canvas');
            const d = c.getContext('2d').getImageData({x - box["x"] - 6}, {y - box["y"] - 5}, 12, 10).data;
            let n = 0; for (let i = 0; i < d.length; i += 4) {{
              if (d[i + 3] > 200 && d[i] < 80 && d[i + 1] < 80 && d[i + 2] < 80) {{ n++; }} }} return n; }}"""
        )

    assert dark_pixels_around(18.55, -72.30) > 10
    assert dark_pixels_around(18.53, -72.26) == 0
    page.close()


def test_choosing_a_month_changes_the_subtitle_and_flags_whole_period_layers(browser, maps):
    page, problems, _ = open_map(browser, maps[0]["en"])
    before = page.locator(".katye-title-sub").inner_text()
    assert not page.locator('.katye-legend[data-layer="control"] .katye-legend-period').is_visible()
    page.select_option("select.katye-month", label="2024-11")
    assert page.locator(".katye-title-sub").inner_text().startswith("2024-11 only")
    assert page.locator(".katye-title-sub").inner_text() != before
    note = page.locator('.katye-legend[data-layer="control"] .katye-legend-period')
    assert note.inner_text() == "Whole period: does not follow the month or week chosen"
    assert note.is_visible()
    page.select_option("select.katye-month", label="Whole period")
    assert page.locator(".katye-title-sub").inner_text() == before
    assert problems == []
    page.close()


def test_french_month_selector_names_months_in_french(browser, maps):
    page, _, _ = open_map(browser, maps[0]["fr"])
    page.select_option("select.katye-month", label="novembre 2024")
    assert page.locator(".katye-title-sub").inner_text().startswith("novembre 2024 seulement")
    page.close()


def test_place_names_are_shown_without_overlapping_each_other_or_the_panels(browser, maps):
    page, problems, _ = open_map(browser, maps[0]["en"])
    boxes = page.evaluate("""() => {
        const shown = [...document.querySelectorAll('.katye-name span')]
          .filter(s => getComputedStyle(s).visibility !== 'hidden').map(s => s.getBoundingClientRect());
        const panels = [...document.querySelectorAll('.leaflet-control')].map(p => p.getBoundingClientRect());
        const view = document.querySelector('.leaflet-container').getBoundingClientRect();
        const plain = r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
        return {names: shown.map(plain), panels: panels.map(plain), view: plain(view),
                kinds: [...document.querySelectorAll('.katye-name')]
                  .filter(n => getComputedStyle(n.firstChild).visibility !== 'hidden')
                  .map(n => n.className)}; }""")

    def overlap(a, b) -> bool:
        return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]

    on_screen = [b for b in boxes["names"] if b["right"] > 0 and b["left"] < boxes["view"]["right"] and b["bottom"] > 0]
    assert len(on_screen) >= 8
    assert any("katye-name-zone" in k for k in boxes["kinds"])  # zone names, not only communes
    assert any("katye-name-commune" in k for k in boxes["kinds"])
    clashes = [(a, b) for i, a in enumerate(on_screen) for b in on_screen[i + 1 :] if overlap(a, b)]
    assert clashes == []
    hidden_under_panels = [n for n in on_screen for p in boxes["panels"] if overlap(n, p)]
    assert hidden_under_panels == []
    assert problems == []
    page.close()


def test_on_a_narrow_screen_panels_fold_into_buttons_and_the_map_stays_visible(browser, maps):
    page = browser.new_page(viewport={"width": 800, "height": 600})
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(maps[0]["en"].as_uri())
    page.wait_for_function("window.katyeReady !== undefined", timeout=30_000)
    covered = page.evaluate("""() => {
        const view = document.querySelector('.leaflet-container').getBoundingClientRect();
        const panels = [...document.querySelectorAll('.leaflet-control')].map(p => p.getBoundingClientRect());
        let area = 0; for (const p of panels) { area += p.width * p.height; }
        return area / (view.width * view.height); }""")
    assert covered < 0.25
    title = page.locator(".katye-title").inner_text()
    assert "SYNTHETIC DATA" in title  # the banner never folds away
    assert not page.locator(".katye-legends").is_visible()
    page.get_by_role("button", name="Legend").click()
    assert page.locator(".katye-legends").is_visible()
    page.get_by_role("button", name="Notes (5)").click()
    assert page.locator(".katye-notes").is_visible()
    assert problems == []
    page.close()


def test_on_a_wide_screen_every_panel_is_open_with_no_fold_buttons(browser, maps):
    page, problems, _ = open_map(browser, maps[0]["en"])
    assert page.locator(".katye-legends").is_visible()
    assert page.locator(".katye-notes").is_visible()
    assert not page.get_by_role("button", name="Legend").is_visible()
    assert problems == []
    page.close()


def test_the_locator_map_outlines_the_view_and_follows_it(browser, maps):
    page, problems, _ = open_map(browser, maps[0]["en"])
    locator = page.locator("svg.katye-locator")
    assert locator.locator("path").count() >= 1  # Haiti's outline
    before = float(locator.locator("rect").get_attribute("width"))
    page.evaluate("() => map_katye0.setZoom(map_katye0.getZoom() + 2, {animate: false})")
    after = float(locator.locator("rect").get_attribute("width"))
    assert after < before
    assert problems == []
    page.close()


def test_an_acled_week_sets_the_subtitle_the_caveats_and_the_size_key(browser, maps):
    data = katye.prepare(
        katye.read_incidents(katye.samples.path()).incidents, control=katye.samples.path("control"), start="2024-10-01"
    )
    week = data.incidents[data.incidents["event_date"].between("2024-11-02", "2024-11-08")]
    coarse = int((week["assignment"] == "coarse").sum())
    places = week.geometry.x.round(6).astype(str) + week.geometry.y.round(6).astype(str)
    largest = int(places.value_counts().max())
    page, problems, _ = open_map(browser, maps[0]["en"])
    groups = page.locator("select.katye-month optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert groups == ["Months", "ACLED weeks (Saturday to Friday)"]
    whole_notes = page.locator(".katye-notes").inner_text()
    page.select_option("select.katye-month", label="2024-11-02 – 2024-11-08")
    assert page.locator(".katye-title-sub").inner_text().startswith("Week of 2024-11-02 to 2024-11-08 only")
    notes = page.locator(".katye-notes").inner_text()
    assert notes != whole_notes
    assert f"{coarse} incidents are located only approximately" in notes
    key = page.locator('.katye-legend[data-layer="incidents"]').inner_text()
    assert f"{largest} events at one place" in key
    assert page.locator('.katye-legend[data-layer="risk"] .katye-legend-period').count() == 1
    assert problems == []
    page.close()


def test_play_steps_through_the_weeks_once_a_week_is_chosen(browser, maps):
    page, problems, _ = open_map(browser, maps[0]["en"])
    page.select_option("select.katye-month", label="2024-11-02 – 2024-11-08")
    page.get_by_role("button", name="Play the months or weeks").click()
    assert page.locator(".katye-title-sub").inner_text().startswith("Week of 2024-11-09 to 2024-11-15")
    page.get_by_role("button", name="Pause").click()
    assert problems == []
    page.close()


def test_synthetic_maps_carry_a_diagonal_watermark_that_lets_clicks_through(browser, maps, tmp_path):
    page, problems, _ = open_map(browser, maps[0]["fr"])
    mark = page.locator(".katye-watermark")
    assert mark.is_visible()
    assert mark.locator("span").first.inner_text() == "DONNÉES SYNTHÉTIQUES"
    assert mark.evaluate("m => getComputedStyle(m).pointerEvents") == "none"
    # Diagonal: rotated 30 degrees (cos 30° ≈ 0.866 in the transform's matrix).
    matrix = mark.locator(".katye-watermark-grid").evaluate("g => getComputedStyle(g).transform")
    assert matrix.startswith("matrix(0.866")
    assert problems == []
    page.close()
    # The same events, not flagged synthetic: no mark.
    real = katye.read_incidents(katye.samples.path()).incidents.drop(columns="synthetic").head(50)
    path = tmp_path / "real.html"
    katye.save_map(katye.make_map(real), path)
    page, problems, _ = open_map(browser, path)
    assert page.locator(".katye-watermark").count() == 0
    assert problems == []
    page.close()


def test_the_play_button_steps_through_the_months(browser, maps):
    page, problems, _ = open_map(browser, maps[0]["en"])
    page.get_by_role("button", name="Play the months").click()
    first = page.locator(".katye-title-sub").inner_text()
    assert first.startswith("2024-10 only")
    page.wait_for_function(
        "() => document.querySelector('.katye-title-sub').textContent.startsWith('2024-11')", timeout=5000
    )
    page.get_by_role("button", name="Pause").click()
    assert page.get_by_role("button", name="Play the months").is_visible()
    assert problems == []
    page.close()


def test_a_stack_under_a_site_marker_still_opens_its_list(browser, tmp_path):
    site = katye.geodata.sites().set_index("site_id").loc["palais-national", "geometry"]
    incidents = katye.read_incidents(katye.samples.path()).incidents
    incidents = incidents[incidents["location_precision"].astype(str) == "exact"].head(12).copy()
    incidents["geometry"] = [shapely.Point(site.x, site.y)] * 12
    path = tmp_path / "site-stack.html"
    katye.save_map(katye.make_map(incidents, show=("incidents", "sites")), path)
    page, problems, _ = open_map(browser, path)
    popup = popup_at(page, site.y, site.x)
    assert "12 events at this place" in popup.inner_text()
    assert problems == []
    page.close()


def test_a_french_popup_names_the_sub_event_type(browser, maps):
    path, hostile_row = maps
    page, problems, _ = open_map(browser, path["fr"])
    page.get_by_label("Contrôle", exact=True).uncheck()
    page.get_by_label("Sites clés", exact=True).uncheck()
    popup = popup_at(page, hostile_row.geometry.y, hostile_row.geometry.x)
    assert "Sous-type d'événement" in popup.inner_text()
    assert problems == []
    page.close()


def _english_fragments(english, other) -> list[str]:
    """English label text (split at placeholders) that its translation does not also contain."""
    if isinstance(english, dict):
        return [f for key, value in english.items() for f in _english_fragments(value, other.get(key, ""))]
    if isinstance(english, (list, tuple)):
        return [
            f for i, value in enumerate(english) for f in _english_fragments(value, other[i] if i < len(other) else "")
        ]
    if not isinstance(english, str):
        return []
    fragments = [f.strip(" .,:;()·") for f in re.split(r"{\w*}", english)]
    # Words shared with the translation (names, "ACLED", "OurAirports") are not English left behind.
    return [f for f in fragments if len(f) >= 6 and " " in f and f not in str(other)]


@pytest.mark.parametrize("lang", ["fr", "ht"])
def test_french_and_creole_pages_show_no_english_label(browser, maps, lang):
    page, problems, _ = open_map(browser, maps[0][lang])
    # Every layer on, so every legend is shown; one week chosen, so its subtitle and notes are too.
    for box in page.locator(".leaflet-control-layers-overlays input").all():
        if not box.is_checked():
            box.check()
    shown = page.evaluate("() => document.body.innerText")
    page.locator("select.katye-month").select_option(index=8)  # a week
    shown += page.evaluate(
        "() => document.body.innerText + [...document.querySelectorAll('[aria-label],[title],optgroup')]"
        ".map(e => [e.getAttribute('aria-label'), e.getAttribute('title'), e.label].join(' ')).join(' ')"
    )
    english = [f for f in _english_fragments(LABELS["en"], LABELS[lang]) if f in shown]
    assert english == []
    assert len(shown) > 1000  # the page was read, not an empty shell
    assert problems == []
    page.close()


def test_key_sites_are_named_on_the_map_where_they_fit(browser, maps):
    page, problems, _ = open_map(browser, maps[0]["en"])

    def named() -> list[str]:
        return page.locator(".katye-name-site span").evaluate_all(
            "spans => spans.filter(s => s.style.visibility !== 'hidden').map(s => s.textContent)"
        )

    assert named()  # some at the default view, beside their markers
    airport = katye.geodata.sites().set_index("site_id").loc["airport", "geometry"]
    page.evaluate(f"() => map_katye0.setView([{airport.y}, {airport.x}], 15, {{animate: false}})")
    page.wait_for_timeout(200)
    assert any("airport" in name for name in named())  # and the airport once zoomed in
    assert problems == []
    page.close()


def test_a_click_on_a_big_stacks_count_opens_that_stack(browser, tmp_path):
    incidents = katye.read_incidents(katye.samples.path()).incidents
    exact = incidents[incidents["location_precision"].astype(str) == "exact"].head(40).copy()
    # 37 events on one point and three lone events just beside it, inside the big symbol.
    exact["geometry"] = [shapely.Point(-72.30, 18.55)] * 37 + [
        shapely.Point(-72.30 + d, 18.55) for d in (0.0004, -0.0004, 0.0006)
    ]
    path = tmp_path / "crowd.html"
    katye.save_map(katye.make_map(exact, show=("incidents",)), path)
    page, problems, _ = open_map(browser, path)
    assert "37 events at this place" in popup_at(page, 18.55, -72.30).inner_text()
    assert problems == []
    page.close()


def test_the_emerging_layer_shows_its_categories_method_and_a_zones_history(browser, maps):
    page, problems, _ = open_map(browser, maps[0]["en"])
    page.get_by_label("Emerging hot spots", exact=True).check()
    legend = page.locator('.katye-legend[data-layer="emerging"]')
    text = legend.inner_text()
    assert "Getis-Ord Gi* in each of" in text
    assert "ACLED weeks" in text
    assert "History: ▲ significant hot spot" in text
    assert legend.locator(".katye-swatch-stroke svg rect").count() + legend.locator(".katye-swatch-fill").count() >= 2
    assert problems == []
    page.close()


def test_a_corridor_segment_shows_its_card_and_a_hostile_road_name_stays_text(browser, tmp_path):
    import geopandas as gpd

    from katye.render.html import read_payload

    incidents = katye.read_incidents(katye.samples.path()).incidents.iloc[:300]
    # SYNTHETIC roads (not real streets): one through the first exactly located incident, one far away.
    spot = incidents[incidents["location_precision"] == "exact"].to_crs(32618).geometry.iloc[0]
    lines = [
        shapely.LineString([(spot.x - 400, spot.y), (spot.x + 400, spot.y)]),
        shapely.LineString([(spot.x - 400, spot.y + 3000), (spot.x + 400, spot.y + 3000)]),
    ]
    roads = gpd.GeoDataFrame({"osm_id": [1, 2], "name": [HOSTILE, "Synthetic road"]}, geometry=lines, crs=32618)
    corridors = katye.corridor_risk(incidents, roads.to_crs(4326), within_m=100)
    path = tmp_path / "corridors.html"
    katye.save_map(katye.make_map(incidents, roads=corridors, show=("corridors",)), path)
    layer = next(x for x in read_payload(path.read_text(encoding="utf-8"))["layers"] if x["key"] == "corridors")
    (lon0, lat0), (lon1, lat1) = next(f for f in layer["features"] if f["title"] == HOSTILE)["geometry"]["coordinates"]
    lat, lon = (lat0 + lat1) / 2, (lon0 + lon1) / 2
    page, problems, requests = open_map(browser, path)
    page.evaluate(f"() => map_katye0.setView([{lat}, {lon}], 16, {{animate: false}})")
    page.mouse.move(*screen_point(page, lat, lon))
    card = page.locator(".leaflet-tooltip .katye-card")
    card.wait_for(timeout=5000)
    assert card.locator(".katye-card-title").inner_text() == HOSTILE
    assert "Recency-weighted risk" in card.inner_text()
    assert page.evaluate("() => window.__pwned") is None
    assert "Risk along the roads" in page.locator('.katye-legend[data-layer="corridors"]').inner_text()
    assert problems == []
    assert requests == []
    page.close()
