"""The HTML map file: offline, deterministic, credited, safe; and the static image."""

from __future__ import annotations

import hashlib
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import katye
from katye.render.html import read_payload
from katye.testing import invoke, run_cli

HOSTILE = '<img src=x onerror="window.__pwned=1"> `${window.__pwned=2}` \\ </script><script>window.__pwned=3</script>'


@pytest.fixture(scope="module")
def sample():
    return katye.read_incidents(katye.samples.path()).incidents


def payload(html: str) -> dict:
    return read_payload(html)


def build(tmp_path, name="map.html", **kwargs):
    path = tmp_path / name
    katye.save_map(katye.make_map(**kwargs), path)
    return path.read_text(encoding="utf-8")


def test_same_inputs_same_bytes(tmp_path, sample):
    one = build(tmp_path, "a.html", incidents=sample, start="2024-10-01", end="2024-11-30")
    two = build(tmp_path, "b.html", incidents=sample, start="2024-10-01", end="2024-11-30")
    assert hashlib.sha256(one.encode()).digest() == hashlib.sha256(two.encode()).digest()
    assert not re.search(r"map_[0-9a-f]{32}", one)


def test_offline_no_cdn_and_everything_inlined(tmp_path, sample):
    html = build(tmp_path, incidents=sample)
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', html)
    assert "L.map(" in html
    assert "katyeDraw" in html
    assert ".leaflet-container" in html


def test_layers_title_credits_and_caveats(tmp_path, sample):
    data = payload(
        build(tmp_path, incidents=sample, control=katye.samples.path("control"), start="2024-10-01", end="2024-11-30")
    )
    assert [layer["key"] for layer in data["layers"]] == [
        "control",
        "risk",
        "incidents",
        "density",
        "hotspots",
        "sites",
        "boundaries",
        "names",
    ]
    assert data["subtitle"].startswith("2024-10-01 to 2024-11-30")
    credits = " ".join(data["credits"])
    for needed in ("CC BY-IGO 3.0", "Who's On First", "OurAirports", "SYNTHETIC data in ACLED's layout"):
        assert needed in credits
    caveats = " ".join(data["caveats"])
    assert "SYNTHETIC" in caveats
    assert "ILLUSTRATIVE" in caveats
    assert "approximate" in caveats.lower()
    months, weeks = data["periods"]
    assert months["labels"] == ["2024-10", "2024-11"]
    # ACLED's weeks run Saturday to Friday: 2024-09-28 (a Saturday) starts the week of 1 October.
    assert weeks["labels"][0] == "2024-09-28 – 2024-10-04"
    assert weeks["labels"][-1] == "2024-11-30 – 2024-12-06"
    contested = [f for f in data["layers"][0]["features"] if f.get("hatch")]
    assert contested, "contested zones are hatched"


def test_french_labels(tmp_path, sample):
    data = payload(build(tmp_path, incidents=sample, lang="fr"))
    # Synthetic data says so in the title too, in the map's language.
    assert data["title"] == "SYNTHÉTIQUE · Insécurité à Port-au-Prince"
    assert [layer["name"] for layer in data["layers"]][:3] == ["Contrôle", "Risque", "Incidents"]
    incidents = data["layers"][2]
    assert "Batailles" in incidents["incidents"]["types"]
    assert "Battles" not in incidents["incidents"]["types"]
    assert "Violence contre des civils" in [entry["label"] for entry in incidents["legend"]]
    english = payload(build(tmp_path, "en.html", incidents=sample))["layers"][2]
    # Same colour for the same type, whatever the language.
    assert (
        dict(zip(english["incidents"]["types"], english["incidents"]["colors"], strict=True))["Battles"]
        == dict(zip(incidents["incidents"]["types"], incidents["incidents"]["colors"], strict=True))["Batailles"]
    )


def test_french_figure_names_event_types_in_french(sample):
    figure = katye.render_static(sample, layer="control", lang="fr")
    legend = [t.get_text() for legend in figure.legends for t in legend.get_texts()]
    assert "Batailles" in legend
    assert "Battles" not in legend


def test_hostile_strings_are_data_not_markup(tmp_path, sample):
    hostile = sample.iloc[:20].copy()
    hostile["notes"] = HOSTILE
    hostile["actor1"] = HOSTILE
    html = build(tmp_path, incidents=hostile)
    assert "<img src=x" not in html
    assert "</script><script>window.__pwned" not in html
    data = payload(html)
    incidents = data["layers"][2]["incidents"]
    assert incidents["text"]["notes"][incidents["notes"][0]] == HOSTILE  # the text survives, escaped, for the popup


