"""`katye acled pull`: ACLED's API through a fake server on 127.0.0.1, its failures, and the local copy."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import stat
from pathlib import Path

import pytest

import katye
from acled_fake import PASSWORD, USERNAME, FakeAcled
from conftest import REPO
from katye import acled
from katye.acled import cache
from katye.acled.client import AcledAuthError, AcledError, Credentials, check_base_url, retry_after
from katye.errors import InputError, UsageError
from katye.incidents.schema import ACLED_CURRENT
from katye.samples import synthetic_acled
from katye.testing import invoke, run_cli

# Every request has a 5 s timeout and every retry a bounded count; this is the backstop.
pytestmark = pytest.mark.timeout(60)

ACCOUNT = Credentials(USERNAME, PASSWORD)
TODAY = dt.date(2025, 1, 31)
READ, DELETED, TOKEN = "/api/acled/read", "/api/deleted/read", "/oauth/token"


def acled_rows(n: int = 12, *, first_stamp: int = 1_735_000_000) -> list[dict[str, str]]:
    rows = synthetic_acled(n).drop(columns="synthetic").to_dict("records")
    for i, row in enumerate(rows):
        row["timestamp"] = str(first_stamp + i)
    return rows


@pytest.fixture
def server():
    with FakeAcled(acled_rows()) as fake:
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture(autouse=True)
def no_account_in_environment(monkeypatch):
    for name in ("ACLED_USERNAME", "ACLED_PASSWORD", "KATYE_ACLED_DIR", "KATYE_ACLED_URL"):
        monkeypatch.delenv(name, raising=False)


def pull(server: FakeAcled, where: Path, sleeps: list[float] | None = None, **options) -> acled.PullResult:
    options = {"since": "2024-01-01", "credentials": ACCOUNT, "page_size": 5, **options}
    return acled.pull(
        "Haiti",
        cache_dir=where,
        base_url=server.url,
        today=TODAY,
        timeout=(2, 5),
        sleep=(sleeps if sleeps is not None else []).append,
        **options,
    )


def held(where: Path) -> dict[str, dict[str, str]]:
    return cache.read_events(acled.cache_path("Haiti", cache_dir=where))


def pages_asked(server: FakeAcled, path: str = READ) -> list[str]:
    return [s.query["page"] for s in server.seen if s.path == path and s.status == 200]


# -- the first pull ------------------------------------------------------------------------------


def test_first_pull_writes_every_event_in_acled_layout_that_read_incidents_reads(server, tmp_path):
    result = pull(server, tmp_path)
    assert (result.full, result.received, result.added, result.events) == (True, 12, 12, 12)
    assert result.path == tmp_path / "haiti" / "events.csv"
    header = result.path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == list(ACLED_CURRENT)
    incidents, rejected, _ = katye.read_incidents(result.path)
    assert len(incidents) + len(rejected) == 12
    assert set(incidents.event_id) | set(rejected.get("event_id", [])) <= set(held(tmp_path))


def test_first_pull_asks_for_the_country_and_days_with_the_token(server, tmp_path):
    pull(server, tmp_path)
    grant = next(s for s in server.seen if s.path == TOKEN)
    assert grant.form == {"grant_type": "password", "username": USERNAME, "password": PASSWORD, "client_id": "acled"}
    first = next(s for s in server.seen if s.path == READ)
    assert first.authorization == "Bearer access-1-x9"
    assert first.query == {
        "_format": "json",
        "country": "Haiti",
        "event_date": "2024-01-01|2025-01-31",
        "event_date_where": "BETWEEN",
        "limit": "5",
        "page": "1",
        "with_total": "true",
    }


def test_first_pull_needs_a_first_day(server, tmp_path):
    with pytest.raises(UsageError, match="--since"):
        pull(server, tmp_path, since=None)
    assert server.seen == []


def test_the_copy_is_the_same_bytes_from_the_same_answers(server, tmp_path):
    one, two = pull(server, tmp_path / "a"), pull(server, tmp_path / "b")
    assert one.path.read_bytes() == two.path.read_bytes()


def test_events_of_other_countries_that_the_filter_matched_are_left_out(tmp_path):
    rows = acled_rows(4)
    rows[0]["country"] = rows[1]["country"] = "Haiti Sea"  # a name that contains the one asked for
    with FakeAcled(rows) as fake:
        result = pull(fake, tmp_path)
    assert result.events == 2
    assert {r["country"] for r in held(tmp_path).values()} == {"Haiti"}


# -- pages ---------------------------------------------------------------------------------------


def test_a_short_last_page_ends_the_listing(tmp_path):
    with FakeAcled(acled_rows(7)) as fake:
        pull(fake, tmp_path, page_size=3)
        assert pages_asked(fake) == ["1", "2", "3"]  # 3 + 3 + 1: no fourth request
    assert len(held(tmp_path)) == 7


def test_total_count_ends_a_listing_whose_last_page_is_full(tmp_path):
    with FakeAcled(acled_rows(6)) as fake:
        pull(fake, tmp_path, page_size=3)
        assert pages_asked(fake) == ["1", "2"]  # with_total said 6: no empty third page asked


def test_without_a_total_an_empty_page_ends_the_listing(tmp_path):
    rows = acled_rows(6)
    with FakeAcled(rows) as fake:
        pull(fake, tmp_path, page_size=3)
        for row in rows[:3]:
            fake.delete(row["event_id_cnty"])
        pull(fake, tmp_path, page_size=3, since=None)
        assert pages_asked(fake, DELETED) == ["1", "2"]  # 3 deletions fill page 1; page 2 is empty
    assert len(held(tmp_path)) == 3


def test_a_page_cut_short_before_the_total_is_an_error_and_the_copy_stays(server, tmp_path):
    pull(server, tmp_path)
    before = acled.cache_path("Haiti", cache_dir=tmp_path).read_bytes()
    server.change("HTI-NEW-1", **{**acled_rows(1)[0], "event_id_cnty": "HTI-NEW-1"})
    server.fail(READ, short=True)
    with pytest.raises(AcledError, match=r"said 13 match \(total_count\)"):
        pull(server, tmp_path, full=True)
    assert acled.cache_path("Haiti", cache_dir=tmp_path).read_bytes() == before


# -- waiting and retrying ------------------------------------------------------------------------


def test_resumes_after_429_waiting_as_long_as_retry_after_asks(server, tmp_path, sleeps):
    pull(server, tmp_path, sleeps)  # a copy to update
    server.change("HTI-NEW-1", **{**acled_rows(1)[0], "event_id_cnty": "HTI-NEW-1"})
    server.fail(READ, status=429, headers={"Retry-After": "7"})
    result = pull(server, tmp_path, sleeps, since=None)
    assert sleeps == [7.0]
    assert (result.added, result.retries, result.events) == (1, 1, 13)
    assert [s.status for s in server.seen if s.path == READ][-2:] == [429, 200]


def test_retry_after_may_be_a_date():
    later = dt.datetime(2025, 1, 31, 12, 0, 30, tzinfo=dt.UTC)
    now = dt.datetime(2025, 1, 31, 12, 0, 0, tzinfo=dt.UTC).timestamp()
    assert retry_after("Fri, 31 Jan 2025 12:00:30 GMT", now=now) == pytest.approx(30)
    assert retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT"), now=now + 60) == 0
    assert retry_after("soon", now=now) is None
    assert retry_after(None, now=now) is None


def test_a_wait_longer_than_max_wait_is_an_error_without_waiting(server, tmp_path, sleeps):
    server.fail(READ, status=429, headers={"Retry-After": "3600"})
    with pytest.raises(AcledError, match=r"wait 3,600 s.*Try again in 60 minutes"):
        pull(server, tmp_path, sleeps, max_wait_s=300)
    assert sleeps == []
    assert not acled.cache_path("Haiti", cache_dir=tmp_path).exists()


def test_server_errors_back_off_then_succeed(server, tmp_path, sleeps):
    server.fail(READ, status=503, times=2)
    server.fail(TOKEN, status=502)
    result = pull(server, tmp_path, sleeps)
    assert sleeps == [1.0, 1.0, 2.0]  # token: one back-off; read page 1: doubled the second time
    assert result.events == 12


def test_server_errors_that_never_stop_are_a_clear_error_and_the_copy_stays(server, tmp_path, sleeps):
    pull(server, tmp_path)
    before = acled.cache_path("Haiti", cache_dir=tmp_path).read_bytes()
    server.fail(READ, status=500, times=10)
    with pytest.raises(AcledError) as caught:
        pull(server, tmp_path, sleeps, since=None, max_retries=3)
    message = str(caught.value)
    assert f"read endpoint ({server.url}/api/acled/read, page 1)" in message
    assert "HTTP 500" in message
    assert "on each of 4 tries" in message
    assert "not changed" in message
    assert sleeps == [1.0, 2.0, 4.0]
    assert acled.cache_path("Haiti", cache_dir=tmp_path).read_bytes() == before


def test_a_server_that_does_not_answer_is_a_clear_error(tmp_path, sleeps):
    with socket.socket() as probe:  # a port on this machine that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(AcledError, match=r"token endpoint .*: no answer \(ConnectionError\) on each of 3 tries"):
        acled.pull(
            "Haiti",
            since="2024-01-01",
            credentials=ACCOUNT,
            cache_dir=tmp_path,
            base_url=f"http://127.0.0.1:{port}",
            timeout=(1, 1),
            max_retries=2,
            sleep=sleeps.append,
        )
    assert sleeps == [1.0, 2.0]


# -- tokens --------------------------------------------------------------------------------------


def test_a_401_renews_the_token_once_and_the_pull_goes_on(server, tmp_path):
    server.on_read = lambda seen: server.revoke() if seen.query["page"] == "1" else None
    result = pull(server, tmp_path)
    assert result.events == 12
    assert [s.status for s in server.seen if s.path == READ] == [200, 401, 200, 200]
    assert server.count(TOKEN, grant_type="password") == 1
    assert server.count(TOKEN, grant_type="refresh_token") == 1


def test_a_token_refused_twice_is_an_account_error(server, tmp_path):
    server.fail(READ, status=401, times=2)
    with pytest.raises(AcledAuthError, match="HTTP 401 twice"):
        pull(server, tmp_path)


def test_a_token_near_its_expiry_is_renewed_before_it_is_used(tmp_path):
    now = [0.0]
    with FakeAcled(acled_rows(), expires_in=3600) as fake:
        fake.on_read = lambda seen: now.__setitem__(0, now[0] + 3400)  # each page takes 57 minutes
        pull(fake, tmp_path, clock=lambda: now[0])
        assert 401 not in [s.status for s in fake.seen]
        grants = [s.form["grant_type"] for s in fake.seen if s.path == TOKEN]
    assert grants == ["password", "refresh_token", "refresh_token"]  # before pages 2 and 3


def test_a_refused_refresh_token_falls_back_to_the_password(tmp_path):
    now = [0.0]
    with FakeAcled(acled_rows(), expires_in=3600) as fake:

        def expire_everything(seen):
            now[0] += 3600
            fake.revoke(refresh=True)

        fake.on_read = expire_everything
        result = pull(fake, tmp_path, clock=lambda: now[0])
        grants = [(s.form["grant_type"], s.status) for s in fake.seen if s.path == TOKEN]
    assert result.events == 12
    assert grants[:3] == [("password", 200), ("refresh_token", 400), ("password", 200)]


def test_a_wrong_password_is_an_account_error_that_never_repeats_the_password(server, tmp_path):
    wrong = Credentials(USERNAME, "not the password & it shows?")
    with pytest.raises(AcledAuthError) as caught:
        pull(server, tmp_path, credentials=wrong)
    message = str(caught.value)
    assert "refused the username or password (HTTP 400: invalid_grant)" in message
    assert "ACLED_PASSWORD" in message
    assert "not the password" not in message
    assert "not+the+password" not in message


def test_403_says_what_to_do_about_access(server, tmp_path):
    server.fail(READ, status=403)
    with pytest.raises(AcledAuthError, match=r"denied access.*accept the terms"):
        pull(server, tmp_path)


# -- answers katye cannot read -------------------------------------------------------------------


def test_malformed_json_is_a_clear_error_naming_the_endpoint(server, tmp_path):
    server.fail(READ, body=b'{"status": 200, "data": [{"event_id_cnty": "HTI1"')
    with pytest.raises(AcledError) as caught:
        pull(server, tmp_path)
    message = str(caught.value)
    assert f"ACLED's read endpoint ({server.url}/api/acled/read, page 1)" in message
    assert "not JSON" in message
    assert 'it starts \'{"status": 200' in message
    assert isinstance(caught.value, InputError)
    assert caught.value.exit_code == 2


def test_an_answer_without_rows_is_a_clear_error(server, tmp_path):
    server.fail(DELETED, body=b'{"success": false, "messages": ["deleted_timestamp must be a number"]}')
    pull(server, tmp_path)
    with pytest.raises(AcledError, match=r"deleted endpoint .* without rows \(deleted_timestamp must be a number\)"):
        pull(server, tmp_path, since=None)


def test_an_event_without_a_timestamp_is_a_clear_error(tmp_path):
    rows = acled_rows(3)
    rows[1]["timestamp"] = "yesterday"
    with FakeAcled(rows) as fake, pytest.raises(InputError, match=r"timestamp 'yesterday'"):
        pull(fake, tmp_path)


# -- keeping the copy current --------------------------------------------------------------------


def test_an_update_replaces_changed_events_adds_new_ones_and_removes_deleted_ones(server, tmp_path):
    rows = acled_rows()
    first = pull(server, tmp_path)
    changed, gone = rows[3]["event_id_cnty"], rows[5]["event_id_cnty"]
    server.change(changed, fatalities="17", notes="Revised")
    server.change("HTI-NEW-1", **{**rows[0], "event_id_cnty": "HTI-NEW-1"})
    server.delete(gone)
    result = pull(server, tmp_path, since=None)
    assert (result.full, result.added, result.updated, result.deleted, result.events) == (False, 1, 1, 1, 12)
    copy = held(tmp_path)
    assert copy[changed]["fatalities"] == "17"
    assert copy[changed]["notes"] == "Revised"
    assert gone not in copy
    assert "HTI-NEW-1" in copy
    asked = [s.query for s in server.seen if s.path == READ][-1]
    assert (asked["timestamp"], asked["timestamp_where"]) == (str(first.last_timestamp), ">=")
    asked_deleted = [s.query for s in server.seen if s.path == DELETED][-1]
    assert asked_deleted["deleted_timestamp"] == str(first.last_timestamp)
    assert result.last_timestamp == int(copy["HTI-NEW-1"]["timestamp"])
    assert cache.read_state(tmp_path / "haiti").last_deleted_timestamp >= result.last_timestamp


def test_an_update_without_changes_leaves_the_same_bytes(server, tmp_path):
    first = pull(server, tmp_path)
    before = first.path.read_bytes()
    again = pull(server, tmp_path, since=None)
    assert (again.added, again.updated, again.deleted) == (0, 0, 0)
    assert again.path.read_bytes() == before


def test_an_earlier_first_day_fetches_everything_again(server, tmp_path):
    pull(server, tmp_path, since="2024-06-01")
    result = pull(server, tmp_path, since="2024-01-01")
    assert result.full
    assert result.since == "2024-01-01"
    assert "timestamp" not in [s.query for s in server.seen if s.path == READ][-1]


def test_merge_keeps_the_newer_version_and_a_deletion_older_than_it_leaves_it():
    held_rows = {"A": {"event_id_cnty": "A", "timestamp": "20"}, "B": {"event_id_cnty": "B", "timestamp": "20"}}
    received = [{"event_id_cnty": "A", "timestamp": "10", "notes": "stale"}]
    deletions = [{"event_id_cnty": "B", "deleted_timestamp": "15"}, {"event_id_cnty": "C", "deleted_timestamp": "30"}]
    out, counts = cache.merge(held_rows, received, deletions)
    assert out == held_rows
    assert (counts.added, counts.updated, counts.unchanged, counts.deleted) == (0, 0, 1, 0)
    assert held_rows["A"] == {"event_id_cnty": "A", "timestamp": "20"}  # the caller's data is not changed


# -- where the copy lives ------------------------------------------------------------------------


def test_the_copy_lives_in_the_users_data_folder_never_in_the_repository(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = acled.cache_path("Haiti")
    assert path == tmp_path / "data" / "katye" / "acled" / "haiti" / "events.csv"
    assert REPO not in path.parents
    monkeypatch.setenv("KATYE_ACLED_DIR", str(tmp_path / "elsewhere"))
    assert acled.cache_path("Haiti") == tmp_path / "elsewhere" / "haiti" / "events.csv"


def test_the_copy_is_private_and_ignored_by_git(server, tmp_path):
    result = pull(server, tmp_path)
    folder = result.path.parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(result.path.stat().st_mode) & 0o077 == 0
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_password_goes_only_over_https_or_to_this_machine():
    assert check_base_url("https://acleddata.com/") == "https://acleddata.com"
    assert check_base_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert check_base_url("http://localhost:1") == "http://localhost:1"
    for unsafe in ("http://acleddata.com", "http://10.0.0.5", "ftp://acleddata.com", "acleddata.com"):
        with pytest.raises(UsageError, match="only over https"):
            check_base_url(unsafe)


# -- secrets -------------------------------------------------------------------------------------


def test_credentials_come_from_the_environment_and_never_show_the_password(monkeypatch):
    assert Credentials.from_env() is None
    monkeypatch.setenv("ACLED_USERNAME", USERNAME)
    monkeypatch.setenv("ACLED_PASSWORD", PASSWORD)
    found = Credentials.from_env()
    assert found == ACCOUNT
    assert PASSWORD not in repr(found)
    assert PASSWORD not in str(found)
    assert PASSWORD not in repr(acled.AcledClient(found))
    with pytest.raises(UsageError):
        Credentials(USERNAME, "")


def secrets_of(server: FakeAcled) -> list[str]:
    """The password and every token the server handed out."""
    return [PASSWORD, *(f"access-{i}-x9" for i in range(1, server.issued + 1))] + [
        f"refresh-{i}-y8" for i in range(1, server.issued + 1)
    ]


def test_the_cli_resumes_after_429_and_never_prints_logs_or_saves_the_password(server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's too
    env = {"ACLED_USERNAME": USERNAME, "ACLED_PASSWORD": PASSWORD}
    server.fail(READ, status=429, headers={"Retry-After": "0"})
    args = ["acled", "pull", "--country", "Haiti", "--since", "2024-01-01", "--cache-dir", tmp_path, "-v"]
    first = invoke(*args, "--base-url", server.url, env=env)
    assert first.exit_code == 0, first.output
    server.change("HTI-NEW-1", **{**acled_rows(1)[0], "event_id_cnty": "HTI-NEW-1"})
    server.fail(READ, status=429, headers={"Retry-After": "0"})
    server.on_read = lambda seen: server.revoke()  # the deletions are then asked with an expired token
    second = invoke(*args, "--base-url", server.url, env=env)
    assert second.exit_code == 0, second.output
    assert "HTTP 429; waiting 0 s" in second.stderr
    assert "1 new" in second.stdout
    assert "13 events" in second.stdout
    wrong = invoke(*args, "--base-url", server.url, env={**env, "ACLED_PASSWORD": PASSWORD + "x"})
    assert wrong.exit_code == 2
    assert "refused the username or password" in wrong.stderr
    assert "Traceback" not in wrong.output
    written = [p.read_text(encoding="utf-8") for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == 3  # events.csv, state.json, .gitignore
    seen = [first.output, second.output, wrong.output, caplog.text, *written]
    assert server.issued >= 3  # a login per run, and a refresh after the revoked token
    for secret in secrets_of(server):
        assert not [text for text in seen if secret in text], secret
    assert USERNAME not in "".join(written)


def test_the_cli_asks_for_the_account_and_hides_the_password(server, tmp_path):
    result = invoke(
        "acled", "pull", "--country", "Haiti", "--since", "2024-01-01", "--cache-dir", tmp_path, "--base-url",
        server.url, input=f"{USERNAME}\n{PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "myACLED password" in result.stderr
    assert PASSWORD not in result.output
    assert "12 events" in result.stdout


def test_the_cli_without_an_account_or_a_terminal_says_what_to_set(tmp_path):
    result = run_cli(
        "acled", "pull", "--country", "Haiti", "--since", "2024-01-01", "--cache-dir", tmp_path,
        env={"ACLED_USERNAME": None, "ACLED_PASSWORD": None},
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "ACLED_USERNAME" in result.stderr
    assert "ACLED_PASSWORD" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_status_says_what_the_copy_holds_and_where(server, tmp_path):
    none = invoke("acled", "status", "--country", "Haiti", "--cache-dir", tmp_path)
    assert none.exit_code == 1
    assert "katye acled pull --country Haiti --since" in none.stderr
    pull(server, tmp_path)
    status = invoke("acled", "status", "--country", "Haiti", "--cache-dir", tmp_path)
    assert status.exit_code == 0, status.output
    assert "ACLED Haiti since 2024-01-01: 12 events" in status.stdout
    path = invoke("acled", "status", "--country", "Haiti", "--cache-dir", tmp_path, "--path")
    assert Path(path.stdout.strip()) == acled.cache_path("Haiti", cache_dir=tmp_path)


def test_the_cli_reports_an_unreadable_answer_with_exit_code_2(server, tmp_path):
    server.fail(READ, body=b"<html>Maintenance</html>")
    result = invoke(
        "acled", "pull", "--country", "Haiti", "--since", "2024-01-01", "--cache-dir", tmp_path, "--base-url",
        server.url, env={"ACLED_USERNAME": USERNAME, "ACLED_PASSWORD": PASSWORD},
    )  # fmt: skip
    assert result.exit_code == 2
    assert "katye: error: ACLED's read endpoint" in result.stderr
    assert "not JSON" in result.stderr
    assert "Traceback" not in result.output


def test_text_from_acled_in_a_message_never_carries_the_password_or_a_token(server, tmp_path):
    echo = {"messages": [f"bad request for {PASSWORD} with Bearer access-1-x9"]}
    server.fail(READ, status=400, body=json.dumps(echo).encode())
    with pytest.raises(AcledError) as caught:
        pull(server, tmp_path)
    message = str(caught.value)
    assert "HTTP 400 (bad request for *** with Bearer ***)" in message
    assert PASSWORD not in message
    assert "access-1-x9" not in message


def test_a_short_lived_token_is_not_renewed_before_every_request(tmp_path):
    with FakeAcled(acled_rows(), expires_in=60) as fake:
        pull(fake, tmp_path)  # 3 pages within a minute
        assert [s.form["grant_type"] for s in fake.seen if s.path == TOKEN] == ["password"]


def test_creole_names_and_line_breaks_survive_the_copy(tmp_path):
    rows = acled_rows(2)
    rows[0] |= {"location": "Pétion-Ville - Jalousie", "notes": 'Site Solèy,\nline two; "quoted"'}
    with FakeAcled(rows) as fake:
        result = pull(fake, tmp_path)
    assert held(tmp_path)[rows[0]["event_id_cnty"]]["notes"] == rows[0]["notes"]
    incidents, _, _ = katye.read_incidents(result.path)
    assert "Pétion-Ville - Jalousie" in set(incidents.location.astype(str))
