"""Truth on real ACLED exports: location precision, actors and control, risk that area cannot decide."""

from __future__ import annotations

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
from katye.incidents import actors as actor_table
from katye.incidents.precision import LEVELS, admin_level, admin_levels, decide, name_key, name_keys
from katye.render.html import read_payload
from katye.samples import real_layout, synthetic_acled, write_csv
from katye.testing import run_cli

REPO_README = katye.geodata.data_dir().parent / "README.md"


def real_export(tmp_path, n: int = 600):
    """A synthetic file laid out like a real 2024-25 export: no event_id_cnty, no geo_precision,
    ACLED's population columns, a fifth of the events on commune centres with bare commune names."""
    frame = real_layout(synthetic_acled(n, seed=11), seed=3, commune_share=0.2)
    return write_csv(frame, tmp_path / "acled_real_layout.csv"), frame


# --- location precision -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("Port-au-Prince", "commune"),
        ("Petionville", "commune"),
        ("Pétion-Ville", "commune"),
        ("Petion Ville", "commune"),
        ("Commune de Pétion-Ville", "commune"),
        ("Cite Soleil", "commune"),
        ("Cité Soleil", "commune"),
        ("Site Solèy", "commune"),
        ("Croix des Bouquets", "commune"),
        ("CROIX-DES-BOUQUETS", "commune"),
        ("Tabarre", "commune"),
        ("Kafou", "commune"),
        ("1ère Section Turgeau", "commune"),
        ("1re section Turgeau", "commune"),
        ("Ouest", "region"),
        ("Département de l'Ouest", "region"),
        ("Haiti", "region"),
        ("Ouest - Delmas", "commune"),
        ("Port-au-Prince - Solino", None),
        ("Delmas 33", None),
        ("Martissant", None),
        ("Carrefour-Feuilles", None),
        ("Croix-des-Bouquets - Canaan", None),
        ("", None),
    ],
)
def test_administrative_names_in_acled_spellings(text, level):
    assert admin_level(text) == level


def test_name_keys_ignore_accents_hyphens_and_commune_de():
    assert name_key("Commune de Pétion-Ville") == name_key("petionville") == name_key("Petion Ville")


def test_real_layout_export_without_geo_precision(tmp_path):
    path, _frame = real_export(tmp_path)
    incidents, _rejected, report = katye.read_incidents(path)
    assert report.balanced
    assert report.layout.startswith("ACLED export")
    bare = incidents["location"].map(admin_level).notna()
    assert bare.sum() >= 100
    # Every bare-commune event is located only to a commune; none is exact, and the rest is unknown.
    assert set(incidents.loc[bare, "location_precision"]) == {"commune"}
    assert set(incidents.loc[bare, "precision_basis"]) == {"admin_name"}
    assert "exact" not in set(incidents["location_precision"])
    assert set(incidents.loc[~bare, "location_precision"]) <= {"unknown", "commune"}
    assert report.precision_rules["admin_name"] == int(bare.sum())
    assert report.location_precision["commune"] >= int(bare.sum())
    assert any("no geo_precision column" in w for w in report.warnings)
    assert any("names only a commune" in w and "Cite Soleil" in w for w in report.warnings)
    assert report.precision_rules["commune_centre"] > 0
    assert "without event_id_cnty, geo_precision" in report.layout
    # Population columns ride along untouched.
    assert {"population_1km", "population_best"} <= set(incidents.columns)


def test_real_layout_popups_never_say_exact(tmp_path):
    path, _ = real_export(tmp_path, n=300)
    incidents = katye.read_incidents(path).incidents
    html = katye.make_map(incidents).render_html()
    payload = read_payload(html)
    spec = next(layer for layer in payload["layers"] if layer["key"] == "incidents")["incidents"]
    shown = {spec["precision_labels"][i] for i in spec["precision"]}
    assert shown <= {"commune only", "unknown (not given in the file)"}
    assert "exact" not in shown
    caveat = " ".join(payload["caveats"])
    assert "located only to a commune" in caveat
    assert "of unknown precision" in caveat


