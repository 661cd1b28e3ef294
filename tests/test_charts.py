"""Charts for reports and notebooks: the numbers drawn, the weeks, the words and the bytes."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

import katye
from katye.labels import LABELS
from katye.render import charts


@pytest.fixture(scope="module")
def sample():
    return katye.read_incidents(katye.samples.path()).incidents


def near_airport(sample, days: list[str], precision: str = "exact"):
    """Incidents on the airport's site point, on the given days, not marked synthetic."""
    site = katye.geodata.sites().set_index("site_id").loc["airport", "geometry"]
    rows = sample.iloc[: len(days)].copy()
    rows["event_date"] = pd.to_datetime(days)
    rows["geometry"] = [shapely.Point(site.x, site.y)] * len(days)
    rows["location_precision"] = precision
    return rows.drop(columns=["synthetic"])


def plotted(fig, line: int = 0) -> list[float]:
    return list(fig.axes[0].lines[line].get_ydata())


def test_weekly_counts_are_acled_weeks_saturday_to_friday(sample):
    # 2024-11-01 is a Friday: it closes the week of 2024-10-26; the Saturday after opens the next.
    days = ["2024-10-26", "2024-11-01", "2024-11-01", "2024-11-02", "2024-11-08", "2024-11-09"]
    fig = charts.weekly_near_sites(near_airport(sample, days), sites=("airport",))
    assert plotted(fig) == [3, 2, 1]
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[0] == "2024-10-26"


def test_events_known_only_to_a_commune_are_not_put_near_a_site(sample):
    days = ["2024-10-26", "2024-10-27"]
    exact = near_airport(sample, days)
    coarse = near_airport(sample, days, precision="commune")
    both = pd.concat([exact, coarse])
    both = katye.assign(both.set_crs(exact.crs, allow_override=True))
    fig = charts.weekly_near_sites(both, sites=("airport",))
    assert plotted(fig) == [2]


def test_synthetic_data_is_marked_on_every_chart_and_real_data_is_not(sample):
    spots = katye.emerging_hotspots(sample, period="month", seed=0)
    for fig in (
        charts.weekly_near_sites(sample),
        charts.risk_trend(sample),
        charts.monthly_small_multiples(sample, months=["2024-10", "2024-11"]),
        charts.emerging_map(spots, incidents=sample),
    ):
        title = (fig._suptitle.get_text() if fig._suptitle else "") + fig.axes[0].get_title()
        assert title.startswith("SYNTHETIC")
        assert any("SYNTHETIC data" in t.get_text() for t in fig.texts)
    real = charts.weekly_near_sites(near_airport(sample, ["2024-10-26"]), sites=("airport",))
    assert "SYNTHETIC" not in real.axes[0].get_title()


@pytest.mark.parametrize("lang", ["fr", "ht"])
def test_a_chart_in_french_or_creole_leaves_no_english_words(sample, lang):
    fig = charts.weekly_near_sites(sample, lang=lang)
    texts = [fig.axes[0].get_title(), fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()]
    texts += [t.get_text() for t in fig.texts]
    english = [LABELS["en"][key] for key in ("chart_week_axis", "chart_events_axis", "chart_exact_only")]
    shown = " ".join(texts)
    assert not [e for e in english if e in shown]
    assert LABELS[lang]["chart_week_axis"] in shown


def test_risk_trend_lines_are_the_risk_index_at_each_month_end(sample):
    fig = charts.risk_trend(sample, top=3)
    november = katye.risk(sample, as_of="2024-11-30").set_index("zone_id")["risk_index"]
    december = katye.risk(sample, as_of="2024-12-31").set_index("zone_id")["risk_index"]
    top = december.sort_values(ascending=False, kind="stable").index[:3]
    for line, zone_id in zip(fig.axes[0].lines, top, strict=True):
        values = line.get_ydata()
        assert values[-1] == pytest.approx(december[zone_id])
        assert values[-2] == pytest.approx(november[zone_id])


def test_small_multiples_refuse_months_outside_the_data(sample):
    with pytest.raises(katye.UsageError, match="2019-01"):
        charts.monthly_small_multiples(sample, months=["2019-01"])


def test_emerging_map_needs_the_result_of_emerging_hotspots():
    with pytest.raises(katye.UsageError, match="emerging_hotspots"):
        charts.emerging_map(katye.geodata.zones())


def test_the_same_chart_twice_is_the_same_bytes(tmp_path, sample):
    outputs = []
    for name in ("a.png", "b.png"):
        path = katye.render.save_static(charts.weekly_near_sites(sample), tmp_path / name, dpi=80)
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0][:4] == b"\x89PNG"


def test_every_line_colour_is_distinct():
    assert len(set(charts.LINE_COLORS)) == len(charts.LINE_COLORS)


def test_the_readme_chart_example_runs(tmp_path, monkeypatch):
    import re

    from conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    code = re.search(r"Charts for reports.*?```python\n(.*?)```", readme, re.S)
    assert code is not None
    monkeypatch.chdir(tmp_path)
    exec(compile(code.group(1), "README.md", "exec"), {})
    assert (tmp_path / "near-sites.png").read_bytes()[:4] == b"\x89PNG"


def test_no_exactly_located_incident_is_an_error_not_a_flat_chart(sample):
    coarse = sample[(sample.location_precision != "exact").to_numpy()]
    with pytest.raises(katye.UsageError, match="located exactly"):
        charts.weekly_near_sites(coarse)
    with pytest.raises(katye.UsageError, match="located exactly"):
        charts.risk_trend(coarse)