def test_repeated_notes_and_dates_travel_once_each(tmp_path, sample):
    frame = sample.iloc[:40].copy()
    frame["notes"] = [f"note {i}" for i in range(40)]
    spec = payload(build(tmp_path, incidents=frame))["layers"][2]["incidents"]
    assert spec["notes"] == list(frame["notes"])  # distinct notes: as they are
    assert "notes" not in spec["text"]
    days = [spec["text"]["dates"][code] for code in spec["dates"]]
    assert days == list(frame["event_date"].dt.strftime("%Y-%m-%d"))
    assert spec["text"]["dates"] == sorted(set(days))  # codes order as the dates do
    frame["notes"] = ["boilerplate"] * 39 + ["one of a kind"]
    spec = payload(build(tmp_path, incidents=frame))["layers"][2]["incidents"]
    assert [spec["text"]["notes"][code] for code in spec["notes"]] == list(frame["notes"])


def test_many_incidents_are_aggregated(tmp_path):
    frame = katye.samples.synthetic_acled(6000, seed=3)
    path = tmp_path / "big.csv"
    katye.samples.write_csv(frame, path)
    incidents = katye.read_incidents(path).incidents
    data = payload(build(tmp_path, incidents=incidents, max_points=5000))
    spec = data["layers"][2]["incidents"]
    assert spec["mode"] == "cells"
    drawn = katye.prepare(incidents).incidents  # all but those far beyond the zones (Pont-Sondé)
    assert sum(cell[2] for cell in spec["cells"]) == len(drawn) > 0.95 * len(incidents)


def test_map_without_incidents_draws_the_gazetteer(tmp_path):
    data = payload(build(tmp_path))
    assert [layer["key"] for layer in data["layers"]] == ["control", "sites", "boundaries", "names"]
    assert data["basemap"]


def test_the_sea_is_drawn_as_sea_and_the_rest_of_haiti_as_land(tmp_path):
    data = payload(build(tmp_path))
    assert data["sea"]
    assert len(data["basemap"]) == 2
    haiti, metro = data["basemap"]
    assert haiti["fill"] != data["sea"]
    assert metro["fill"] != haiti["fill"]
    assert "OpenStreetMap contributors (ODbL)" in " ".join(data["credits"])  # one place point is from OSM


def test_online_tiles_are_an_option(tmp_path):
    html = build(tmp_path, tiles="osm")
    assert "tile.openstreetmap.org" in html
    assert "OpenStreetMap contributors" in " ".join(payload(html)["credits"])
    with pytest.raises(katye.UsageError, match="tiles='google'"):
        katye.make_map(tiles="google")


def test_save_map_refuses_other_extensions(tmp_path):
    with pytest.raises(katye.UsageError, match=r"\.html"):
        katye.save_map(katye.make_map(), tmp_path / "map.png")


@pytest.mark.parametrize("suffix", [".png", ".pdf", ".svg"])
def test_static_map_same_bytes_twice(tmp_path, sample, suffix):
    kwargs = {"control": katye.samples.path("control"), "start": "2024-10-01", "end": "2024-11-30"}
    katye.render_static(sample, path=tmp_path / f"a{suffix}", **kwargs)
    katye.render_static(sample, path=tmp_path / f"b{suffix}", **kwargs)
    assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()
    assert (tmp_path / f"a{suffix}").stat().st_size > 10_000


def test_static_map_carries_title_legend_and_credits(sample):
    figure = katye.render_static(sample, layer="risk", as_of="2024-11-30", lang="fr")
    texts = " ".join(t.get_text() for t in figure.texts)
    assert figure._suptitle.get_text() == "SYNTHÉTIQUE · Insécurité à Port-au-Prince"
    assert "Risque" in texts
    assert "CC BY-IGO 3.0" in texts
    assert "SYNTHÉTIQUES" in texts
    legend = " ".join(t.get_text() for t in figure.legends[0].get_texts())
    assert "très élevé" in legend


def test_user_zones_with_hostile_names(tmp_path, sample):
    zones = katye.geodata.zones()[["zone_id", "name", "geometry"]].copy()
    zones.loc[0, "name"] = HOSTILE
    path = tmp_path / "zones.geojson"
    zones.to_file(path)
    areas = katye.geodata.read_areas(path, id_column="zone_id", name_column="name")
    html = build(tmp_path, incidents=sample, zones=areas)
    assert "<img src=x" not in html
    assert payload(html)["layers"][0]["features"][0]["title"] == HOSTILE