def test_admin_name_overrides_geo_precision_and_as_coded_switches_rules_off():
    location = pd.Series(["Delmas", "Delmas - Delmas 33", "Ouest"])
    coded = np.array([1.0, 1.0, 3.0])
    xy = np.array([-72.3, -72.31, -72.32]), np.array([18.5, 18.51, 18.52])
    ruled = decide(location, coded, *xy)
    assert list(ruled.precision) == ["commune", "exact", "region"]
    assert list(ruled.basis) == ["admin_name", "geo_precision", "admin_name"]
    assert ruled.changed["admin_name"] == 2
    as_coded = decide(location, coded, *xy, rules=False)
    assert list(as_coded.precision) == ["exact", "exact", "commune"]
    assert as_coded.changed == {}


def test_a_commune_centre_marks_the_other_events_on_it():
    centre, elsewhere = (-72.3388, 18.5392), (-72.30, 18.55)
    location = pd.Series(["Port-au-Prince"] * 3 + ["Port-au-Prince - Bel Air", "Port-au-Prince - Solino"])
    lon = np.array([centre[0]] * 4 + [elsewhere[0]])
    lat = np.array([centre[1]] * 4 + [elsewhere[1]])
    result = decide(location, np.array([1.0] * 5), lon, lat)
    assert list(result.precision) == ["commune"] * 4 + ["exact"]
    assert result.basis[3] == "commune_centre"
    assert result.changed["commune_centre"] == 1
    # Two bare names on a point are not yet a commune centre.
    fewer = decide(location.iloc[1:], np.array([1.0] * 4), lon[1:], lat[1:])
    assert fewer.precision[2] == "exact"


def test_default_precision_is_the_users_to_declare(tmp_path):
    path = tmp_path / "own.csv"
    path.write_text(
        "id,date,lat,lon,place\n1,2024-10-01,18.54,-72.33,Bel Air\n2,2024-10-01,18.51,-72.28,Petionville\n",
        encoding="utf-8",
    )
    unknown = katye.read_incidents(path).incidents
    assert list(unknown["location_precision"]) == ["unknown", "commune"]
    declared = katye.read_incidents(path, default_precision="exact").incidents
    assert list(declared["location_precision"]) == ["exact", "commune"]
    assert list(declared["precision_basis"]) == ["declared", "admin_name"]
    with pytest.raises(katye.UsageError, match="precision="):
        katye.read_incidents(path, precision="trust-me")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Delmas", "Port-au-Prince - Solino", "Ouest", "Thor", ""]),
            st.sampled_from([1.0, 2.0, 3.0, np.nan]),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_rules_only_ever_make_a_known_precision_coarser(rows):
    location = pd.Series([r[0] for r in rows])
    coded = np.array([r[1] for r in rows])
    lon = -72.3 + np.array([r[2] for r in rows]) * 0.01
    lat = np.full(len(rows), 18.5)
    coded_only = decide(location, coded, lon, lat, rules=False).precision
    ruled = decide(location, coded, lon, lat).precision
    rank = {level: i for i, level in enumerate(LEVELS)}
    assert set(ruled) <= set(LEVELS)
    for before, after in zip(coded_only, ruled, strict=True):
        assert before == "unknown" or rank[after] >= rank[before]


def test_assign_keeps_imprecise_events_out_of_zones_but_keeps_their_commune():
    solino = katye.geodata.sites().set_index("site_id").loc["solino", "geometry"]
    frame = gpd.GeoDataFrame(
        {"location_precision": ["exact", "near", "commune", "unknown", "region"]}, geometry=[solino] * 5, crs=4326
    )
    result = katye.assign(frame)
    assert list(result["assignment"]) == ["exact", "coarse", "coarse", "coarse", "coarse"]
    assert result["zone_id"].iloc[0] != ""
    assert set(result["zone_id"].iloc[1:]) == {""}
    assert result["section_pcode"].iloc[1] != ""
    assert set(result["section_pcode"].iloc[2:]) == {""}
    assert list(result["commune_pcode"].astype(str)) == ["HT0111"] * 4 + [""]


