"""Territorial control: the table a user declares, and an estimate inferred from incidents.

Inference rule (per zone, over the window ``(as_of - window_days, as_of]``), counting only the
``exact`` incidents and only who *acts with force*: an actor acts in an event when it is
``actor1`` of any event but a protest, or either side of a battle. Victims (``actor2`` outside
battles), civilians, protesters and rioters never count. Actors are typed through the actor
table (:mod:`katye.incidents.actors`), so the police under every period suffix is one actor.

* ``armed_events``: incidents in which an armed group (named or unidentified) acts.
* ``leading_actor``: the *named* armed group acting in the most of them (ties: the name that
  sorts first); ``leading_share`` is its share of ``armed_events``.
* ``inferred_status``: ``unknown`` when ``armed_events < min_events``; ``gang`` when the leading
  named group reaches ``dominance``, or when unidentified armed groups do (then no group is
  named: ``holder`` is empty and ``holder_kind`` says ``unidentified``); else ``contested``.
* State presence is a separate measure, never control: ``state_events`` (incidents in which
  state forces, police, army or foreign forces, act) and ``state_share`` of the zone's events.

Confidence: ``high`` from 30 armed-group events, ``medium`` from 10, else ``low``.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from katye import geodata
from katye import io as katye_io
from katye.dates import as_day, require_columns, window_end
from katye.errors import InputError, UsageError, at_rows
from katye.incidents import actors as actor_table
from katye.join import assigned

STATUSES = ("state", "contested", "gang", "international", "unknown")
CONFIDENCES = ("high", "medium", "low")
COLUMNS = ("zone_id", "as_of", "status", "actor", "source", "confidence", "note")
#: What a control table may be, for messages.
EXPECTED = (
    f"a CSV in UTF-8 or Windows-1252, or a GeoJSON, GeoPackage or GeoParquet, with the columns {', '.join(COLUMNS)}"
)


def read_control(path: str | os.PathLike, *, zones: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Read and check a declared-control table (CSV, or GeoJSON/GPKG with those columns).

    Columns: ``zone_id, as_of, status, actor, source, confidence, note`` and optionally
    ``illustrative`` (true for rows made up to show the format: every map then says so); ``status`` one of
    state | contested | gang | international | unknown; ``confidence`` high | medium | low.

    Raises
    ------
    InputError
        Missing columns, zone ids not in ``zones``, bad statuses, confidences or dates; the
        message names the rows (file lines for CSV).

    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        table = katye_io.read_text_table(path, what="control table", columns=COLUMNS, expected=EXPECTED)
        first_line = 2
    else:
        frame = katye_io.read_layer(path, what="control table", expected=EXPECTED, geometry=False)
        if isinstance(frame, gpd.GeoDataFrame):
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        # Empty cells (null in GeoJSON, a missing date in a GeoPackage) are empty text, not "None".
        table = frame.astype(str).where(frame.notna(), "").reset_index(drop=True)
        first_line = 1
    table.columns = [str(c).strip().lower() for c in table.columns]
    if table.empty:
        raise InputError(f"{path}: the control table has a header but no rows. Add one row per zone and date.")
    doubled = sorted(set(table.columns[table.columns.duplicated()]))
    if doubled:
        raise InputError(f"{path}: column(s) {', '.join(doubled)} appear twice in the header. Keep one of each.")
    missing = [c for c in ("zone_id", "as_of", "status") if c not in table.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}. Expected: {', '.join(COLUMNS)}.")
    for column in COLUMNS:
        if column not in table.columns:
            table[column] = ""
    unit = "line" if first_line == 2 else "feature"
    # CSV rows carry their physical line (blank lines and multi-line cells counted); features count from 1.
    lines = table.index.to_numpy() if first_line == 2 else table.index.to_numpy() + first_line
    known = set((geodata.zones() if zones is None else zones)["zone_id"].astype(str))
    problems = []
    unknown_zone = ~table["zone_id"].str.strip().isin(known)
    if unknown_zone.any():
        names = ", ".join(sorted(set(table.loc[unknown_zone, "zone_id"]))[:8])
        problems.append(
            f"unknown zone_id ({names}) at {at_rows(lines[unknown_zone], unit=unit)}; "
            "use ids from katye.geodata.zones() or your own zones file"
        )
    status = table["status"].str.strip().str.lower()
    bad_status = ~status.isin(STATUSES)
    if bad_status.any():
        problems.append(f"status must be one of {', '.join(STATUSES)} at {at_rows(lines[bad_status], unit=unit)}")
    confidence = table["confidence"].str.strip().str.lower()
    bad_conf = ~confidence.isin((*CONFIDENCES, ""))
    if bad_conf.any():
        problems.append(f"confidence must be high, medium or low at {at_rows(lines[bad_conf], unit=unit)}")
    # The day as written: a time or an offset after it says when in that day, not which day.
    written = table["as_of"].str.strip().str.extract(r"^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$", expand=False)
    dates = pd.to_datetime(written, format="%Y-%m-%d", errors="coerce")
    # A year far off (a typo like 2300) is not a date of control; it would also overflow pandas' clock.
    plausible = (dates >= pd.Timestamp("1900-01-01")) & (dates <= pd.Timestamp("2100-12-31"))
    dates = dates.where(plausible).astype("datetime64[ns]")
    if dates.isna().any():
        problems.append(f"as_of must be a date (YYYY-MM-DD, 1900 to 2100) at {at_rows(lines[dates.isna()], unit=unit)}")
    twice = pd.DataFrame({"zone": table["zone_id"].str.strip(), "day": dates}).duplicated(keep=False).to_numpy()
    if twice.any() and not dates.isna().any():
        problems.append(
            f"two rows for the same zone_id and as_of at {at_rows(lines[twice], unit=unit)}; "
            "keep one row per zone and date"
        )
    if problems:
        raise InputError(f"{path}: " + "; ".join(problems) + ".")
    out = table[list(COLUMNS)].copy()
    out["illustrative"] = _flag(table, path, lines, unit)
    out["zone_id"] = out["zone_id"].str.strip()
    out["status"] = status
    out["confidence"] = confidence
    out["as_of"] = dates.dt.normalize()
    out["line"] = lines
    out.attrs["source_file"] = str(path)
    return out.sort_values(["zone_id", "as_of", "line"], kind="stable").reset_index(drop=True)


#: How the optional ``illustrative`` column may say yes or no (an empty cell is no).
YES, NO = ("true", "yes", "1", "1.0"), ("false", "no", "0", "0.0", "", "nan", "none")


def _flag(table: pd.DataFrame, path: Path, lines, unit: str) -> np.ndarray:
    """The ``illustrative`` column as booleans; anything else is an error, since it decides a caveat."""
    if "illustrative" not in table.columns:
        return np.zeros(len(table), dtype=bool)
    value = table["illustrative"].astype(str).str.strip().str.lower()
    odd = ~value.isin(YES + NO)
    if odd.any():
        raise InputError(
            f"{path}: illustrative must be true or false at {at_rows(lines[odd.to_numpy()], unit=unit)} "
            f"(found {', '.join(sorted(set(table['illustrative'][odd].astype(str)))[:5])}). It decides whether "
            "maps say the control data is made up."
        )
    return value.isin(YES).to_numpy()


def control_as_of(table: pd.DataFrame, date) -> pd.DataFrame:
    """The snapshot on ``date``: for each zone, its latest row dated on or before ``date``."""
    when = as_day(date, what="date")
    earlier = table[table["as_of"] <= when]
    return earlier.sort_values(["zone_id", "as_of"], kind="stable").groupby("zone_id").tail(1).reset_index(drop=True)


def _kinds(data: pd.DataFrame, side: str, actors) -> tuple[np.ndarray, np.ndarray]:
    """Normalised names and kinds of one actor column (from read_incidents, or typed here)."""
    if f"{side}_kind" in data.columns and actors is None:
        return (data[side].astype(str).to_numpy(dtype=object), data[f"{side}_kind"].astype(str).to_numpy(dtype=object))
    source = data[f"{side}_original"] if f"{side}_original" in data.columns else data[side]
    found = actor_table.normalise(source, actors)
    return found.actor, found.kind


def infer_control(
    incidents: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None = None,
    *,
    as_of=None,
    window_days: int = 90,
    min_events: int = 5,
    dominance: float = 0.6,
    declared: pd.DataFrame | None = None,
    actors=None,
) -> pd.DataFrame:
    """Estimate which armed group holds each zone from the incidents in a window (module docstring).

    Parameters
    ----------
    incidents
        Canonical incidents, assigned or not.
    zones
        Area layer (default: the shipped zones).
    as_of, window_days
        The window ``(as_of - window_days, as_of]``; ``as_of`` defaults to the latest incident.
    min_events, dominance
        Fewest armed-group events for a verdict (default 5), and the share of them that makes a
        group dominant (default 0.6).
    declared
        A table from :func:`read_control`; its snapshot as of ``as_of`` is set beside the estimate
        and ``disagrees`` flags zones where the two statuses differ (neither being unknown).
    actors
        An actor table (path or DataFrame, :func:`katye.read_actors`) to type the actors with;
        default: the kinds :func:`katye.read_incidents` recorded, or the shipped table.

    Returns
    -------
    pandas.DataFrame
        ``zone_id``, ``events``, ``armed_events``, ``leading_actor``, ``leading_coalition``,
        ``leading_share``, ``unidentified_share``, ``holder``, ``holder_kind``
        (named | unidentified | ""), ``state_events``, ``state_share``, ``inferred_status``
        (gang | contested | unknown), ``inferred_confidence``; with ``declared``:
        ``declared_status``, ``declared_actor``, ``declared_as_of``, ``disagrees``.

    """
    if not 0.5 <= dominance <= 1:
        raise UsageError("dominance must be between 0.5 and 1.")
    if min_events < 1 or window_days < 1:
        raise UsageError("min_events and window_days must be at least 1.")
    table = actor_table.resolve(actors) if actors is not None else None
    require_columns(incidents, ("event_date", "event_type", "actor1"))
    if "actor2" not in incidents.columns:
        incidents = incidents.assign(actor2="")
    data = assigned(incidents, zones)
    when = window_end(data, as_of)
    age = (when - data["event_date"]).dt.days
    # Only the columns counted here: filtering a wide frame of a million rows copies every column.
    needed = [
        c
        for c in (
            "zone_id",
            "event_type",
            "actor1",
            "actor2",
            "actor1_kind",
            "actor2_kind",
            "actor1_original",
            "actor2_original",
        )
        if c in data.columns
    ]
    window = data[needed][((data["assignment"] == "exact") & (age >= 0) & (age < window_days)).to_numpy()]
    zone_ids = list(geodata.resolve_zones(zones)["zone_id"])
    zone_index = {zone_id: i for i, zone_id in enumerate(zone_ids)}
    zone_code = window["zone_id"].astype(str).map(zone_index).fillna(-1).astype(int).to_numpy()
    keep = zone_code >= 0
    name1, kind1 = _kinds(window, "actor1", table)
    name2, kind2 = _kinds(window, "actor2", table)
    battle = window["event_type"].astype(str).eq("Battles").to_numpy()
    protest = window["event_type"].astype(str).eq("Protests").to_numpy()
    acts1 = keep & ~protest
    acts2 = keep & battle
    event = np.arange(len(window))
    # One row per (event, acting actor); an actor on both sides of one event counts once.
    sides = pd.DataFrame(
        {
            "event": np.concatenate([event[acts1], event[acts2]]),
            "zone": np.concatenate([zone_code[acts1], zone_code[acts2]]),
            "name": np.concatenate([name1[acts1], name2[acts2]]),
            "kind": np.concatenate([kind1[acts1], kind2[acts2]]),
        }
    ).drop_duplicates(["event", "name"])
    n_zones = len(zone_ids)
    events = np.bincount(zone_code[keep], minlength=n_zones)

    def events_with(mask: np.ndarray) -> np.ndarray:
        hit = sides[mask].drop_duplicates("event")
        return np.bincount(hit["zone"].to_numpy(dtype=np.int64), minlength=n_zones)

    kinds = sides["kind"].to_numpy()
    armed_events = events_with(np.isin(kinds, actor_table.ARMED_KINDS))
    unidentified = events_with(kinds == "unidentified_armed_group")
    state_events = events_with(kinds == "state")
    named = sides[kinds == "armed_group"]
    per_group = named.groupby(["zone", "name"]).size().reset_index(name="n")
    # Most events first, then the name that sorts first: a deterministic leader per zone.
    per_group = per_group.sort_values(["zone", "n", "name"], ascending=[True, False, True], kind="stable")
    leaders = per_group.drop_duplicates("zone").set_index("zone")
    coalition = _coalitions(actor_table.of(incidents, table))
    rows = []
    for i, zone_id in enumerate(zone_ids):
        total = int(armed_events[i])
        lead = leaders.loc[i] if i in leaders.index else None
        share = float(lead["n"]) / total if lead is not None and total else 0.0
        unknown_share = float(unidentified[i]) / total if total else 0.0
        holder, holder_kind = "", ""
        if total < min_events:
            status = "unknown"
        elif share >= dominance:
            assert lead is not None  # a share above zero needs a leader
            status, holder, holder_kind = "gang", str(lead["name"]), "named"
        elif unknown_share >= dominance:
            status, holder_kind = "gang", "unidentified"
        else:
            status = "contested"
        leading = str(lead["name"]) if lead is not None else ""
        rows.append(
            {
                "zone_id": zone_id,
                "events": int(events[i]),
                "armed_events": total,
                "leading_actor": leading,
                "leading_coalition": coalition.get(leading, ""),
                "leading_share": round(share, 3),
                "unidentified_share": round(unknown_share, 3),
                "holder": holder,
                "holder_kind": holder_kind,
                "state_events": int(state_events[i]),
                "state_share": round(float(state_events[i]) / events[i], 3) if events[i] else 0.0,
                "inferred_status": status,
                "inferred_confidence": "high" if total >= 30 else "medium" if total >= 10 else "low",
            }
        )
    out = pd.DataFrame(rows)
    if declared is not None:
        snapshot = control_as_of(declared, when).set_index("zone_id")
        # Mapped through dicts: an empty snapshot then gives text columns, not float NaN to fill.
        statuses = dict(zip(snapshot.index, snapshot["status"], strict=True))
        declared_actors = dict(zip(snapshot.index, snapshot["actor"], strict=True))
        out["declared_status"] = [statuses.get(z, "unknown") for z in out["zone_id"]]
        out["declared_actor"] = [declared_actors.get(z, "") for z in out["zone_id"]]
        # No row dated by then leaves an empty snapshot: every zone is then "unknown", with no date.
        dated = dict(zip(snapshot.index, snapshot["as_of"], strict=True))
        out["declared_as_of"] = pd.to_datetime(out["zone_id"].map(dated)).astype("datetime64[ns]")
        both = (out["declared_status"] != "unknown") & (out["inferred_status"] != "unknown")
        out["disagrees"] = both & (out["declared_status"] != out["inferred_status"])
    out.attrs["katye_method"] = {
        "as_of": str(when.date()),
        "window_days": window_days,
        "min_events": min_events,
        "dominance": dominance,
        "rule": "named armed group's share of armed-group events; state presence apart",
    }
    return out


def _coalitions(table) -> dict[str, str]:
    """Normalised actor name → coalition, from the actor table."""
    table = actor_table.resolve(table)
    rows = table[table["coalition"] != ""]
    return dict(zip(rows["actor"], rows["coalition"], strict=True))