def test_cli_map_writes_html_and_png(tmp_path):
    html, png = tmp_path / "m.html", tmp_path / "m.png"
    result = run_cli("map", "-o", str(html), "--png", str(png), "--since", "2024-11-01", "--until", "2024-11-30")
    assert result.returncode == 0, result.stderr
    assert "SYNTHETIC" in result.stderr
    assert "ILLUSTRATIVE" in result.stderr
    assert payload(html.read_text(encoding="utf-8"))["periods"][0]["labels"] == ["2024-11"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_one_map_command_analyses_once(tmp_path, monkeypatch):
    import katye.mapdata as mapdata

    calls = {name: 0 for name in ("assign", "risk", "infer_control", "density", "hotspots")}
    for name in calls:
        original = getattr(mapdata, name) if name != "assign" else mapdata.assigned

        def counted(*args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(mapdata, name if name != "assign" else "assigned", counted)
    result = invoke(
        "map",
        "-o",
        str(tmp_path / "m.html"),
        "--png",
        str(tmp_path / "m.png"),
        "--pdf",
        str(tmp_path / "m.pdf"),
        standalone_mode=False,
    )
    assert result.exception is None, result.output
    assert calls == {"assign": 1, "risk": 1, "infer_control": 1, "density": 1, "hotspots": 1}


def test_prepared_map_data_draws_the_same_map(tmp_path, sample):
    kwargs = {"start": "2024-11-01", "end": "2024-11-30"}
    direct = katye.make_map(sample, **kwargs).render_html()
    data = katye.prepare(sample, **kwargs)
    assert isinstance(data, katye.MapData)
    assert data.density is not None
    assert data.hotspots is not None
    assert katye.make_map(data).render_html() == direct


def test_event_types_keep_their_colour_from_map_to_map(tmp_path, sample):
    whole = payload(build(tmp_path, "a.html", incidents=sample))
    protests = sample[sample["event_type"].isin(["Protests", "Battles"])]
    part = payload(build(tmp_path, "b.html", incidents=protests))

    def colours(data):
        spec = next(layer for layer in data["layers"] if layer["key"] == "incidents")["incidents"]
        return dict(zip(spec["types"], spec["colors"], strict=True))

    assert colours(part)["Protests"] == colours(whole)["Protests"]
    assert colours(part)["Battles"] == colours(whole)["Battles"]


def test_density_leaves_out_events_known_only_to_a_commune(sample):
    data = katye.prepare(sample)
    placed = data.incidents["location_precision"].isin(["exact", "near"]).sum()
    assert round(data.density.mass()) == placed < len(data.incidents)


def test_no_incident_located_exactly_means_no_hot_spot_and_no_warning(sample, recwarn):
    unknown = sample.assign(location_precision="unknown")
    data = katye.prepare(unknown)
    assert set(data.hotspots["hotspot"]) == {"not significant"}
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_zone_tooltips_say_how_approximate_the_outline_is(tmp_path):
    data = payload(build(tmp_path))
    control = next(layer for layer in data["layers"] if layer["key"] == "control")
    rows = {f["title"]: dict(f["rows"]) for f in control["features"]}
    assert rows["Solino"]["Zone outline"].startswith("APPROXIMATE")  # a point good to 750 m
    assert rows["Simon Pelé"]["Zone outline"].startswith("official section, or a cell")


def test_a_static_figure_does_not_compute_density_or_hot_spots(sample):
    data = katye.prepare(sample, start="2024-11-01", end="2024-11-30")
    katye.render_static(data, layer="risk")
    assert "density" not in vars(data)
    assert "hotspots" not in vars(data)  # cached only once asked for


def test_an_empty_density_says_so_instead_of_a_scale_of_zeros(tmp_path, sample):
    data = payload(build(tmp_path, incidents=sample.assign(location_precision="unknown")))
    density = next(layer for layer in data["layers"] if layer["key"] == "density")
    assert [item["label"] for item in density["legend"]] == ["no incident located at or near its place"]


def test_a_nationwide_file_maps_only_what_lies_near_the_zones(sample):
    far = sample.iloc[:40].copy()
    far["event_id"] = far["event_id"].astype(str) + "-cap"
    far["geometry"] = gpd.GeoSeries.from_xy([-72.2] * 40, [19.76] * 40, crs="EPSG:4326").values  # Cap-Haïtien
    nationwide = pd.concat([sample, far], ignore_index=True)
    data = katye.prepare(nationwide, lang="fr")
    local = katye.prepare(sample, lang="fr")
    assert len(data.incidents) == len(local.incidents)
    beyond = len(sample) - len(local.incidents)  # the sample's own events in the Artibonite
    assert f"{40 + beyond} incidents situés à plus de 5 km de l'emprise des zones ne sont pas représentés." in (
        data.caveats
    )
    # The density grid covers the metro area, not the whole country between the two.
    assert data.density.values.shape == local.density.values.shape
    assert data.scored["risk_index"].tolist() == local.scored["risk_index"].tolist()


def test_risk_class_ranges_are_written_as_a_reader_writes_numbers():
    from katye.scoring import range_text

    assert range_text((50.9, 1000.0)) == "50.9–1,000"
    assert range_text((1100.0, 3120.4)) == "1,100–3,120"
    assert range_text((0.25, 0.5)) == "0.25–0.5"


def test_aggregated_squares_have_their_own_legend(tmp_path):
    frame = katye.samples.synthetic_acled(6000, seed=3)
    path = tmp_path / "big.csv"
    katye.samples.write_csv(frame, path)
    incidents = katye.read_incidents(path).incidents
    layer = payload(build(tmp_path, incidents=incidents, max_points=5000, lang="fr"))["layers"][2]
    assert layer["incidents"]["mode"] == "cells"
    assert [entry["label"] for entry in layer["legend"]] == [
        "Incidents par carré d'environ 110 m, tous types et précisions confondus (plus foncé : plus nombreux) ; "
        "cliquer un carré pour ses comptes par type"
    ]
    points = payload(build(tmp_path, "p.html", incidents=incidents.iloc[:500]))["layers"][2]
    assert points["incidents"]["mode"] == "points"
    assert len(points["legend"]) > 2


@pytest.mark.parametrize("layer", ["control", "risk"])
def test_static_legend_stays_inside_the_page(sample, layer):
    figure = katye.render_static(sample, layer=layer)
    figure.canvas.draw()
    page = figure.bbox
    assert figure.legends
    for legend in figure.legends:
        box = legend.get_window_extent()
        assert page.x0 <= box.x0
        assert box.x1 <= page.x1
        assert page.y0 <= box.y0
        assert box.y1 <= page.y1


def test_left_out_count_is_for_the_maps_period(sample):
    far = sample.iloc[:40].copy()
    far["event_id"] = far["event_id"].astype(str) + "-cap"
    far["geometry"] = gpd.GeoSeries.from_xy([-72.2] * 40, [19.76] * 40, crs="EPSG:4326").values
    far["event_date"] = pd.Timestamp("2024-06-15")
    nationwide = pd.concat([sample, far], ignore_index=True)
    november = {"start": "2024-11-01", "end": "2024-11-30"}
    assert katye.prepare(nationwide, **november).beyond == katye.prepare(sample, **november).beyond
    assert katye.prepare(nationwide).beyond == katye.prepare(sample).beyond + 40


def test_static_figure_says_synthetic_inside_the_map_frame(sample):
    figure = katye.render_static(sample, layer="control", lang="fr")
    figure.canvas.draw()
    (ax,) = [a for a in figure.axes if a.texts]
    marks = [t for t in ax.texts if "DONNÉES SYNTHÉTIQUES" in t.get_text()]
    # The banner at the top, and the diagonal watermark across the map.
    assert sorted(t.get_gid() or "banner" for t in marks) == ["banner", "watermark"]
    frame = ax.get_window_extent()
    for mark in marks:
        box = mark.get_window_extent()
        assert frame.x0 <= box.x0
        assert box.x1 <= frame.x1
        assert frame.y0 <= box.y0
        assert box.y1 <= frame.y1
    (watermark,) = [t for t in marks if t.get_gid() == "watermark"]
    assert watermark.get_rotation() == 30
    assert watermark.get_fontsize() >= 20


def test_static_figure_names_the_communes_in_view_with_a_halo(sample):
    figure = katye.render_static(sample, layer="risk", lang="fr")
    figure.canvas.draw()
    (ax,) = [a for a in figure.axes if a.texts]
    named = {t.get_text(): t for t in ax.texts if t.get_gid() == "commune-name"}  # zones may share a name
    for commune in ("Port-au-Prince", "Delmas", "Pétion-Ville", "Cité Soleil", "Tabarre", "Carrefour"):
        label = named[commune]
        # A light box keeps it readable, not a stroke effect (which would turn the text into outlines).
        assert label.get_bbox_patch() is not None, commune
        assert not label.get_path_effects(), commune
        box, frame = label.get_window_extent(), ax.get_window_extent()
        assert frame.x0 <= box.x0, commune
        assert box.x1 <= frame.x1, commune
        assert frame.y0 <= box.y0, commune
        assert box.y1 <= frame.y1, commune


def test_french_maps_write_dates_and_numbers_as_french_reports_do(sample):
    data = katye.prepare(sample, lang="fr", start="2024-11-01", end="2024-11-30")
    assert data.subtitle == "du 1er novembre 2024 au 30 novembre 2024 · Situation au 30 novembre 2024"
    caveat = next(c for c in data.caveats if "approximativement" in c)
    count = caveat.split(" incidents")[0]
    assert "," not in count
    assert len(count) < 5 or "\u202f" in count
    assert katye.prepare(sample, start="2024-11-01", end="2024-11-30").subtitle.startswith("2024-11-01 to")


def test_number_text_groups_thousands_per_language():
    from katye.labels import labels, number_text

    assert number_text(1843, labels("en")) == "1,843"
    assert number_text(1843, labels("fr")) == "1\u202f843"
    assert number_text(1234567.4, labels("fr")) == "1\u202f234\u202f567"


def test_french_figure_puts_a_space_before_the_colon(sample):
    figure = katye.render_static(sample, layer="control", lang="fr")
    assert any(t.get_text().startswith("Sources\u202f: ") for t in figure.texts)


def test_static_map_writes_the_count_of_a_stack_in_its_symbol(sample):
    import shapely

    stacked = sample[sample["location_precision"].astype(str) == "exact"].head(38).copy()
    stacked["geometry"] = [shapely.Point(-72.30, 18.55)] * 37 + [shapely.Point(-72.26, 18.53)]
    figure = katye.render_static(stacked)
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert "37" in texts
    assert "1" not in texts  # a lone event is a plain dot
    legend = [t.get_text() for legend in figure.legends for t in legend.get_texts()]
    assert any("37 events at one place" in t for t in legend)  # the size key reaches the largest stack


def test_cli_writes_one_static_page_per_month_on_the_chosen_paper(tmp_path):
    result = run_cli(
        "map", "-o", str(tmp_path / "m.html"), "--png", str(tmp_path / "m.png"), "--by", "month",
        "--since", "2024-10-15", "--until", "2024-11-30", "--paper", "a4", "--orientation", "portrait", "--dpi", "60",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("m-*.png")) == ["m-2024-10.png", "m-2024-11.png"]
    assert not (tmp_path / "m.png").exists()
    from PIL import Image

    with Image.open(tmp_path / "m-2024-10.png") as page:
        width, height = page.size
    assert height > width  # portrait
    assert abs(width / 60 - 210 / 25.4) < 0.05  # A4 at 60 dpi


def test_cli_writes_one_page_per_acled_week_named_by_its_saturday(tmp_path):
    result = run_cli(
        "map", "-o", str(tmp_path / "m.html"), "--pdf", str(tmp_path / "m.pdf"), "--by", "week",
        "--since", "2024-11-04", "--until", "2024-11-16",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # Monday 4 November is in the week that began on Saturday 2 November; 16 November is that week's Saturday.
    names = sorted(p.name for p in tmp_path.glob("m-week-*.pdf"))
    assert names == ["m-week-2024-11-02.pdf", "m-week-2024-11-09.pdf", "m-week-2024-11-16.pdf"]


def test_a_weeks_page_is_titled_with_the_days_it_shows(sample):
    data = katye.prepare(sample, start="2024-11-04", end="2024-11-16")
    assert data.period_subtitle("week", "2024-11-02").startswith("Week of 2024-11-04 to 2024-11-08 only")
    assert data.period_subtitle("week", "2024-11-09").startswith("Week of 2024-11-09 to 2024-11-15 only")
    assert data.period_subtitle("week", "2024-11-16").startswith("Week of 2024-11-16 to 2024-11-16 only")
    french = katye.prepare(sample, start="2024-11-04", end="2024-11-16", lang="fr")
    assert french.period_subtitle("week", "2024-11-09").startswith("Semaine du 9 novembre 2024 au 15 novembre 2024")


def test_each_periods_caveats_count_that_periods_events(sample):
    data = katye.prepare(sample, start="2024-10-01", end="2024-12-31")
    november = data.caveats_between(pd.Timestamp("2024-11-01"), pd.Timestamp("2024-11-30"))
    shown = data.incidents[data.incidents["event_date"].between("2024-11-01", "2024-11-30")]
    coarse = int((shown["assignment"] == "coarse").sum())
    assert any(c.startswith(f"{coarse} incidents are located only approximately") for c in november)
    assert november != data.caveats
    # One coarse event among exact ones: the sentence is singular.
    kinds = shown["assignment"].astype(str)
    few = pd.concat([shown[kinds == "coarse"].head(1), shown[kinds == "exact"].head(3)])
    lone = [c for c in katye.prepare(few).caveats if "located only approximately" in c]
    assert lone[0].startswith("1 incident is located only approximately")


def test_cli_by_month_needs_a_static_output(tmp_path):
    result = run_cli("map", "-o", str(tmp_path / "m.html"), "--by", "month")
    assert result.returncode == 1  # a usage error (README: 1 usage, 2 bad input)
    assert "--png, --pdf or --svg" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_credits_acled_with_the_access_date_given(tmp_path):
    real = katye.read_incidents(katye.samples.path()).incidents.drop(columns="synthetic").head(50)
    csv = tmp_path / "real.csv"
    real.drop(columns="geometry").assign(
        latitude=real.geometry.y, longitude=real.geometry.x, event_date=real["event_date"].dt.strftime("%Y-%m-%d")
    ).to_csv(csv, index=False)
    result = run_cli("map", str(csv), "-o", str(tmp_path / "m.html"), "--acled-accessed", "2025-02-03")
    assert result.returncode == 0, result.stderr
    credits = payload((tmp_path / "m.html").read_text(encoding="utf-8"))["credits"]
    assert "Incidents: ACLED, accessed 2025-02-03; acleddata.com" in credits


def test_a_map_in_a_notebook_carries_a_png_for_exports(sample):
    import base64
    import io

    from PIL import Image

    m = katye.make_map(sample.head(200))
    bundle = m._repr_mimebundle_()
    assert "<iframe" in bundle["text/html"]
    with Image.open(io.BytesIO(base64.b64decode(bundle["image/png"]))) as picture:
        assert picture.format == "PNG"
        width, height = picture.size
    assert width > height  # the A4 landscape page


def test_a_large_map_travels_compressed_and_decodes_to_the_same_data(tmp_path, sample):
    import base64
    import gzip

    from katye.render.html import COMPRESS_OVER, encode_payload

    html = build(tmp_path, incidents=sample)
    block = re.search(r'id="katye-data" data-encoding="gzip-base64">(.*?)</script>', html, re.S)
    assert block is not None
    assert re.fullmatch(r"[A-Za-z0-9+/=]+", block.group(1))  # nothing in it can close the script element
    data = payload(html)
    assert len(json.dumps(data)) > COMPRESS_OVER
    assert len(block.group(1)) < len(json.dumps(data)) / 3
    assert encode_payload(data) == encode_payload(data)  # no time in the gzip header: same bytes
    header = base64.b64decode(block.group(1))[:10]
    assert header[4:8] == b"\x00\x00\x00\x00"  # gzip's MTIME field is zero
    assert gzip.decompress(base64.b64decode(block.group(1)))


def test_a_small_payload_stays_readable_json():
    from katye.render.html import encode_payload

    assert encode_payload({"title": "</script>"}) == ("json", '{"title":"\\u003c/script\\u003e"}')


def test_popups_carry_the_sub_event_type_in_the_maps_language(tmp_path, sample):
    data = payload(build(tmp_path, incidents=sample.head(300), lang="fr"))
    incidents = next(layer for layer in data["layers"] if layer["key"] == "incidents")["incidents"]
    assert "Affrontement armé" in incidents["text"]["sub_types"]
    assert "Armed clash" not in incidents["text"]["sub_types"]
    assert data["labels"]["sub_type"] == "Sous-type d'événement"


def test_lone_events_sized_by_deaths_have_a_size_key_on_every_output(tmp_path, sample):
    lone = sample[sample["location_precision"].astype(str) == "exact"].head(30).copy()
    # Thirty events, each on its own point, one with 12 deaths and one with 1.
    lone["geometry"] = gpd.GeoSeries.from_xy(
        [-72.34 + 0.004 * i for i in range(30)], [18.54] * 30, crs="EPSG:4326"
    ).values
    lone["fatalities"] = [12, 1] + [0] * 28
    data = payload(build(tmp_path, incidents=lone))
    (layer,) = [layer for layer in data["layers"] if layer["key"] == "incidents"]
    keys = {item["label"]: item["radius"] for item in layer["legend"] if item["shape"] == "size"}
    assert keys == {"one event, 1 death": 5.0, "one event, 10 deaths": 9.3, "one event, 12 deaths": 9.9}
    figure = katye.render_static(lone, lang="fr")
    texts = [t.get_text() for legend in figure.legends for t in legend.get_texts()]
    assert "un événement, 1 mort" in texts
    assert "un événement, 12 morts" in texts


@pytest.mark.parametrize("kind", ["month", "week"])
def test_period_caveats_counted_at_once_equal_each_periods_own(sample, kind):
    from katye.dates import periods_between

    data = katye.prepare(sample, start="2024-09-05", end="2024-12-20")
    periods = periods_between(data.start, data.end, kind)
    at_once = data.period_caveats(kind, [key for key, *_ in periods])
    assert at_once == [data.caveats_between(first, last) for _, first, last in periods]


def test_largest_stack_and_toll_per_period_match_a_plain_count():
    from katye.render.html import _largest

    rng = np.random.default_rng(3)
    n = 400
    spec = {
        "lon": rng.integers(0, 6, n).tolist(),
        "lat": rng.integers(0, 6, n).tolist(),
        "coarse": rng.integers(0, 2, n).tolist(),
        "fatalities": rng.integers(0, 30, n).tolist(),
        "week": rng.integers(0, 9, n).tolist(),
    }
    for period, (stack, toll) in enumerate(_largest(spec, "week", 9)):
        rows = [i for i in range(n) if spec["week"][i] == period]
        places = [(spec["lon"][i], spec["lat"][i]) for i in rows]
        counts = {p: places.count(p) for p in places}
        assert stack == max(counts.values(), default=0)
        lone = [spec["fatalities"][i] for i, p in zip(rows, places, strict=True) if counts[p] == 1]
        assert toll == max(lone, default=0)


def test_exact_and_approximate_events_on_one_point_are_one_symbol_with_one_count(sample):
    import shapely

    exact = sample[sample["location_precision"].astype(str) == "exact"].head(7)
    coarse = sample[sample["location_precision"].astype(str) == "commune"].head(5)
    both = pd.concat([exact, coarse]).copy()
    both["geometry"] = [shapely.Point(-72.30, 18.55)] * 12
    figure = katye.render_static(both)
    counts = [t.get_text() for t in figure.axes[0].texts if t.get_gid() == "count"]
    assert counts == ["12"]


def test_site_notes_in_english_are_left_off_french_and_creole_maps(tmp_path, sample):
    def site_rows(lang: str) -> list[str]:
        data = payload(build(tmp_path, name=f"{lang}.html", incidents=sample.head(20), lang=lang))
        (layer,) = [layer for layer in data["layers"] if layer["key"] == "sites"]
        return [row[0] for site in layer["sites"] for row in site["rows"]]

    assert "Note" in site_rows("en")
    assert not {"Note", "Remarque", "Nòt"} & set(site_rows("fr") + site_rows("ht"))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-74.5, -71.5, allow_nan=False), st.floats(17.9, 20.1, allow_nan=False)),
        min_size=3,
        max_size=30,
    ),
    st.sampled_from([4, 5, 6]),
)
def test_geometry_coordinates_are_rounded_as_python_rounds(points, digits):
    from katye.render.html import _geometry

    line = shapely.LineString(points)
    coordinates = _geometry(line, digits)["coordinates"]
    flat = [v for point in coordinates for v in point]
    assert flat == [round(v, digits) for v in flat]  # already on the decimal grid: no pass in Python needed


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(["Riots", "Battles", "Protests", "b", "B", "é"]), st.none()), max_size=30),
    st.sampled_from(["object", "category", "str"]),
)
def test_type_codes_sort_texts_as_python_does_whatever_the_dtype(values, dtype):
    from katye.render.html import _sorted_codes

    series = pd.Series(values, dtype=dtype)
    codes, names = _sorted_codes(series)
    texts = ["" if v is None else str(v) for v in values]  # the texts the page shows, "" for a missing one
    assert names == sorted(set(texts))
    assert [names[c] for c in codes] == texts


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(2**31), 2**31 - 1), max_size=40))
def test_integer_columns_travel_packed_in_the_narrowest_width_and_come_back_whole(values):
    from katye.render.html import PACKED, _packed_array, _unpacked

    array = np.array(values, dtype=np.int64)
    packed = _packed_array(array)
    ((width, _),) = packed.items()
    assert width in PACKED
    if values and min(values) >= -128 and max(values) <= 127:
        assert width == "i8"
    assert _unpacked(packed) == values