def test_summaries_count_imprecise_events_separately():
    solino = katye.geodata.sites().set_index("site_id").loc["solino", "geometry"]
    frame = gpd.GeoDataFrame(
        {
            "event_date": pd.to_datetime(["2024-10-01"] * 3),
            "fatalities": [1, 2, 3],
            "event_type": "Battles",
            "location_precision": ["exact", "commune", "unknown"],
        },
        geometry=[solino] * 3,
        crs=4326,
    )
    table = katye.summarize(frame, by=("month",))
    placed = table[table["zone_id"] != ""]
    apart = table[table["zone_id"] == ""].set_index("location_precision")
    assert placed["events"].sum() == 1
    assert apart.loc["commune", "events"] == 1
    assert apart.loc["unknown", "fatalities"] == 3
    assert "Port-au-Prince" in apart.loc["commune", "zone_name"]


# --- actors -------------------------------------------------------------------------------------


def test_every_actor_in_the_sample_and_the_readme_has_a_kind():
    sample = pd.read_csv(katye.samples.path(), dtype=str, keep_default_na=False)
    names = set(sample["actor1"]) | set(sample["actor2"])
    readme = REPO_README.read_text(encoding="utf-8") if REPO_README.is_file() else ""
    quoted = re.findall(r'"([^"\n\[\]#]{1,80})"', readme)
    # Actor names, not the README's patterns ("… Gang", "Civilians (…)").
    names |= {
        q for q in quoted if re.search(r"Gang|Police Forces|Military Forces|Civilians|Unidentified", q) and "…" not in q
    }
    names.discard("")
    found = actor_table.normalise(pd.Series(sorted(names)))
    assert not found.unknown, found.unknown
    assert "other" not in set(found.kind)


def test_police_under_either_period_suffix_is_one_actor():
    found = actor_table.normalise(
        pd.Series(
            ["Police Forces of Haiti (2017-2024)", "Police Forces of Haiti (2024-)", "police forces of haiti (2017-)"]
        )
    )
    assert set(found.actor) == {"Police Forces of Haiti"}
    assert set(found.kind) == {"state"}


def test_unknown_actor_names_pass_through_as_other_and_are_reported(tmp_path):
    frame = synthetic_acled(5, seed=3)
    frame["actor1"] = [
        "Some New Faction",
        "Some New Faction",
        "Viv Ansanm Gang",
        "Unidentified Gang (Haiti)",
        "Police Forces of Haiti (2024-)",
    ]
    frame.loc[1, "actor2"] = "Ti Makak Gang"
    incidents, _, report = katye.read_incidents(write_csv(frame, tmp_path / "a.csv"))
    assert report.unknown_actors == {"Some New Faction (other)": 2, "Ti Makak Gang (armed_group)": 1}
    assert list(incidents["actor1_kind"]) == ["other", "other", "armed_group", "unidentified_armed_group", "state"]
    assert list(incidents["actor1_original"]) == list(frame["actor1"])
    assert incidents["actor1"].iloc[2] == "Viv Ansanm"


def test_event_types_are_normalised_and_the_original_kept(tmp_path):
    frame = synthetic_acled(3, seed=3)
    frame["event_type"] = ["BATTLES", "Remote violence", "violence against civilians"]
    incidents = katye.read_incidents(write_csv(frame, tmp_path / "a.csv")).incidents
    assert list(incidents["event_type"]) == ["Battles", "Explosions/Remote violence", "Violence against civilians"]
    assert list(incidents["event_type_original"]) == list(frame["event_type"])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("Gang X,Gang X,warlord,,,,,,\n", "kind must be one of .* at line 2"),
        ("Gang X,Gang X,armed_group,,,,,,\ngang x,Gang X,armed_group,,,,,,\n", "appears twice.* lines 2, 3"),
        ("Gang X (2017-),Gang X,armed_group,,,,,,\nGang X (2024-),Gang Y,armed_group,,,,,,\n", "two meanings"),
        ("Gang X,Gang X,armed_group,G9,last spring,,,,\n", "coalition_since must be .* at line 2"),
        ("Gang X,,armed_group,,,,,,\n", "must not be empty at line 2"),
    ],
)
def test_bad_actor_tables_name_the_row(tmp_path, rows, message):
    path = tmp_path / "actors.csv"
    path.write_text(",".join(actor_table.COLUMNS) + "\n" + rows, encoding="utf-8")
    with pytest.raises(katye.InputError, match=message):
        katye.read_actors(path)


