"""The local copy of one country's ACLED events: a CSV in ACLED's export layout beside a small state file.

The copy lives in the user's data folder (``platformdirs``), never in a repository: ACLED's data
is licensed to the account that downloads it and may not be redistributed. The folder is the
user's alone (mode 0700) and holds a ``.gitignore`` that ignores everything, in case someone
points it inside a repository. Neither file holds the password, a token or the username.

Merging follows ACLED's guide to keeping a dataset current, as acledR's ``acled_update`` does it: an
event re-sent with a newer ``timestamp`` replaces the held one (its ``event_id_cnty`` stays the
same), and an event in the deleted endpoint's list is removed
(https://dtacled.github.io/acledR/articles/acled_update.html).
"""

from __future__ import annotations

import csv
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import platformdirs

from katye.errors import InputError, UsageError

#: Overrides the folder that holds the ACLED copies (one sub-folder per country).
DIR_ENV = "KATYE_ACLED_DIR"
EVENTS_FILE = "events.csv"
STATE_FILE = "state.json"
STATE_VERSION = 1
_GITIGNORE = (
    "# ACLED data, licensed to the account that downloaded it: not for redistribution\n"
    "# (https://acleddata.com/terms-of-use). Keep it out of every repository.\n*\n"
)


def root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder of the ACLED copies: ``cache_dir``, else ``$KATYE_ACLED_DIR``, else the user's data folder."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get(DIR_ENV):
        return Path(os.environ[DIR_ENV]).expanduser()
    return platformdirs.user_data_path("katye", appauthor=False) / "acled"


def slug(country: str) -> str:
    """``haiti`` for "Haiti", ``cote-d-ivoire`` for "Côte d'Ivoire": a folder name for a country."""
    plain = unicodedata.normalize("NFKD", country).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    if not name:
        raise UsageError(f"country {country!r}: give ACLED's name of a country, e.g. Haiti.")
    return name


def folder(country: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder of one country's copy."""
    return root(cache_dir) / slug(country)


@dataclass(frozen=True)
class State:
    """What a copy holds: the country, its first day, and how far ACLED's changes have been taken in.

    ``last_timestamp`` is the newest ACLED ``timestamp`` in the copy (the next pull asks for events
    changed at or after it); ``last_deleted_timestamp`` is how far the deletions have been read.
    """

    country: str
    since: str
    last_timestamp: int
    last_deleted_timestamp: int
    events: int
    pulled_at: str
    base_url: str
    version: int = STATE_VERSION


def read_state(where: Path) -> State | None:
    """The state of the copy in ``where``, None when there is no copy yet."""
    path = where / STATE_FILE
    if not path.is_file() or not (where / EVENTS_FILE).is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        names = {f.name for f in fields(State)}
        state = State(**{k: v for k, v in data.items() if k in names})
        if state.version != STATE_VERSION or not isinstance(state.last_timestamp, int):
            raise ValueError(f"version {state.version}")
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(
            f"{path}: katye cannot read the state of this ACLED copy ({exc}). Pull again with --full "
            "(the CLI) or full=True, which rebuilds the copy."
        ) from exc
    return state


def prepare(where: Path) -> None:
    """Make the copy's folder, the user's alone, with a ``.gitignore`` that keeps it out of repositories."""
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        ignore = where / ".gitignore"
        if not ignore.exists():
            ignore.write_text(_GITIGNORE, encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"{where}: katye cannot make the ACLED copy's folder there ({exc.strerror or exc}). Choose another "
            f"with --cache-dir or {DIR_ENV}."
        ) from exc


def write_state(where: Path, state: State) -> Path:
    """Write the copy's state (no secret: country, days, timestamps, counts, address)."""
    from katye.output import atomic_path

    path = where / STATE_FILE
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(asdict(state), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.chmod(0o600)
    return path


def read_events(path: Path) -> dict[str, dict[str, str]]:
    """The events of a copy, by ``event_id_cnty``."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return {row["event_id_cnty"]: row for row in csv.DictReader(handle)}
    except (OSError, KeyError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(
            f"{path}: katye cannot read this ACLED copy ({exc!r}). Pull again with --full (the CLI) or "
            "full=True, which rebuilds it."
        ) from exc


def write_events(path: Path, events: Iterable[Mapping[str, Any]]) -> Path:
    """Write the events in ACLED's export layout, sorted by date then id: the same copy gives the same bytes."""
    # Loaded here: katye.incidents brings pandas and geopandas, which `katye acled status` does without.
    from katye.incidents.schema import ACLED_CURRENT
    from katye.output import atomic_path

    rows = sorted(events, key=lambda r: (str(r.get("event_date", "")), str(r["event_id_cnty"])))
    present = {name for row in rows for name in row}
    columns = [c for c in ACLED_CURRENT if c in present] + sorted(present - set(ACLED_CURRENT))
    if not rows:
        columns = list(ACLED_CURRENT)
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([_text(row.get(c)) for c in columns] for row in rows)
        tmp.chmod(0o600)  # the account's licensed data: for the user alone
    return path


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def stamp(row: Mapping[str, Any], column: str = "timestamp") -> int:
    """An ACLED ``timestamp`` (Unix seconds) as an int, or an :class:`InputError` naming the event."""
    value = row.get(column)
    try:
        return int(str(value).strip())
    except ValueError:
        raise InputError(
            f"ACLED sent event {row.get('event_id_cnty')!r} with {column} {value!r}, not Unix seconds; katye "
            "cannot tell which version is newer. Try again later; the local copy was not changed."
        ) from None


@dataclass(frozen=True)
class Merge:
    """How a pull changed the copy."""

    added: int
    updated: int
    unchanged: int
    deleted: int


def merge(
    held: Mapping[str, Mapping[str, Any]],
    received: Iterable[Mapping[str, Any]],
    deletions: Iterable[Mapping[str, Any]] = (),
) -> tuple[dict[str, dict[str, Any]], Merge]:
    """The copy after a pull: ``received`` events replace older versions, then ``deletions`` are removed.

    The held and received mappings are not changed. An event re-sent with an older ``timestamp`` than
    the one held keeps the held version; a deletion older than the version held (the event came back
    under its id) leaves it.
    """
    out = {key: dict(row) for key, row in held.items()}
    added = updated = unchanged = 0
    for row in received:
        key = str(row["event_id_cnty"])
        before = out.get(key)
        if before is None:
            added += 1
        elif stamp(row) > stamp(before):
            updated += 1
        else:
            unchanged += 1
            if stamp(row) < stamp(before):
                continue
        out[key] = dict(row)
    deleted = 0
    for gone in deletions:
        key = str(gone.get("event_id_cnty", ""))
        at = deleted_at(gone)
        if key in out and (at is None or at >= stamp(out[key])):
            del out[key]
            deleted += 1
    return out, Merge(added=added, updated=updated, unchanged=unchanged, deleted=deleted)


def deleted_at(row: Mapping[str, Any]) -> int | None:
    """When ACLED deleted an event (Unix seconds); None when unreadable, and the deletion then counts anyway."""
    try:
        return int(str(row.get("deleted_timestamp")).strip())
    except ValueError:
        return None
