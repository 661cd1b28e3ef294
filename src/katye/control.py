"""Territorial control: the table a user declares, and an estimate inferred from incidents.

Inference rule (per zone, over the window ending ``as_of``): among the ``exact`` incidents
that name an armed actor in ``actor1`` or ``actor2`` (civilians and protesters are not armed
actors), the leading actor is the one named in the most. When it is named in at least
``dominance`` of those incidents the zone is
``state`` (Haitian police or army), ``international`` (the MSS mission or UN forces) or
``gang`` (any other armed group); otherwise it is ``contested``. With fewer than
``min_events`` incidents it is ``unknown``. Confidence: ``high`` from 30 events, ``medium``
from 10, else ``low``.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from katye import geodata
from katye.errors import InputError, UsageError, at_rows
from katye.join import assigned
from katye.risk import _timestamp, _window_end

STATUSES = ("state", "contested", "gang", "international", "unknown")
CONFIDENCES = ("high", "medium", "low")
COLUMNS = ("zone_id", "as_of", "status", "actor", "source", "confidence", "note")
STATE_MARKERS = ("Police Forces of Haiti", "Military Forces of Haiti")
INTERNATIONAL_MARKERS = ("Multinational Security Support", "MSS", "United Nations", "MINUSTAH", "BINUH")
NOT_ARMED = ("Civilians", "Protesters", "Rioters")


def read_control(path: str | os.PathLike, *, zones: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Read and check a declared-control table (CSV, or GeoJSON/GPKG with those columns).

    Columns: ``zone_id, as_of, status, actor, source, confidence, note``; ``status`` one of
    state | contested | gang | international | unknown; ``confidence`` high | medium | low.

    Raises
    ------
    InputError
        Missing columns, zone ids not in ``zones``, bad statuses, confidences or dates; the
        message names the rows (file lines for CSV).

    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file.")
    if path.suffix.lower() == ".csv":
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        first_line = 2
    else:
        table = pd.DataFrame(gpd.read_file(path)).drop(columns="geometry", errors="ignore").astype(str)
        first_line = 1
    table.columns = [c.strip().lower() for c in table.columns]
    missing = [c for c in ("zone_id", "as_of", "status") if c not in table.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}. Expected: {', '.join(COLUMNS)}.")
    for column in COLUMNS:
        if column not in table.columns:
            table[column] = ""
    unit = "line" if first_line == 2 else "feature"
    lines = table.index.to_numpy() + first_line
    known = set((geodata.zones() if zones is None else zones)["zone_id"].astype(str))
    problems = []
    unknown_zone = ~table["zone_id"].str.strip().isin(known)
    if unknown_zone.any():
        names = ", ".join(sorted(set(table.loc[unknown_zone, "zone_id"]))[:8])
        problems.append(f"unknown zone_id ({names}) at {at_rows(lines[unknown_zone], unit=unit)}; "
                        "use ids from katye.geodata.zones() or your own zones file")
    status = table["status"].str.strip().str.lower()
    bad_status = ~status.isin(STATUSES)
    if bad_status.any():
        problems.append(f"status must be one of {', '.join(STATUSES)} at {at_rows(lines[bad_status], unit=unit)}")
    confidence = table["confidence"].str.strip().str.lower()
    bad_conf = ~confidence.isin((*CONFIDENCES, ""))
    if bad_conf.any():
        problems.append(f"confidence must be high, medium or low at {at_rows(lines[bad_conf], unit=unit)}")
    dates = pd.to_datetime(table["as_of"].str.strip(), format="ISO8601", errors="coerce")
    if dates.isna().any():
        problems.append(f"as_of must be a date (YYYY-MM-DD) at {at_rows(lines[dates.isna()], unit=unit)}")
    if problems:
        raise InputError(f"{path}: " + "; ".join(problems) + ".")
    out = table[list(COLUMNS)].copy()
    out["zone_id"] = out["zone_id"].str.strip()
    out["status"] = status
    out["confidence"] = confidence
    out["as_of"] = dates.dt.normalize()
    out["line"] = lines
    out.attrs["source_file"] = str(path)
    return out.sort_values(["zone_id", "as_of", "line"], kind="stable").reset_index(drop=True)


def control_as_of(table: pd.DataFrame, date) -> pd.DataFrame:
    """The snapshot on ``date``: for each zone, its latest row dated on or before ``date``."""
    when = _timestamp(date, what="date")
    earlier = table[table["as_of"] <= when]
    return earlier.sort_values(["zone_id", "as_of"], kind="stable").groupby("zone_id").tail(1).reset_index(drop=True)


def _actor_kind(name: str) -> str | None:
    if not name or any(name.startswith(marker) for marker in NOT_ARMED):
        return None
    if any(marker in name for marker in STATE_MARKERS):
        return "state"
    if any(marker in name for marker in INTERNATIONAL_MARKERS):
        return "international"
    return "gang"


def infer_control(incidents: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None = None, *, as_of=None,
                  window_days: int = 90, min_events: int = 5, dominance: float = 0.6,
                  declared: pd.DataFrame | None = None) -> pd.DataFrame:
    """Estimate who controls each zone from the incidents in a window (see the module docstring).

    Parameters
    ----------
    incidents
        Canonical incidents, assigned or not.
    zones
        Area layer (default: the shipped zones).
    as_of, window_days
        The window ``(as_of - window_days, as_of]``; ``as_of`` defaults to the latest incident.
    min_events, dominance
        Fewest events for a verdict, and the leading actor's share that makes it dominant.
    declared
        A table from :func:`read_control`; its snapshot as of ``as_of`` is set beside the estimate
        and ``disagrees`` flags zones where the two statuses differ (neither being unknown).

    Returns
    -------
    pandas.DataFrame
        ``zone_id``, ``events``, ``leading_actor``, ``leading_share``, ``inferred_status``,
        ``inferred_confidence``; with ``declared``: ``declared_status``, ``declared_actor``,
        ``declared_as_of``, ``disagrees``.

    """
    if not 0.5 <= dominance <= 1:
        raise UsageError("dominance must be between 0.5 and 1.")
    data = assigned(incidents, zones)
    when = _window_end(data, as_of)
    age = (when - data["event_date"]).dt.days
    window = data[(data["assignment"] == "exact") & (age >= 0) & (age < window_days)]
    zone_ids = sorted((geodata.zones() if zones is None else zones)["zone_id"].astype(str))
    # Count, per zone and actor, the incidents naming that actor (once per incident), in arrays.
    a1 = window["actor1"].astype(str).str.strip().to_numpy()
    a2 = window["actor2"].astype(str).str.strip().to_numpy()
    codes, actors = pd.factorize(np.concatenate([a1, a2]), sort=True)
    code1, code2 = codes[: len(a1)], codes[len(a1):]
    kind_of = np.array([_actor_kind(a) for a in actors], dtype=object)
    armed1 = kind_of[code1] != None  # noqa: E711 (element-wise on an object array)
    armed2 = (kind_of[code2] != None) & (code2 != code1)  # noqa: E711
    zone_index = {zone_id: i for i, zone_id in enumerate(zone_ids)}
    zone_code = window["zone_id"].astype(str).map(zone_index).fillna(-1).astype(int).to_numpy()
    counts = np.zeros((len(zone_ids), max(len(actors), 1)), dtype=np.int64)
    for armed, code in ((armed1, code1), (armed2, code2)):
        keep = armed & (zone_code >= 0)
        np.add.at(counts, (zone_code[keep], code[keep]), 1)
    any_armed = (armed1 | armed2) & (zone_code >= 0)
    armed_events = np.bincount(zone_code[any_armed], minlength=len(zone_ids))
    events = np.bincount(zone_code[zone_code >= 0], minlength=len(zone_ids))
    rows = []
    for i, zone_id in enumerate(zone_ids):
        n_events, total = int(events[i]), int(armed_events[i])
        lead = int(np.argmax(counts[i])) if total else -1  # ties go to the actor whose name sorts first
        share = counts[i, lead] / total if total else 0.0
        if n_events < min_events or lead < 0:
            status = "unknown"
        elif share >= dominance:
            status = kind_of[lead]
        else:
            status = "contested"
        confidence = "high" if n_events >= 30 else "medium" if n_events >= 10 else "low"
        rows.append({"zone_id": zone_id, "events": n_events, "leading_actor": actors[lead] if lead >= 0 else "",
                     "leading_share": round(float(share), 3), "inferred_status": status,
                     "inferred_confidence": confidence})
    out = pd.DataFrame(rows)
    if declared is not None:
        snapshot = control_as_of(declared, when).set_index("zone_id")
        out["declared_status"] = out["zone_id"].map(snapshot["status"]).fillna("unknown")
        out["declared_actor"] = out["zone_id"].map(snapshot["actor"]).fillna("")
        out["declared_as_of"] = out["zone_id"].map(snapshot["as_of"])
        both = (out["declared_status"] != "unknown") & (out["inferred_status"] != "unknown")
        out["disagrees"] = both & (out["declared_status"] != out["inferred_status"])
    out.attrs["katye_method"] = {"as_of": str(when.date()), "window_days": window_days, "min_events": min_events,
                                 "dominance": dominance}
    return out