# --- control ------------------------------------------------------------------------------------


def _zones():
    boxes = {"a": (-72.34, 18.53), "b": (-72.33, 18.53), "c": (-72.32, 18.53)}
    return gpd.GeoDataFrame(
        {"zone_id": list(boxes), "name": list(boxes)},
        geometry=[shapely.box(x, y, x + 0.01, y + 0.01) for x, y in boxes.values()],
        crs=4326,
    )


def _events(zone: str, rows) -> gpd.GeoDataFrame:
    x, y = {"a": (-72.335, 18.535), "b": (-72.325, 18.535), "c": (-72.315, 18.535)}[zone]
    frame = pd.DataFrame(rows, columns=["event_type", "actor1", "actor2"])
    frame["event_date"] = pd.Timestamp("2024-11-01")
    frame["fatalities"] = 0
    frame["location_precision"] = "exact"
    return gpd.GeoDataFrame(frame, geometry=[shapely.Point(x, y)] * len(frame), crs=4326)


def test_police_as_the_target_does_not_make_a_zone_state():
    police = "Police Forces of Haiti (2024-)"
    incidents = pd.concat(
        [
            _events(
                "a",
                [("Explosions/Remote violence", "Kraze Barye Gang", police)] * 4
                + [("Violence against civilians", "Kraze Barye Gang", "Civilians (Haiti)")] * 2,
            ),
            _events(
                "b",
                [("Battles", "Police Forces of Haiti (2017-2024)", "Unidentified Armed Group (Haiti)")] * 3
                + [("Battles", police, "Unidentified Armed Group (Haiti)")] * 3,
            ),
        ],
        ignore_index=True,
    )
    result = katye.infer_control(incidents, _zones(), as_of="2024-11-30").set_index("zone_id")
    assert result.loc["a", "inferred_status"] == "gang"
    assert result.loc["a", "holder"] == "Kraze Baryè"
    assert result.loc["a", "state_events"] == 0  # attacked, not acting
    assert "state" not in set(result["inferred_status"])
    assert result.loc["b", "state_events"] == 6
    assert result.loc["b", "state_share"] == 1.0


def test_an_unidentified_group_is_never_named_the_holder():
    incidents = _events(
        "a",
        [("Battles", "Unidentified Armed Group (Haiti)", "Viv Ansanm Gang")] * 8
        + [("Violence against civilians", "G-9 Gang", "Civilians (Haiti)")] * 2,
    )
    result = katye.infer_control(incidents, _zones(), as_of="2024-11-30").set_index("zone_id").loc["a"]
    # Viv Ansanm fights in all 10 armed-group events it is in: 8 of 10.
    assert result["holder"] == "Viv Ansanm"
    assert result["leading_share"] == 0.8
    alone = _events("a", [("Violence against civilians", "Unidentified Armed Group (Haiti)", "Civilians (Haiti)")] * 7)
    only = katye.infer_control(alone, _zones(), as_of="2024-11-30").set_index("zone_id").loc["a"]
    assert only["inferred_status"] == "gang"
    assert only["holder"] == ""
    assert only["holder_kind"] == "unidentified"
    assert only["unidentified_share"] == 1.0


def test_victims_never_count():
    incidents = _events(
        "a", [("Riots", "Rioters (Haiti)", "Grand-Ravine Gang")] * 6 + [("Protests", "Protesters (Haiti)", "")] * 3
    )
    result = katye.infer_control(incidents, _zones(), as_of="2024-11-30").set_index("zone_id").loc["a"]
    assert result["armed_events"] == 0
    assert result["inferred_status"] == "unknown"
    assert result["leading_actor"] == ""


