"""Write the example notebooks from the cells below (so their source is reviewable Python).

Run: ``python examples/make_notebooks.py``. The notebooks are stored without outputs; the test
suite executes them on the shipped sample, offline.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

REPORT = [
    new_markdown_cell(
        "# A report map of Port-au-Prince for one month\n\n"
        "This notebook builds the map for November 2024 from katye's shipped sample, with control and "
        "risk. **The sample is synthetic** (made-up incidents in ACLED's layout) and the control table is "
        "**illustrative**: swap in your own ACLED export and control table to make a real map."
    ),
    new_code_cell(
        "import katye\n\n"
        "incidents, rejected, report = katye.read_incidents(katye.samples.path('acled'))\n"
        "print('\\n'.join(report.lines()))"
    ),
    new_code_cell(
        "control = katye.read_control(katye.samples.path('control'))\n"
        "m = katye.make_map(incidents, control=control, start='2024-11-01', end='2024-11-30', as_of='2024-11-30')\n"
        "katye.save_map(m, 'pap-2024-11.html')\n"
        "m  # the map shows here too, offline"
    ),
    new_code_cell(
        "figure = katye.render_static(incidents, control=control, start='2024-11-01', end='2024-11-30',\n"
        "                             layer='risk', path='pap-2024-11-risk.png')\n"
        "figure"
    ),
    new_code_cell(
        "# Risk per zone (zones are not equal-area units); class_range gives each class's breaks\n"
        "scored = katye.risk(incidents, as_of='2024-11-30')\n"
        "columns = ['zone_id', 'name', 'events', 'fatalities', 'risk_index', 'risk_class', 'class_range', 'trend']\n"
        "scored.sort_values('risk_index', ascending=False)[columns].head(10)"
    ),
    new_code_cell(
        "# Who holds each zone, from who acts with force: named armed groups only, state presence apart\n"
        "control = katye.infer_control(incidents, as_of='2024-11-30')\n"
        "control[control.armed_events > 0][['zone_id', 'armed_events', 'leading_actor', 'leading_coalition',\n"
        "                                  'leading_share', 'holder', 'state_share', 'inferred_status']]"
    ),
]

ANALYSIS = [
    new_markdown_cell(
        "# Analysis: the airport, the MSS base, risk trends and hot spots\n\n"
        "Everything here is pure data: GeoDataFrames in, GeoDataFrames out. The incidents are katye's "
        "**synthetic** sample; the MSS base position is an **approximate stand-in**."
    ),
    new_code_cell(
        "import katye\n\n"
        "incidents = katye.read_incidents(katye.samples.path('acled')).incidents\n"
        "joined = katye.near_sites(katye.assign(incidents), radii_m=(1000, 2000, 5000))\n"
        "# Only exactly located events go into zones; the rest keep their commune and are counted apart\n"
        "joined.groupby(['assignment', 'location_precision'], observed=True).size()"
    ),
    new_code_cell(
        "# Events per zone and month, with the events located only to a commune in rows of their own\n"
        "table = katye.summarize(joined, by=('month',), start='2024-10-01', end='2024-11-30')\n"
        "table.sort_values('events', ascending=False).head(12)"
    ),
    new_code_cell(
        "# Events within 2 km of the airport and of the MSS base, by week\n"
        "week = joined['event_date'].dt.to_period('W').astype(str)\n"
        "weekly = joined.assign(week=week).groupby('week')[['within_airport_2000m', 'within_mss_base_2000m']].sum()\n"
        "weekly.tail(12)"
    ),
    new_code_cell(
        "# Risk trend by zone: the last 90 days against the 90 before\n"
        "scored = katye.risk(joined, as_of='2024-11-30', window_days=90, half_life_days=30)\n"
        "print(scored.attrs['katye_method']['index'])\n"
        "columns = ['zone_id', 'events', 'events_previous', 'change_pct', 'trend', 'risk_class']\n"
        "scored[columns].sort_values('change_pct', ascending=False).head(10)"
    ),
    new_code_cell(
        "# Hot spots of the risk index (Getis-Ord Gi*, FDR-corrected)\n"
        "spots = katye.hotspots(scored, permutations=999, seed=0)\n"
        "spots[['zone_id', 'gi_z', 'p_sim', 'hotspot']].sort_values('gi_z', ascending=False).head(8)"
    ),
    new_code_cell(
        "surface = katye.density(incidents, bandwidth_m=500, cell_m=100)\n"
        "print(surface.values.shape, round(surface.mass()), 'events on the grid')"
    ),
    new_markdown_cell(
        "## Charts\n\n"
        "Each chart is a matplotlib figure: it shows below its cell, and `katye.render.save_static(fig, "
        "'chart.png')` writes it for a report (PNG, SVG or PDF, the same bytes every time). Only exactly "
        "located events count. `lang='fr'` or `lang='ht'` writes every word in French or Haitian Creole."
    ),
    new_markdown_cell(
        "**Events near the airport and the MSS base, week by week.** ACLED weeks run from Saturday to "
        "Friday; a rise at both sites at once points to the airport area as a whole."
    ),
    new_code_cell(
        "from katye.render import charts\n\n"
        "charts.weekly_near_sites(incidents, sites=('airport', 'mss-base'), radius_m=2000)"
    ),
    new_markdown_cell(
        "**The risk trend of the zones that score highest now.** Each point is the risk index as an analyst "
        "would have read it at that month's end; a line that climbs for months is worth a look."
    ),
    new_code_cell("charts.risk_trend(incidents, top=5)"),
    new_markdown_cell(
        "**Small multiples: events per zone, month by month,** on one scale for every month, so that a "
        "darker zone is a busier zone whatever the month."
    ),
    new_code_cell("charts.monthly_small_multiples(incidents, months=[f'2024-{m:02d}' for m in range(5, 13)])"),
    new_markdown_cell(
        "**Emerging hot spots.** Gi* in each month, a Mann-Kendall trend over the months, ArcGIS's categories "
        "(filled: hot or cold in at least 90 % of months; outlined: new, consecutive, sporadic, oscillating, "
        "historical). `katye map --emerging month` adds the same layer to the HTML map."
    ),
    new_code_cell(
        "emerging = katye.emerging_hotspots(incidents, period='month', seed=0)\n"
        "charts.emerging_map(emerging, incidents=incidents)"
    ),
]


def main() -> None:
    """Command-line entry point."""
    for name, cells in (("report_map.ipynb", REPORT), ("analysis.ipynb", ANALYSIS)):
        notebook = new_notebook(
            cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
        )
        for i, cell in enumerate(notebook.cells):
            cell.id = f"{Path(name).stem.replace('_', '-')}-{i}"  # fixed ids: the same script writes the same bytes
        nbformat.write(notebook, HERE / name)
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
