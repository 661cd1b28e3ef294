"""Keep a local copy of ACLED's events for a country current through ACLED's API.

The first pull fetches every event of the country since a day; each later pull asks only for the
events ACLED added or changed since the copy's newest ``timestamp``, and for the events ACLED
deleted since, and merges them in. The copy is a CSV in ACLED's export layout that
:func:`katye.read_incidents` reads like any export.

>>> import katye
>>> result = katye.acled.pull("Haiti", since="2024-01-01")       # doctest: +SKIP
>>> incidents, rejected, report = katye.read_incidents(result.path)  # doctest: +SKIP

See :mod:`katye.acled.client` for the endpoints and their sources.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from katye.acled import cache
from katye.acled.client import (
    DEFAULT_BASE_URL,
    DELETED_PATH,
    PASSWORD_ENV,
    READ_PATH,
    USERNAME_ENV,
    AcledAuthError,
    AcledClient,
    AcledError,
    Credentials,
)
from katye.errors import UsageError, plural

log = logging.getLogger("katye.acled")

__all__ = [
    "AcledAuthError",
    "AcledClient",
    "AcledError",
    "Credentials",
    "PullResult",
    "cache_path",
    "pull",
    "status",
]


@dataclass(frozen=True)
class PullResult:
    """What a pull did: the copy's file, and how many events came, changed and went."""

    country: str
    path: Path
    since: str
    full: bool
    received: int
    added: int
    updated: int
    unchanged: int
    deleted: int
    events: int
    last_timestamp: int
    requests: int
    retries: int

    def lines(self) -> list[str]:
        """The result in words, for the command line."""
        if self.full:
            came = f"{plural(self.received, 'event')} received (full pull)."
        else:
            came = (
                f"{plural(self.received, 'event')} received: {self.added:,} new, {self.updated:,} updated, "
                f"{self.unchanged:,} already held; {self.deleted:,} deleted."
            )
        newest = dt.datetime.fromtimestamp(self.last_timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        newest = newest if self.last_timestamp else "none yet"
        tries = plural(self.requests, "request") + (
            f", {self.retries:,} {'retry' if self.retries == 1 else 'retries'}" if self.retries else ""
        )
        return [
            f"ACLED {self.country} since {self.since}: {came}",
            f"Local copy: {plural(self.events, 'event')}, ACLED changes taken in up to {newest} ({tries}).",
            f"  {self.path}",
        ]


def cache_path(country: str, *, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The CSV that holds the local copy of ``country``'s events (it may not exist yet)."""
    return cache.folder(country, cache_dir) / cache.EVENTS_FILE


def status(country: str, *, cache_dir: str | os.PathLike[str] | None = None) -> cache.State | None:
    """The state of ``country``'s local copy, None when katye holds none."""
    return cache.read_state(cache.folder(country, cache_dir))


def pull(
    country: str,
    *,
    since: str | dt.date | None = None,
    credentials: Credentials | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    full: bool = False,
    base_url: str = DEFAULT_BASE_URL,
    today: dt.date | None = None,
    client: AcledClient | None = None,
    **client_options: Any,
) -> PullResult:
    """Bring the local copy of ``country``'s ACLED events up to date.

    Parameters
    ----------
    country : str
        ACLED's name of the country, e.g. ``"Haiti"``.
    since : str or date, optional
        First day of events (YYYY-MM-DD). Needed on the first pull; later pulls keep the copy's
        first day, unless ``since`` is earlier, which fetches the whole range again.
    credentials : Credentials, optional
        The myACLED account; by default from ``ACLED_USERNAME`` and ``ACLED_PASSWORD``.
    cache_dir : path, optional
        The folder of the copies; by default ``$KATYE_ACLED_DIR`` or the user's data folder
        (``~/.local/share/katye/acled`` on Linux).
    full : bool, default False
        Fetch everything again instead of only the changes.
    base_url : str, default "https://acleddata.com"
        The API's address.
    today : date, optional
        The last day asked for; today (UTC) by default.
    client : AcledClient, optional
        A client to use instead of a new one (``credentials`` and ``client_options`` then unused).
    **client_options
        Passed to :class:`AcledClient`: ``timeout``, ``max_retries``, ``max_wait_s``, ``page_size`` …

    Returns
    -------
    PullResult
        The copy's path and counts.

    Raises
    ------
    UsageError
        No credentials, no ``since`` on a first pull, or an unsafe ``base_url``.
    AcledError
        ACLED refused, kept failing, or answered something katye cannot read. The copy is then
        left as it was: it changes only when a pull completes.

    """
    from katye.dates import as_day

    where = cache.folder(country, cache_dir)
    state = None if full else cache.read_state(where)
    asked = as_day(since, what="since").strftime("%Y-%m-%d") if since is not None else None
    if state is None and asked is None:
        raise UsageError(
            f"katye holds no ACLED copy of {country} in {where}: the first pull needs --since (the first "
            "day of events to fetch, YYYY-MM-DD)."
        )
    incremental = state is not None and (asked is None or asked >= state.since)
    first_day = state.since if incremental and state is not None else str(asked)
    if state is not None and not incremental:
        log.warning("the copy starts on %s; fetching everything since %s", state.since, first_day)
    last_day = (today or dt.datetime.now(dt.UTC).date()).strftime("%Y-%m-%d")
    if first_day > last_day:
        raise UsageError(f"since {first_day} is after today ({last_day}): give a day in the past.")

    if client is None:
        credentials = credentials or Credentials.from_env()
        if credentials is None:
            raise UsageError(
                f"no ACLED account: set {USERNAME_ENV} and {PASSWORD_ENV} (your myACLED e-mail and password)."
            )
        client = AcledClient(credentials, base_url=base_url, **client_options)

    query = {
        "_format": "json",
        "country": country,
        "event_date": f"{first_day}|{last_day}",
        "event_date_where": "BETWEEN",
    }
    if incremental and state is not None:
        query |= {"timestamp": str(state.last_timestamp), "timestamp_where": ">="}
    received = _own_country(_rows(client, READ_PATH, query, with_total=True), country)
    deletions: list[dict[str, Any]] = []
    if incremental and state is not None:
        asked_deleted = {
            "_format": "json",
            "deleted_timestamp": str(state.last_deleted_timestamp),
            "deleted_timestamp_where": ">=",
        }
        deletions = _rows(client, DELETED_PATH, asked_deleted)

    held = cache.read_events(where / cache.EVENTS_FILE) if incremental else {}
    events, merged = cache.merge(held, received, deletions)
    newest = max([state.last_timestamp if incremental and state else 0, *(cache.stamp(r) for r in received)])
    # Every deletion up to the newest change read is now known: the next pull asks from there.
    seen = [at for at in map(cache.deleted_at, deletions) if at is not None]
    deleted_to = max([newest, *seen, state.last_deleted_timestamp if incremental and state else 0])

    cache.prepare(where)
    path = cache.write_events(where / cache.EVENTS_FILE, events.values())
    cache.write_state(
        where,
        cache.State(
            country=country,
            since=first_day,
            last_timestamp=newest,
            last_deleted_timestamp=deleted_to,
            events=len(events),
            pulled_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            base_url=client.base_url,
        ),
    )
    return PullResult(
        country=country,
        path=path,
        since=first_day,
        full=not incremental,
        received=len(received),
        added=merged.added,
        updated=merged.updated,
        unchanged=merged.unchanged,
        deleted=merged.deleted,
        events=len(events),
        last_timestamp=newest,
        requests=client.requests,
        retries=client.retries,
    )


def _rows(client: AcledClient, path: str, query: dict[str, str], *, with_total: bool = False) -> list[dict[str, Any]]:
    rows = [row for page in client.pages(path, query, with_total=with_total) for row in page]
    for row in rows:
        if not str(row.get("event_id_cnty") or "").strip():
            raise AcledError(
                f"ACLED's answer from {client.base_url}{path} holds a row without event_id_cnty; katye cannot "
                "merge it. Try again later; the local copy was not changed."
            )
    return rows


def _own_country(rows: list[dict[str, Any]], country: str) -> list[dict[str, Any]]:
    """The rows of ``country`` only: ACLED's text filters may match by part ("Niger" in "Nigeria")."""
    wanted = country.strip().casefold()
    kept = [row for row in rows if str(row.get("country", wanted)).strip().casefold() == wanted]
    if len(kept) < len(rows):
        log.info("left out %s of other countries that ACLED's filter matched", plural(len(rows) - len(kept), "event"))
    return kept