# --- risk ---------------------------------------------------------------------------------------


def test_a_small_and_a_large_zone_with_the_same_events_get_the_same_class():
    small = shapely.box(-72.34, 18.53, -72.339, 18.531)  # ~0.01 km2
    large = shapely.box(-72.33, 18.53, -72.30, 18.56)  # ~10 km2
    other = shapely.box(-72.29, 18.53, -72.28, 18.54)
    zones = gpd.GeoDataFrame({"zone_id": ["large", "other", "small"]}, geometry=[large, other, small], crs=4326)
    rows = [("Battles", "G-9 Gang", "")] * 5
    incidents = pd.concat(
        [
            _events("a", rows).set_geometry([small.centroid] * 5),
            _events("a", rows).set_geometry([large.centroid] * 5),
            _events("a", rows[:2]).set_geometry([other.centroid] * 2),
        ],
        ignore_index=True,
    )
    scored = katye.risk(incidents, zones, as_of="2024-11-30").set_index("zone_id")
    assert scored.loc["small", "risk_class"] == scored.loc["large", "risk_class"]
    assert scored.loc["small", "risk_index"] == pytest.approx(scored.loc["large", "risk_index"])
    per_km2 = katye.risk(incidents, zones, as_of="2024-11-30", per="km2").set_index("zone_id")
    assert per_km2.loc["small", "risk_index"] > 100 * per_km2.loc["large", "risk_index"]
    assert scored.loc["small", "class_range"]
    assert scored.attrs["katye_breaks"]
    people = katye.risk(
        incidents,
        zones,
        as_of="2024-11-30",
        per="population",
        population={"large": 200_000, "other": 1_000, "small": 100_000},
    ).set_index("zone_id")
    assert people.loc["small", "risk_index"] == pytest.approx(2 * people.loc["large", "risk_index"])
    with pytest.raises(katye.UsageError, match="population"):
        katye.risk(incidents, zones, per="population")
    with pytest.raises(katye.UsageError, match="scheme"):
        katye.risk(incidents.iloc[:0], zones, scheme="bogus")


def test_risk_legend_prints_the_class_breaks():
    incidents = katye.read_incidents(katye.samples.path()).incidents
    html = katye.make_map(incidents, start="2024-10-01", end="2024-11-30").render_html()
    payload = read_payload(html)
    risk = next(layer for layer in payload["layers"] if layer["key"] == "risk")
    assert risk["legend_title"] == "Risk index (per zone)"
    assert any(re.search(r"very high \([\d.]+–[\d.]+\)", item["label"]) for item in risk["legend"])


# --- command line -------------------------------------------------------------------------------


def test_cli_reports_precision_rules_and_takes_options(tmp_path):
    path, _ = real_export(tmp_path, n=200)
    result = run_cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert "location precision:" in result.stdout
    assert "changed by rule: admin name" in result.stdout
    assert "no geo_precision column" in result.stdout
    coded = json.loads(run_cli("validate", str(path), "--precision", "as-coded", "--json").stdout)
    assert coded["precision_rules"] == {}
    assert set(coded["location_precision"]) == {"unknown"}
    declared = json.loads(run_cli("validate", str(path), "--default-precision", "exact", "--json").stdout)
    assert declared["location_precision"]["exact"] > 0
    out = tmp_path / "risk.csv"
    result = run_cli("risk", str(path), "-o", str(out), "--default-precision", "exact", "--per", "km2")
    assert result.returncode == 0, result.stderr
    assert "per km²" in result.stdout
    assert "Class breaks" in result.stdout
    assert {"class_range", "holder", "state_share"} <= set(pd.read_csv(out).columns)


def test_cli_bad_actor_table_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "actors.csv"
    bad.write_text("acled_name,actor,kind\nGang X,Gang X,warlord\n", encoding="utf-8")
    result = run_cli("validate", "--actors", str(bad))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "line 2" in result.stderr
    assert "kind must be one of" in result.stderr


