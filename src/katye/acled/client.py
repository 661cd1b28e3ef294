"""ACLED's API: a token, the events of one country page by page, and the events ACLED deleted.

The endpoints and parameters follow ACLED's documentation and ACLED's own R package, acledR:

- token: ``POST https://acleddata.com/oauth/token``, form-encoded ``username``, ``password``,
  ``grant_type=password``, ``client_id=acled``; the answer holds ``access_token``, ``expires_in``,
  ``refresh_token``, ``token_type`` ("Bearer"). Sources: ACLED's PowerBI guide
  (https://acleddata.com/api-documentation/importing-data-acled-api-powerbi), acledR's
  ``R/acled_auth.R`` (``httr2::oauth_client("acled", "https://acleddata.com/oauth/token")``), the
  getting-started guide (https://acleddata.com/api-documentation/getting-started). The
  ``grant_type=refresh_token`` request is RFC 6749 section 6; ACLED's lifetimes (24 h access, 14 days
  refresh) come from a summary of the getting-started guide that could not be checked against
  ACLED's own text here, so katye trusts only the ``expires_in`` each answer gives, and falls back to
  the password grant when a refresh is refused.
- events: ``GET https://acleddata.com/api/acled/read?_format=json`` with ``country=``,
  ``event_date=START|END&event_date_where=BETWEEN``, ``timestamp=N&timestamp_where=>=``, ``limit``
  and ``page`` (acledR's ``R/acled_api.R``; limits and pagination:
  https://acleddata.com/api-documentation/elements-acleds-api). JSON answers carry the rows in
  ``data``. ``with_total=true`` adds ``count`` (rows in this page) and ``total_count`` (rows matching,
  ignoring ``limit`` and ``page``): ACLED's announcement of the parameter, quoted in
  https://github.com/forecastingresearch/forecastbench/issues/188.
- deletions: ``GET https://acleddata.com/api/deleted/read?_format=json`` with
  ``deleted_timestamp=N&deleted_timestamp_where=>=``; rows of ``event_id_cnty`` and
  ``deleted_timestamp`` (https://acleddata.com/api-documentation/deleted-endpoint, acledR's
  ``R/acled_deletions_api.R``).

ACLED documents no rate limit and no ``Retry-After``; katye treats HTTP 429 and 5xx as HTTP says
(RFC 9110 section 10.2.3): it waits as long as ``Retry-After`` asks, or backs off exponentially, a
bounded number of times.

The password and the tokens live only in memory: no message, log line, ``repr`` or file holds them.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, urlsplit

import requests

from katye import __version__
from katye.errors import InputError, UsageError

log = logging.getLogger("katye.acled")

DEFAULT_BASE_URL = "https://acleddata.com"
TOKEN_PATH = "/oauth/token"
READ_PATH = "/api/acled/read"
DELETED_PATH = "/api/deleted/read"
CLIENT_ID = "acled"
#: ACLED's default and documented page size.
PAGE_SIZE = 5000
#: The environment variables katye reads the myACLED account from.
USERNAME_ENV = "ACLED_USERNAME"
PASSWORD_ENV = "ACLED_PASSWORD"
#: Answers worth waiting for: too many requests, and the server's own failures.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Renew an access token this many seconds before ACLED says it expires (clocks drift, pages take time),
#: or a tenth of its lifetime when that is shorter.
REFRESH_MARGIN_S = 300.0
#: When a token answer has no ``expires_in``: assume an hour, and let a 401 say otherwise.
ASSUMED_LIFETIME_S = 3600.0
ENDPOINTS = {TOKEN_PATH: "token", READ_PATH: "read", DELETED_PATH: "deleted"}


class AcledError(InputError):
    """ACLED's API did not give what katye needs: refused, unreachable, or an answer katye cannot read."""


class AcledAuthError(AcledError):
    """ACLED refused the account's username and password, or its access."""


@dataclass(frozen=True)
class Credentials:
    """A myACLED account. The password never appears in ``repr``, messages or files."""

    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.username.strip() or not self.password:
            raise UsageError(
                f"the ACLED username and password must both be given (set {USERNAME_ENV} and {PASSWORD_ENV}, "
                "or type them when katye asks)."
            )

    @classmethod
    def from_env(cls, environ: dict[str, str] | os._Environ[str] | None = None) -> Credentials | None:
        """The account in ``ACLED_USERNAME`` and ``ACLED_PASSWORD``, or None when either is unset or empty."""
        env = os.environ if environ is None else environ
        username, password = env.get(USERNAME_ENV, ""), env.get(PASSWORD_ENV, "")
        return cls(username, password) if username.strip() and password else None