def test_packed_columns_refuse_what_int32_cannot_hold():
    from katye.render.html import _packed_array

    with pytest.raises(ValueError, match="32-bit"):
        _packed_array(np.array([2**31]))


def _emerging(zones, categories):
    """An emerging_hotspots-shaped result: one category per zone, a short history."""
    frame = zones[["zone_id", "name", "geometry"]].copy()
    frame["category"] = categories
    frame["history"] = "HH.C.H"
    frame["hot_slices"], frame["cold_slices"], frame["slices"] = 3, 1, 6
    frame["trend_z"], frame["trend_p"] = 1.5, 0.13
    frame.attrs["katye_method"] = {"period": "week", "slices": ["2024-10-05", "2024-11-09"]}
    return frame


def test_the_emerging_layer_lists_only_the_categories_drawn_in_a_fixed_order(tmp_path, sample):
    zones = katye.geodata.zones()
    pool = ["sporadic cold spot", "new hot spot", "persistent hot spot", "no pattern detected"]
    categories = [pool[i % len(pool)] for i in range(len(zones))]
    data = payload(build(tmp_path, incidents=sample.iloc[:50], emerging=_emerging(zones, categories)))
    layer = next(layer for layer in data["layers"] if layer["key"] == "emerging")
    rows = [item for item in layer["legend"] if not item.get("note")]
    assert [item["label"] for item in rows] == [
        "new hot spot",
        "persistent hot spot",
        "sporadic cold spot",
        "no pattern detected (outline only)",
    ]
    assert [item["shape"] for item in rows] == ["stroke", "fill", "stroke", "stroke"]
    notes = [item["label"] for item in layer["legend"] if item.get("note")]
    assert notes[0].startswith("Getis-Ord Gi* in each of 2 ACLED weeks, 2024-10-05 to 2024-11-15")
    feature = layer["features"][0]
    assert ["History", "▲▲·▼·▲"] in feature["rows"]