def test_a_control_table_with_a_zone_twice_on_one_date_names_the_lines(tmp_path):
    path = tmp_path / "control.csv"
    path.write_text(
        "zone_id,as_of,status,actor,source,confidence,note\n"
        "solino,2024-10-01,gang,Viv Ansanm,me,low,\n"
        "solino,2024-10-01,state,,me,low,\n",
        encoding="utf-8",
    )
    with pytest.raises(katye.InputError, match="same zone_id and as_of at lines 2, 3"):
        katye.read_control(path)
    # Not UTF-8: read as Windows-1252, and the odd status is named with its line.
    path.write_bytes(b"zone_id,as_of,status\nsolino,2024-10-01,\xff\xfe gang\n")
    with pytest.raises(katye.InputError, match=r"status must be one of .* at line 2"):
        katye.read_control(path)


# --- found by review: each of these failed before its fix -------------------------------------------


def test_risk_per_population_reads_a_column_of_the_zones():
    zones = _zones().assign(pop=[10_000, 20_000, 40_000])
    incidents = _events("a", [("Battles", "G-9 Gang", "")] * 5)
    scored = katye.risk(incidents, zones, as_of="2024-11-30", per="population", population="pop")
    plain = katye.risk(incidents, zones, as_of="2024-11-30")
    a = scored.set_index("zone_id").loc["a"]
    assert a["risk_index"] == pytest.approx(plain.set_index("zone_id").loc["a", "score"] / 0.1)
    for bad in ({"a": 1, "b": float("inf"), "c": 5}, {"a": "many", "b": 1, "c": 1}, [1, 2, 3]):
        with pytest.raises(katye.UsageError, match="population"):
            katye.risk(incidents, zones, per="population", population=bad)


def test_a_users_actor_table_reaches_the_coalitions_of_inferred_control(tmp_path):
    table = pd.read_csv(katye.geodata.data_dir() / "actors.csv", dtype=str, keep_default_na=False)
    table.loc[table["kind"] == "armed_group", "coalition"] = "MY COALITION"
    table.loc[table["kind"] == "armed_group", "coalition_since"] = ""
    path = tmp_path / "mine.csv"
    table.to_csv(path, index=False)
    frame = synthetic_acled(400, seed=2)
    incidents = katye.read_incidents(write_csv(frame, tmp_path / "a.csv"), actors=path).incidents
    control = katye.infer_control(incidents)
    named = control[control["leading_actor"] != ""]
    assert len(named)
    assert set(named["leading_coalition"]) == {"MY COALITION"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("acled_name,actor,kind\n", "no rows"),
        ("acled_name,actor,kind\nA Gang,A,armed_group,extra,fields\n", "line 2 do not have the header's 3 fields"),
        ("acled_name,actor,kind\n---,X,armed_group\n", "no letter or digit"),
        ("acled_name,actor,kind,coalition\nA Gang,A,armed_group,X\nA Gang alt,A,state,Y\n", "two meanings"),
        ("acled_name,kind,kind,actor\nA,armed_group,state,A\n", "appear twice in the header"),
    ],
)
def test_more_bad_actor_tables(tmp_path, text, message):
    path = tmp_path / "actors.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(katye.InputError, match=message):
        katye.read_actors(path)


def test_actor_kinds_are_read_case_insensitively_and_anti_gang_units_are_not_gangs(tmp_path):
    path = tmp_path / "actors.csv"
    path.write_text("acled_name,actor,kind\nA Gang,A,Armed Group\n", encoding="utf-8")
    assert list(katye.read_actors(path)["kind"]) == ["armed_group"]
    found = actor_table.normalise(pd.Series(["Police Anti-Gang Unit", "Gang Victims Association", "Zoe Pound Gang"]))
    assert list(found.kind) == ["state", "other", "armed_group"]


