"""A fake of ACLED's API on 127.0.0.1, for katye's tests: the documented endpoints and their failures.

- ``POST /oauth/token``: form ``client_id=acled`` with ``grant_type=password`` (``username``,
  ``password``) or ``grant_type=refresh_token`` (``refresh_token``); answers ``token_type``,
  ``expires_in``, ``access_token``, ``refresh_token``; a wrong password is HTTP 400
  ``invalid_grant`` (whose text echoes the password, so tests can see katye never repeats it).
- ``GET /api/acled/read``: Bearer token; ``country``, ``event_date`` with ``event_date_where``
  (``BETWEEN`` ``a|b``, ``>=``, ``=``), ``timestamp`` with ``timestamp_where`` (``>=`` by default),
  ``limit`` (5000 by default), ``page``, ``with_total`` (adds ``count`` and ``total_count``); rows
  newest date first, as ACLED sends them.
- ``GET /api/deleted/read``: Bearer token; ``deleted_timestamp`` (``>=``), ``limit``, ``page``.

Failures are queued per path with :meth:`FakeAcled.fail`: a status with headers (429 with
``Retry-After``, 503 …), a body that is not JSON, or a page cut short. :meth:`FakeAcled.revoke`
makes every token issued so far answer 401 (a token expired on the server's clock).
Everything runs in one daemon thread; each test's requests are bounded by katye's timeouts.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

USERNAME = "analyst@example.org"
PASSWORD = "Pa55-word+with=odd&chars"  # characters that form encoding changes, to test the scrubbing


@dataclass
class Failure:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    short: bool = False  # serve the page with half its rows


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    authorization: str
    status: int = 0


class FakeAcled:
    """ACLED's API in a thread on 127.0.0.1; use as a context manager."""

    def __init__(self, events: list[dict[str, Any]] | None = None, *, expires_in: int = 86400) -> None:
        self.events: dict[str, dict[str, Any]] = {str(e["event_id_cnty"]): dict(e) for e in events or []}
        self.deleted: list[dict[str, str]] = []
        self.expires_in = expires_in
        self.seen: list[Seen] = []
        self.on_read: Callable[[Seen], None] | None = None  # called after each answered page of events
        self.failures: dict[str, deque[Failure]] = {}
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.issued = 0
        stamps = [int(e["timestamp"]) for e in self.events.values() if str(e.get("timestamp", "")).isdigit()]
        self.clock = max([*stamps, 1_700_000_000])
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeAcled:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- the test's controls -------------------------------------------------------------------

    def fail(self, path: str, *, times: int = 1, **failure: Any) -> None:
        """The next ``times`` requests to ``path`` get this failure instead of their answer."""
        queue = self.failures.setdefault(path, deque())
        queue.extend(Failure(**failure) for _ in range(times))

    def tick(self) -> int:
        self.clock += 60
        return self.clock

    def change(self, event_id: str, **values: Any) -> None:
        """ACLED edits (or adds) an event: its timestamp moves on."""
        row = self.events.setdefault(event_id, {"event_id_cnty": event_id})
        row.update(values, timestamp=str(self.tick()))

    def delete(self, event_id: str) -> None:
        self.events.pop(event_id)
        self.deleted.append({"event_id_cnty": event_id, "deleted_timestamp": str(self.tick())})

    def revoke(self, *, refresh: bool = False) -> None:
        """Every access token issued so far expires (and with ``refresh``, every refresh token)."""
        self.access.clear()
        if refresh:
            self.refresh.clear()

    def count(self, path: str, **form: str) -> int:
        return sum(1 for s in self.seen if s.path == path and all(s.form.get(k) == v for k, v in form.items()))

    # -- the endpoints -------------------------------------------------------------------------

    def answer(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.seen.append(seen)
            seen.status, headers, body = self._answer(seen)
        if seen.path == "/api/acled/read" and seen.status == 200 and self.on_read is not None:
            self.on_read(seen)
        return seen.status, headers, body

    def _answer(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        queue = self.failures.get(seen.path)
        failure = queue.popleft() if queue else None
        if failure is not None and not failure.short:
            body = failure.body if failure.body is not None else json.dumps({"error": "injected"}).encode()
            return failure.status, failure.headers, body
        if seen.path == "/oauth/token" and seen.method == "POST":
            return self._token(seen.form)
        if seen.method != "GET" or seen.path not in ("/api/acled/read", "/api/deleted/read"):
            return 404, {}, b'{"message": "not found"}'
        if seen.authorization.removeprefix("Bearer ") not in self.access:
            return 401, {}, b'{"message": "Unauthorized"}'
        rows = self._read(seen.query) if seen.path == "/api/acled/read" else self._deletions(seen.query)
        return self._page(rows, seen.query, short=failure is not None)

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if form.get("client_id") != "acled":
            return _oauth_error("invalid_client", "unknown client")
        grant = form.get("grant_type")
        if grant == "password":
            if form.get("username") != USERNAME or form.get("password") != PASSWORD:
                # Echo what was sent: katye must never repeat a server's text that holds the password.
                return _oauth_error("invalid_grant", f"wrong credentials for password {form.get('password')}")
        elif grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh:
                return _oauth_error("invalid_grant", f"refresh token {form.get('refresh_token')} is invalid")
            self.refresh.discard(form["refresh_token"])
        else:
            return _oauth_error("unsupported_grant_type", str(grant))
        self.issued += 1
        access, refresh = f"access-{self.issued}-x9", f"refresh-{self.issued}-y8"
        self.access.add(access)
        self.refresh.add(refresh)
        answer = {
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "access_token": access,
            "refresh_token": refresh,
        }
        return 200, {}, json.dumps(answer).encode()

    def _read(self, query: dict[str, str]) -> list[dict[str, Any]]:
        rows = list(self.events.values())
        if "country" in query:  # ACLED's text filters may match by part: "Niger" also finds "Nigeria"
            rows = [r for r in rows if query["country"] in r.get("country", "")]
        if "event_date" in query:
            rows = [r for r in rows if _where(r["event_date"], query["event_date"], query.get("event_date_where", "="))]
        if "timestamp" in query:
            rows = [
                r
                for r in rows
                if _where(int(r["timestamp"]), int(query["timestamp"]), query.get("timestamp_where", ">="))
            ]
        return sorted(rows, key=lambda r: (r["event_date"], r["event_id_cnty"]), reverse=True)

    def _deletions(self, query: dict[str, str]) -> list[dict[str, Any]]:
        since = int(query.get("deleted_timestamp", 0))
        return [d for d in self.deleted if int(d["deleted_timestamp"]) >= since]

    def _page(self, rows: list[dict[str, Any]], query: dict[str, str], *, short: bool) -> tuple[int, dict, bytes]:
        limit, page = int(query.get("limit", 5000)), int(query.get("page", 1))
        chosen = rows[(page - 1) * limit : page * limit] if limit else rows
        if short:
            chosen = chosen[: len(chosen) // 2]
        answer: dict[str, Any] = {"status": 200, "success": True, "last_update": 0, "data": chosen}
        if query.get("with_total") == "true":
            answer |= {"count": len(chosen), "total_count": len(rows)}
        return 200, {}, json.dumps(answer).encode()


def _where(value: Any, wanted: Any, how: str) -> bool:
    if how == "BETWEEN":
        low, high = str(wanted).split("|")
        return low <= value <= high
    if how == ">=":
        return value >= wanted
    return value == wanted


def _oauth_error(code: str, text: str) -> tuple[int, dict[str, str], bytes]:
    return 400, {}, json.dumps({"error": code, "error_description": text, "message": text}).encode()


def _handler(fake: FakeAcled) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 5  # a stuck client cannot hold the server's thread

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()} if length else {}
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            seen = Seen(self.command, parts.path, query, form, self.headers.get("Authorization", ""))
            status, headers, body = fake.answer(seen)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _serve  # noqa: N815 (http.server's names)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests read katye's output
            pass

    return Handler