def test_emerging_zone_names_are_data_not_markup(tmp_path, sample):
    zones = katye.geodata.zones().copy()
    zones.loc[zones.index[0], "name"] = HOSTILE
    html = build(tmp_path, zones=zones, incidents=sample.iloc[:20], emerging=_emerging(zones, "new hot spot"))
    assert "<img src=x" not in html
    layer = next(layer for layer in payload(html)["layers"] if layer["key"] == "emerging")
    assert layer["features"][0]["title"] == HOSTILE


def test_emerging_must_be_the_result_of_emerging_hotspots(tmp_path, sample):
    with pytest.raises(katye.UsageError, match="emerging_hotspots"):
        katye.make_map(sample.iloc[:20], emerging=katye.geodata.zones())


def test_a_map_without_emerging_has_no_such_layer(tmp_path, sample):
    data = payload(build(tmp_path, incidents=sample.iloc[:20]))
    assert "emerging" not in [layer["key"] for layer in data["layers"]]


def test_the_command_adds_emerging_hot_spots_and_opens_that_layer(tmp_path):
    html = tmp_path / "m.html"
    result = invoke("map", "-o", str(html), "--emerging", "month")
    assert result.exit_code == 0, result.output
    layers = {layer["key"]: layer for layer in payload(html.read_text(encoding="utf-8"))["layers"]}
    assert layers["emerging"]["show"]
    assert not layers["control"]["show"]  # two zone fills would mix
    assert "12 months" in layers["emerging"]["legend"][0]["label"]


