"""Gi* hot spots on the shipped zones: cold (first call in a fresh process, imports included) and warm."""

from __future__ import annotations

from common import in_fresh_process, table

SETUP = """
import katye
incidents = katye.read_incidents(katye.samples.path()).incidents
scored = katye.risk(incidents, as_of="2024-11-30")
#--
"""
COLD = (
    SETUP
    + """
result = {"zones": len(katye.hotspots(scored, permutations=999, seed=0))}
"""
)
WARM = (
    SETUP.replace("#--\n", "katye.hotspots(scored, permutations=999, seed=0)\n#--\n")
    + """
result = {"zones": len(katye.hotspots(scored, permutations=999, seed=0))}
"""
)


def run() -> list[dict]:
    cold = in_fresh_process(COLD)
    warm = in_fresh_process(WARM)
    return [
        {
            "case": "Gi* (999 permutations) on the shipped zones",
            "contender": "katye.hotspots, cold",
            "seconds": round(cold["seconds"], 3),
        },
        {
            "case": "Gi* (999 permutations) on the shipped zones",
            "contender": "katye.hotspots, warm",
            "seconds": round(warm["seconds"], 3),
        },
    ]


if __name__ == "__main__":
    print(table(run(), ["case", "contender", "seconds"]))
