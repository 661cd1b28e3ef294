"""What the columns of an incident file mean: location precision, normalised actors and event types.

Runs after :func:`katye.read_incidents` has parsed and checked the rows; it adds the derived
columns in place and returns what the report says about them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from katye.incidents import actors as actor_table
from katye.incidents import precision as location_precision
from katye.incidents.schema import DERIVED, ORIGINALS


def interpret(incidents: gpd.GeoDataFrame, *, has_code: bool, options: dict) -> dict:
    """Add location precision, normalised actors and event types, in place; return what the report says."""
    coded = incidents["geo_precision"].to_numpy(dtype=np.float32, na_value=np.nan)
    decided = location_precision.decide(
        incidents["location"],
        coded,
        incidents["longitude"].to_numpy(),
        incidents["latitude"].to_numpy(),
        rules=options["rules"],
        default=options["default"],
        points=options.get("points"),
    )
    columns = {}
    for side in ("actor1", "actor2"):
        found = actor_table.normalise(incidents[side], options["actors"])
        columns[side] = found
    # No copies: the columns are replaced below, not changed in place, so the originals stay as read.
    originals = {
        "event_type_original": incidents["event_type"],
        "actor1_original": incidents["actor1"],
        "actor2_original": incidents["actor2"],
    }
    incidents["event_type"] = actor_table.event_types(incidents["event_type"])
    for side, found in columns.items():
        incidents[side] = found.column("actor")
    derived = {
        "actor1_kind": columns["actor1"].column("kind"),
        "actor2_kind": columns["actor2"].column("kind"),
        "location_precision": decided.precision,
        "precision_basis": decided.basis,
    }
    for after, names in DERIVED.items():
        at = incidents.columns.get_loc(after) + 1
        for offset, name in enumerate(names):
            incidents.insert(at + offset, name, derived[name])
    at = incidents.columns.get_loc("longitude") + 1
    for offset, name in enumerate(ORIGINALS):
        incidents.insert(at + offset, name, originals[name])
    unknown: dict[str, int] = {}
    for found in columns.values():
        for name, count in found.unknown.items():
            unknown[name] = unknown.get(name, 0) + count
    if options["actors"] is not actor_table.shipped():
        # Small and comparable (unlike a DataFrame): later steps read coalitions from the same table.
        incidents.attrs[actor_table.ATTR] = actor_table.as_records(options["actors"])
    return {
        "has_code": has_code,
        "precision": decided,
        "unknown_actors": unknown,
        "rules": options["rules"],
        "default": options["default"],
    }