def test_too_few_slices_for_a_trend_is_an_error_without_a_traceback(tmp_path):
    result = run_cli(
        "map", "-o", str(tmp_path / "m.html"), "--emerging", "month", "--since", "2024-10-01", "--until", "2024-12-31"
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "need at least 5" in result.stderr


def test_emerging_hot_spots_of_other_zones_are_refused(sample):
    zones = katye.geodata.zones()
    other = _emerging(zones.iloc[:40], "new hot spot")
    with pytest.raises(katye.UsageError, match="zones are not the map's"):
        katye.make_map(sample.iloc[:20], emerging=other)


def test_incidents_outside_every_period_do_not_break_the_size_keys():
    from katye.render.html import _largest

    spec = {"lon": [0, 0, 5], "lat": [0, 0, 5], "month": [0, -1, 1], "fatalities": [2, 9, 4]}
    assert _largest(spec, "month", 2) == [(1, 2), (1, 4)]


@pytest.mark.parametrize(
    ("ids", "packed"),
    [
        (["HTI12345", "HTI9", "HTI40001"], True),  # ACLED's: a country code and a number
        (["HTI-SYN-0000017", "HTI-SYN-0001023"], True),  # zero-padded to one width
        (["17", "2", "300"], True),  # numbers only
        (["HTI007", "HTI12"], False),  # padded, but not to one width: written out
        (["HTI1", "DOM2"], False),  # two prefixes
        (["HTI1", "HTI2x"], False),
        (["HTI1234567890", "HTI1"], False),  # beyond int32
        (["a", "b"], False),
        (["HTI1", ""], False),
        (["HTI1", "HTI\u0661\u0662"], False),  # Arabic-Indic digits: not a number a cast reads
        (["1", "\uff12"], False),  # a full-width digit
        (["A1", "A\u00b2"], False),  # a superscript two
    ],
)
def test_event_ids_come_back_exactly_whether_or_not_they_travel_as_numbers(ids, packed):
    from katye.render.html import _event_ids, _packed_array, _unpacked

    coded = _event_ids(pd.Series(ids))
    assert ("id_number" in coded) == packed
    if packed:
        numbers = _unpacked(_packed_array(coded["id_number"]))
        width = coded["id_width"]
        assert [f"{coded['id_prefix']}{n:0{width}d}" for n in numbers] == ids
    else:
        assert coded["ids"] == ids


def test_a_missing_event_id_shows_as_no_id():
    from katye.render.html import _event_ids

    assert _event_ids(pd.Series(["HTI1", None], dtype="str")) == {"ids": ["HTI1", ""]}
    assert _event_ids(pd.Series([], dtype="str")) == {"ids": []}