@dataclass
class _Token:
    access: str = field(repr=False)
    refresh: str | None = field(repr=False)
    renew_at: float  # on the client's clock: a little before ACLED says the token expires


def check_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash, or a :class:`UsageError` for a URL that would leak the password.

    A password goes only over HTTPS, or over plain HTTP to this machine's loopback address (a
    test server): never in clear text across a network.
    """
    url = base_url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _loopback(parts.hostname):
        return url
    raise UsageError(
        f"ACLED base URL {base_url!r}: katye sends your password only over https:// (or http:// to "
        f"127.0.0.1 / localhost for a test server). Use {DEFAULT_BASE_URL}."
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class AcledClient:
    """Talks to ACLED's API for one account: tokens, retries, pages.

    Parameters
    ----------
    credentials : Credentials
        The myACLED account.
    base_url : str, default "https://acleddata.com"
        Where the API lives (a test server on 127.0.0.1 in katye's tests).
    timeout : (float, float), default (10, 120)
        Seconds to connect and to wait for each answer.
    max_retries : int, default 5
        Retries of one request after HTTP 429, 5xx or a lost connection, before giving up.
    backoff_s : float, default 1
        First wait after a 5xx or a lost connection, doubled each retry, at most ``max_wait_s``.
    max_wait_s : float, default 300
        The longest single wait; a ``Retry-After`` asking more is an error saying how long to wait.
    page_size : int, default 5000
        Rows per page (ACLED's ``limit``).
    sleep, clock, wall_clock : callable
        ``time.sleep``, ``time.monotonic`` and ``time.time`` unless given (tests pass their own).
    session : requests.Session, optional
        The HTTP session; a new one by default.

    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: tuple[float, float] = (10.0, 120.0),
        max_retries: int = 5,
        backoff_s: float = 1.0,
        max_wait_s: float = 300.0,
        page_size: int = PAGE_SIZE,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        if page_size < 1:
            raise UsageError(f"page_size={page_size}: must be at least 1 (ACLED's default is {PAGE_SIZE}).")
        self.credentials = credentials
        self.base_url = check_base_url(base_url)
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self.page_size = int(page_size)
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        self._wall = wall_clock or time.time
        self._session = session or requests.Session()
        if _loopback(urlsplit(self.base_url).hostname or ""):
            self._session.trust_env = False  # a loopback server needs no proxy (and must not get one)
        self._session.headers["User-Agent"] = f"katye/{__version__} (+https://pypi.org/project/katye/)"
        self._token: _Token | None = None
        self.requests = 0
        self.retries = 0

    def __repr__(self) -> str:
        return f"AcledClient(username={self.credentials.username!r}, base_url={self.base_url!r})"

    # -- secrets -----------------------------------------------------------------------------

    def _secrets(self) -> list[str]:
        found = [self.credentials.password]
        if self._token is not None:
            found += [self._token.access, self._token.refresh or ""]
        return [s for s in found if s]

    def scrub(self, text: str) -> str:
        """``text`` with the password and tokens (also URL-encoded) replaced by ``***``."""
        for secret in sorted(self._secrets(), key=len, reverse=True):
            for form in {secret, quote_plus(secret)}:
                text = text.replace(form, "***")
        return text

    def _error(self, message: str, kind: type[AcledError] = AcledError) -> AcledError:
        return kind(self.scrub(message))

    # -- HTTP --------------------------------------------------------------------------------

    def _where(self, path: str, page: int | None = None) -> str:
        name = ENDPOINTS.get(path, path)
        at = f", page {page}" if page else ""
        return f"ACLED's {name} endpoint ({self.base_url}{path}{at})"

    def _send(self, method: str, path: str, *, page: int | None = None, **kwargs: Any) -> requests.Response:
        """One request, retried after 429, 5xx and lost connections; any other answer is returned."""
        url = f"{self.base_url}{path}"
        waited = 0.0
        for attempt in range(self.max_retries + 1):
            self.requests += 1
            try:
                response = self._session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                problem = f"no answer ({type(exc).__name__})"
                wait = self._backoff(attempt)
            except requests.RequestException as exc:  # a bad URL, a bad header: asking again cannot help
                raise self._error(f"{self._where(path, page)}: the request failed ({type(exc).__name__}).") from None
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                problem = f"HTTP {response.status_code}"
                asked = retry_after(response.headers.get("Retry-After"), now=self._wall())
                wait = self._backoff(attempt) if asked is None else asked
                if asked is not None and asked > self.max_wait_s:
                    raise self._error(
                        f"{self._where(path, page)} answered {problem} and asks katye to wait {asked:,.0f} s "
                        f"(Retry-After), more than the {self.max_wait_s:,.0f} s katye waits at once. Try again "
                        f"in {math.ceil(asked / 60):,} minutes; the local copy was not changed."
                    )
            if attempt == self.max_retries:
                break
            log.warning(
                "%s: %s; waiting %.0f s before try %d of %d",
                self._where(path, page),
                problem,
                wait,
                attempt + 2,
                self.max_retries + 1,
            )
            self.retries += 1
            waited += wait
            self._sleep(wait)
        raise self._error(
            f"{self._where(path, page)}: {problem} on each of {self.max_retries + 1} tries, over "
            f"{waited:,.0f} s of waiting. ACLED may be busy or under maintenance: try again later; the local "
            "copy was not changed."
        )

    def _backoff(self, attempt: int) -> float:
        return float(min(self.max_wait_s, self.backoff_s * 2**attempt))

    def _json(self, response: requests.Response, path: str, page: int | None = None) -> dict[str, Any]:
        try:
            body = json.loads(response.content)  # bytes: JSON's own encoding rules, whatever the headers say
        except ValueError as exc:
            start = self.scrub(_text(response))[:60].encode("unicode_escape").decode("ascii")
            raise self._error(
                f"{self._where(path, page)} answered HTTP {response.status_code} with text that is not JSON "
                f"({exc}; it starts {start!r}). ACLED may be under maintenance: try again later; the local copy "
                "was not changed."
            ) from None
        if not isinstance(body, dict):
            raise self._error(
                f"{self._where(path, page)} answered with JSON katye does not know (a {type(body).__name__}, "
                "not an object). Try again later; if it persists, report it to katye."
            )
        return body

    # -- tokens ------------------------------------------------------------------------------

    def access_token(self) -> str:
        """A valid access token: the one held, renewed before it expires, or a new one."""
        token = self._token
        if token is not None and self._clock() < token.renew_at:
            return token.access
        if token is not None and token.refresh:
            renewed = self._grant({"grant_type": "refresh_token", "refresh_token": token.refresh}, refusable=True)
            if renewed is not None:
                log.info("ACLED access token renewed with the refresh token")
                return renewed.access
            log.info("ACLED refused the refresh token; logging in again")
        log.info("ACLED: logging in with the account's password")
        grant = {"grant_type": "password", "username": self.credentials.username, "password": self.credentials.password}
        token = self._grant(grant, refusable=False)
        assert token is not None  # refusable=False raises instead
        return token.access

    def _grant(self, form: dict[str, str], *, refusable: bool) -> _Token | None:
        response = self._send("POST", TOKEN_PATH, data={**form, "client_id": CLIENT_ID})
        if response.status_code in (400, 401, 403) and refusable:
            return None
        if response.status_code in (400, 401):
            reason = self._oauth_reason(response)
            raise self._error(
                f"{self._where(TOKEN_PATH)} refused the username or password (HTTP {response.status_code}"
                f"{reason}). Check {USERNAME_ENV} and {PASSWORD_ENV} (your myACLED e-mail and password); you "
                "can test them by logging in at https://acleddata.com.",
                AcledAuthError,
            )
        if response.status_code == 403:
            raise self._error(_denied(self._where(TOKEN_PATH)), AcledAuthError)
        if response.status_code != 200:
            raise self._error(f"{self._where(TOKEN_PATH)} answered HTTP {response.status_code}; try again later.")
        body = self._json(response, TOKEN_PATH)
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise self._error(f"{self._where(TOKEN_PATH)} answered without an access_token; try again later.")
        refresh = body.get("refresh_token")
        try:
            lifetime = float(body.get("expires_in", ASSUMED_LIFETIME_S))
        except (TypeError, ValueError):
            lifetime = ASSUMED_LIFETIME_S
        margin = min(REFRESH_MARGIN_S, lifetime / 10)
        refresh = refresh if isinstance(refresh, str) and refresh else None
        self._token = _Token(access, refresh, self._clock() + lifetime - margin)
        return self._token

    def _oauth_reason(self, response: requests.Response) -> str:
        """``: invalid_grant`` from an OAuth error answer, never the answer's free text (it might echo input)."""
        try:
            code = json.loads(response.content).get("error")
        except (ValueError, AttributeError):
            return ""
        return f": {code}" if isinstance(code, str) and code.replace("_", "").isalnum() else ""

    # -- reading -----------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, str], *, page: int | None = None) -> dict[str, Any]:
        """GET a JSON answer with the token; after a 401 renew the token once and ask again."""
        for renewed in (False, True):
            headers = {"Authorization": f"Bearer {self.access_token()}", "Accept": "application/json"}
            response = self._send("GET", path, params=params, headers=headers, page=page)
            if response.status_code != 401:
                break
            if renewed:
                raise self._error(
                    f"{self._where(path, page)} refused a fresh access token (HTTP 401 twice). Check that your "
                    "myACLED account has API access; the local copy was not changed.",
                    AcledAuthError,
                )
            log.info("%s: HTTP 401; renewing the access token", self._where(path, page))
            if self._token is not None:
                self._token.renew_at = -math.inf  # expired, whatever the clock said
        if response.status_code == 403:
            raise self._error(_denied(self._where(path, page)), AcledAuthError)
        if response.status_code != 200:
            raise self._error(
                f"{self._where(path, page)} answered HTTP {response.status_code}{self._messages(response)}. "
                "The local copy was not changed."
            )
        body = self._json(response, path, page)
        if body.get("success") is False or not isinstance(body.get("data"), list):
            raise self._error(
                f"{self._where(path, page)} answered without rows{self._messages(response)}. Try again later; "
                "the local copy was not changed."
            )
        if not all(isinstance(row, dict) for row in body["data"]):
            raise self._error(f"{self._where(path, page)} answered rows that are not objects; try again later.")
        return body

    def _messages(self, response: requests.Response) -> str:
        try:
            body = json.loads(response.content)
        except ValueError:
            return ""
        found = body.get("messages") or body.get("message") or body.get("error") if isinstance(body, dict) else None
        if not found:
            return ""
        text = "; ".join(map(str, found)) if isinstance(found, list) else str(found)
        return f" ({self.scrub(text)[:200]})"  # scrubbed before it is cut: no piece of a secret is left

    def pages(self, path: str, params: dict[str, str], *, with_total: bool = False) -> Iterator[list[dict[str, Any]]]:
        """Every page of a listing, until a page shorter than ``page_size`` (or ``total_count`` is reached)."""
        total: int | None = None
        fetched = 0
        page = 1
        while True:
            query = {**params, "limit": str(self.page_size), "page": str(page)}
            if with_total and page == 1:
                query["with_total"] = "true"
            body = self.get(path, query, page=page)
            rows = body["data"]
            if page == 1 and with_total:
                total = _count(body.get("total_count"))
            fetched += len(rows)
            log.info("%s: %d rows%s", self._where(path, page), len(rows), f" of {total:,}" if total else "")
            yield rows
            if len(rows) < self.page_size or (total is not None and fetched >= total):
                break
            page += 1
        if total is not None and fetched < total:
            raise self._error(
                f"{self._where(path, page)} sent {fetched:,} rows over {page} pages but said {total:,} match "
                "(total_count): a page came back short. ACLED may have been updating; run the pull again, the "
                "local copy was not changed."
            )


def _text(response: requests.Response) -> str:
    return response.content.decode("utf-8", errors="replace")


def _count(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _denied(where: str) -> str:
    return (
        f"{where} denied access (HTTP 403). Your myACLED account may not have API access yet, or ACLED's terms "
        "of use may be waiting for you: log in at https://acleddata.com, accept the terms, complete your profile, "
        "or ask access@acleddata.com."
    )
