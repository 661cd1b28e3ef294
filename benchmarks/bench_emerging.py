"""Emerging hot spots on 100 zones x 104 ACLED weeks: katye.emerging_hotspots vs esda.G_Local per week.

katye's time is the whole analysis from incidents: assignment to zones, weekly counts, weights,
Gi* with 999 permutations for every week, FDR, the Mann-Kendall trend and the category of every
zone. The peer is esda alone: ``esda.G_Local`` (999 permutations) and ``esda.fdr`` once per week,
handed the weekly counts ready-made, with the same weights built in its time. Both run in fresh
processes, timed after their imports (katye's first call: its caches are empty); katye's pseudo
p-values are checked equal to esda's.
"""

from __future__ import annotations

from common import in_fresh_process, table

WEEKS = 104
SIDE = 10  # 10 x 10 zones
DATA = f"""
import warnings
import geopandas as gpd, numpy as np, pandas as pd, shapely
warnings.simplefilter("ignore")
SIDE, WEEKS, SIZE = {SIDE}, {WEEKS}, 0.01
zones = gpd.GeoDataFrame(
    {{"zone_id": [f"z{{r:02d}}{{c:02d}}" for r in range(SIDE) for c in range(SIDE)],
     "geometry": [shapely.box(-72.4 + c * SIZE, 18.5 + r * SIZE, -72.4 + (c + 1) * SIZE, 18.5 + (r + 1) * SIZE)
                  for r in range(SIDE) for c in range(SIDE)]}}, crs=4326)
rng = np.random.default_rng(42)
rows, cols = np.divmod(np.arange(SIDE * SIDE), SIDE)
saturdays = pd.date_range("2023-01-07", periods=WEEKS, freq="7D")
# A steady hot spot in one corner, one that grows in the other, background everywhere.
steady = 4.0 * np.exp(-((rows - 2) ** 2 + (cols - 2) ** 2) / 4.0)
growing = np.exp(-((rows - 7) ** 2 + (cols - 7) ** 2) / 4.0)
counts = rng.poisson(0.5 + steady + np.outer(np.linspace(0, 5, WEEKS), growing))  # (weeks, zones)
week_of, zone_of = np.nonzero(counts)
repeat = counts[week_of, zone_of]
week_of, zone_of = np.repeat(week_of, repeat), np.repeat(zone_of, repeat)
x = -72.4 + (cols[zone_of] + rng.uniform(0.05, 0.95, len(zone_of))) * SIZE
y = 18.5 + (rows[zone_of] + rng.uniform(0.05, 0.95, len(zone_of))) * SIZE
days = saturdays[week_of] + pd.to_timedelta(rng.integers(0, 7, len(zone_of)), unit="D")
incidents = gpd.GeoDataFrame({{"event_date": days, "fatalities": 0, "geo_precision": 1}},
                             geometry=gpd.points_from_xy(x, y), crs=4326)
period = {{"start": saturdays[0], "end": saturdays[-1] + pd.Timedelta(days=6)}}  # 104 whole ACLED weeks
"""
KATYE = (
    DATA
    + """
import esda, libpysal.weights, pymannkendall  # imported before the clock, as on the esda side
import katye, katye.emerging
#--
result = katye.emerging_hotspots(incidents, zones, permutations=999, seed=0, **period)
table = katye.emerging.gi_star_slices(incidents, zones, permutations=999, seed=0, **period)
result = {"incidents": len(incidents), "zones": len(result), "slices": int(result.slices.iloc[0]),
          "categories": result.category.value_counts().to_dict(), "p": table.p_sim.round(4).tolist()}
"""
)
# The same computation timed alone (the snippet above also builds the per-week table for the check).
KATYE_TIMED = (
    DATA
    + """
import esda, libpysal.weights, pymannkendall  # imported before the clock, as on the esda side
import katye, katye.emerging
#--
result = katye.emerging_hotspots(incidents, zones, permutations=999, seed=0, **period)
result = {"zones": len(result)}
"""
)
ESDA = (
    DATA
    + """
import esda
from libpysal import weights
#--
w = weights.fuzzy_contiguity(zones.to_crs("EPSG:32618"), buffering=True, buffer=1.0, predicate="intersects")
w.transform = "B"
p = []
for week in counts:
    gi = esda.G_Local(week.astype(float), w, star=True, transform="B", permutations=999, seed=0)
    significant = gi.p_sim <= esda.fdr(gi.p_sim, 0.05)
    p.append(gi.p_sim)
result = {"p": np.round(np.vstack(p).astype(float), 4).ravel().tolist()}
"""
)


def run(repeat: int = 3) -> list[dict]:
    katye_check = in_fresh_process(KATYE)
    katye_run = in_fresh_process(KATYE_TIMED, repeat=repeat)
    esda_run = in_fresh_process(ESDA, repeat=repeat)
    same = katye_check["result"]["p"] == esda_run["result"]["p"]
    case = (
        f"{katye_check['result']['zones']} zones x {katye_check['result']['slices']} weeks, "
        f"{katye_check['result']['incidents']:,} incidents, 999 permutations"
    )
    return [
        {
            "case": case,
            "contender": "katye.emerging_hotspots (assign, Gi*, FDR, Mann-Kendall, classes)",
            "seconds": round(katye_run["seconds"], 2),
            "vs_esda": f"{esda_run['seconds'] / katye_run['seconds']:.1f}x faster",
            "same_p": "yes" if same else "NO",
        },
        {
            "case": case,
            "contender": "esda.G_Local + esda.fdr per week (Gi* alone)",
            "seconds": round(esda_run["seconds"], 2),
            "vs_esda": "1.0x",
            "same_p": "",
        },
    ]


if __name__ == "__main__":
    print(table(run(), ["case", "contender", "seconds", "vs_esda", "same_p"]))