def test_scoring_nothing_is_a_clear_error_and_hand_built_frames_get_named_columns(tmp_path):
    empty = _events("a", []).iloc[:0]
    with pytest.raises(katye.InputError, match="no incidents with a date"):
        katye.risk(empty, _zones())
    frame = _events("a", [("Battles", "G-9 Gang", "")] * 3)
    with pytest.raises(katye.InputError, match="no event_type column"):
        katye.risk(frame.drop(columns="event_type"), _zones())
    with pytest.raises(katye.InputError, match="not dates"):
        katye.infer_control(frame.assign(event_date="2024-11-01"), _zones())
    with pytest.raises(katye.InputError, match="location_precision holds 'sort of'"):
        katye.assign(frame.assign(location_precision="sort of"), _zones())
    assert katye.assign(frame.assign(location_precision=" EXACT "), _zones())["assignment"].eq("exact").all()
    for k in (0, 2.5):
        with pytest.raises(katye.UsageError, match="k="):
            katye.risk(frame, _zones(), k=k)
    with pytest.raises(katye.UsageError, match="weights"):
        katye.risk(frame, _zones(), weights={"Battles": -1})


def test_summaries_keep_every_event_and_missing_precision_is_unknown():
    solino = katye.geodata.sites().set_index("site_id").loc["solino", "geometry"]
    frame = gpd.GeoDataFrame(
        {
            "event_date": pd.to_datetime(["2024-10-01"] * 4),
            "fatalities": 1,
            "event_type": "Battles",
            "location_precision": ["exact", None, np.nan, "exact"],
        },
        geometry=[solino, solino, solino, shapely.Point(-72.9, 18.2)],
        crs=4326,
    )
    table = katye.summarize(frame, by=("month",))
    assert table["events"].sum() == 4
    assert "outside every zone" in " ".join(table["zone_name"])


def test_a_few_bare_names_do_not_turn_a_busy_neighbourhood_centre_into_a_commune_centre():
    location = pd.Series(["Delmas"] * 3 + ["Delmas - Delmas 33"] * 20)
    result = decide(location, np.full(23, 1.0), np.full(23, -72.30), np.full(23, 18.55))
    assert (result.precision[3:] == "exact").all()
    assert result.changed["commune_centre"] == 0


def test_map_trend_looks_before_the_first_day_drawn():
    incidents = katye.read_incidents(katye.samples.path()).incidents
    scored = katye.risk(incidents, as_of="2024-11-30").set_index("zone_id")
    html = katye.make_map(incidents, start="2024-11-01", end="2024-11-30").render_html()
    payload = read_payload(html)
    risk = next(layer for layer in payload["layers"] if layer["key"] == "risk")
    solino = next(f for f in risk["features"] if f["title"] == "Solino")
    trend = dict(solino["rows"])["Trend"]
    assert scored.loc["solino", "trend"] in trend
    assert "new new" not in trend


def test_cli_says_when_events_stay_out_of_zone_counts(tmp_path):
    path, _ = real_export(tmp_path, n=200)
    result = run_cli("risk", str(path), "-o", str(tmp_path / "r.csv"))
    assert result.returncode == 0, result.stderr
    assert "not in zone counts" in result.stderr
    assert "--default-precision exact" in result.stderr
    assert "No event is exactly located" in result.stderr
    bad = run_cli("risk", str(path), "-o", str(tmp_path / "r.csv"), "--per", "population")
    assert bad.returncode == 1, bad.stderr
    assert "--population" in bad.stderr
    assert "Traceback" not in bad.stderr


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "Delmas",
                    "Pétion-Ville",
                    "Commune de Delmas",
                    "1ère section Turgeau",
                    "Ouest - Delmas",
                    "Port-au-Prince – Solino",
                    "Delmas, Tabarre",
                    " - ",
                    "Grand'Anse",
                    "Département de l'Ouest",
                ]
            ),
            st.text(alphabet="aeDélmsP- ,'’1èr–/\u0301ÉTt\u00a0\t", max_size=24),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_the_fast_name_matching_agrees_with_the_reference(texts):
    assert list(name_keys(texts)) == [name_key(t) for t in texts]
    assert list(admin_levels(texts)) == [admin_level(t) for t in texts]
