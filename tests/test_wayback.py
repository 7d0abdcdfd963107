"""The Wayback queue against a local server speaking Save Page Now 2, failures included."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from clausewatch.events import cloudevents as events
from clausewatch.storage import layout
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from clausewatch.wayback import archive
from clausewatch.wayback.client import WaybackClient, WaybackSettings
from tests.fake_wayback import FakeWayback, serve
from tests.helpers import client_for, entry, validate, version


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(LocalBackend(tmp_path / "store"))


def test_success_after_pending_polls_is_attested_with_an_event(
    store: Store, wayback: tuple[str, FakeWayback]
) -> None:
    base, fake = wayback
    manifest = version(store, "https://policies.acme.com/ok")
    [done] = archive.process_queue(store, client_for(base))
    assert done.status == "archived" and done.detail.startswith(f"{base}/web/")
    assert fake.authorizations == ["LOW KEY:SECRET"]
    att = archive.attestation(store, manifest)
    assert att is not None and att.archive_url == done.detail and att.manifest == manifest
    [event] = [e for _, e in store.events() if e["type"] == events.ARCHIVED]
    validate(event)
    assert event["data"]["archive_url"] == done.detail
    assert archive.process_queue(store, client_for(base)) == []  # nothing is submitted twice
    assert len(fake.submissions) == 1


def test_only_new_versions_are_queued(store: Store) -> None:
    version(store, "https://policies.acme.com/ok", "One.")
    version(store, "https://policies.acme.com/ok", "One.", minute=1)  # unchanged check
    version(store, "https://policies.acme.com/ok", "Two.", minute=2)
    assert len(list(store.backend.list(layout.WAYBACK_QUEUE))) == 2


def test_rate_limit_pauses_all_submissions(store: Store, wayback: tuple[str, FakeWayback]) -> None:
    base, fake = wayback
    version(store, "https://policies.acme.com/rate", doc="a-terms")
    version(store, "https://policies.acme.com/ok", doc="b-terms")
    results = archive.process_queue(store, client_for(base))
    assert [r.status for r in results] == ["pending"] and "rate limit" in results[0].detail
    assert fake.submissions == ["https://policies.acme.com/rate"]  # the second was not tried
    assert archive.process_queue(store, client_for(base))[0].detail.startswith("paused until")
    later = datetime.now(UTC) + timedelta(minutes=3)
    statuses = {
        r.document: r.status for r in archive.process_queue(store, client_for(base), now=later)
    }
    assert statuses == {"a-terms": "archived", "b-terms": "archived"}


def test_transient_error_is_retried_later_and_permanent_is_not(
    store: Store, wayback: tuple[str, FakeWayback]
) -> None:
    base, fake = wayback
    transient = version(store, "https://policies.acme.com/transient", doc="a-terms")
    blocked = version(store, "https://policies.acme.com/blocked", doc="b-terms")
    first = {r.document: r for r in archive.process_queue(store, client_for(base))}
    assert (
        first["a-terms"].status == "pending" and "no-browsers-available" in first["a-terms"].detail
    )
    assert first["b-terms"].status == "failed" and "blocked-url" in first["b-terms"].detail
    assert entry(store, transient, "a-terms").next_attempt_at > datetime.now(UTC)
    assert archive.process_queue(store, client_for(base)) == []  # not due yet
    later = datetime.now(UTC) + timedelta(hours=1)
    again = {
        r.document: r.status for r in archive.process_queue(store, client_for(base), now=later)
    }
    assert again == {"a-terms": "archived"}
    assert entry(store, blocked, "b-terms").status == "failed"
    assert fake.submissions.count("https://policies.acme.com/blocked") == 1


def test_ok_answer_without_job_id_is_an_error(
    store: Store, wayback: tuple[str, FakeWayback]
) -> None:
    base, _ = wayback
    manifest = version(store, "https://policies.acme.com/nojob")
    [done] = archive.process_queue(store, client_for(base))
    assert done.status == "pending" and "5 captures per minute" in done.detail
    assert entry(store, manifest).status == "queued" and entry(store, manifest).job_id is None


@pytest.mark.parametrize("kind", ["created-5xx", "slow"])
def test_ambiguous_submit_checks_cdx_before_submitting_again(
    store: Store, wayback: tuple[str, FakeWayback], kind: str
) -> None:
    base, fake = wayback
    url = f"https://policies.acme.com/{kind}"
    manifest = version(store, url)
    [first] = archive.process_queue(store, client_for(base))
    assert first.status == "pending" and entry(store, manifest).check_first
    later = datetime.now(UTC) + timedelta(hours=1)
    [second] = archive.process_queue(store, client_for(base), now=later)
    assert second.status == "archived"
    assert fake.submissions == [url]  # found in CDX: not submitted again


def test_no_free_session_waits(store: Store, wayback: tuple[str, FakeWayback]) -> None:
    base, fake = wayback
    fake.available = 0
    version(store, "https://policies.acme.com/ok")
    [done] = archive.process_queue(store, client_for(base))
    assert done.status == "pending" and "session" in done.detail and fake.submissions == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/terms",
        "http://10.0.0.5/terms",
        "http://10.0.0.1/",
        "http://localhost/x",
        "http://localhost.:8080/",
        "http://foo.localhost/",
        "http://foo.localhost.:8080/x",
        "http://0x7f000001/terms",  # 127.0.0.1 spelled in hex
        "http://intranet.internal./x",
        "http://[::1]/x",
        "http://169.254.169.254/latest",
    ],
)
def test_non_public_urls_are_skipped_with_a_reason_whatever_the_switch_says(
    store: Store, wayback: tuple[str, FakeWayback], url: str
) -> None:
    base, fake = wayback
    assert os.environ["CLAUSEWATCH_ALLOW_PRIVATE_URLS"] == "1"  # private connections allowed
    manifest = version(store, url)
    [done] = archive.process_queue(store, client_for(base))
    assert done.status == "skipped" and "not a public" in done.detail
    assert fake.submissions == []
    queued = entry(store, manifest)
    assert queued.status == "skipped" and queued.reason == done.detail
    assert archive.process_queue(store, client_for(base)) == []  # never submitted later either


def test_the_archive_command_prints_why_an_entry_was_skipped(
    store: Store, wayback: tuple[str, FakeWayback]
) -> None:
    from typer.testing import CliRunner

    from clausewatch.cli import app

    base, fake = wayback
    version(store, "http://localhost.:8080/terms")
    env = {"CLAUSEWATCH_WAYBACK_URL": base, "CLAUSEWATCH_WAYBACK_POLL_INTERVAL": "0.05"}
    result = CliRunner().invoke(app, ["archive", "--store", store.url], env=env)
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output
    assert "localhost. is a loopback name, not a public address" in result.output
    assert fake.submissions == []


def test_a_private_wayback_api_is_refused_unless_the_switch_is_set(
    store: Store, wayback: tuple[str, FakeWayback], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from clausewatch.cli import app
    from clausewatch.net.outbound import OutboundRefused

    base, fake = wayback
    manifest = version(store, "https://example.org/ok")
    monkeypatch.delenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS")
    with pytest.raises(OutboundRefused) as refused:
        archive.process_queue(store, client_for(base))
    message = str(refused.value)
    assert base in message and "CLAUSEWATCH_ALLOW_PRIVATE_URLS" in message
    assert "not a public address" in message
    result = CliRunner().invoke(
        app, ["archive", "--store", store.url], env={"CLAUSEWATCH_WAYBACK_URL": base}
    )
    assert result.exit_code == 2
    assert result.output.startswith("error: Wayback Machine API") and base in result.output
    assert len(result.output.strip().splitlines()) == 1  # one line, no traceback
    assert fake.requests == []  # nothing was sent to it, not even a status read
    untouched = entry(store, manifest)
    assert untouched.status == "queued" and untouched.attempts == 0
    monkeypatch.setenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS", "1")  # the tests' and the demo's way
    [done] = archive.process_queue(store, client_for(base))
    assert done.status == "archived"


def test_keys_are_not_sent_over_plain_http_unless_the_switch_is_set(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clausewatch.net.outbound import OutboundRefused, refusal

    version(store, "https://example.org/ok")
    monkeypatch.delenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS")
    public_http = "http://93.184.216.34"  # a public address, without TLS
    with pytest.raises(OutboundRefused, match="credentials would be sent over plain http"):
        archive.process_queue(store, client_for(public_http))
    assert refusal(public_http, credentials=False) is None  # anonymous: nothing secret to send
    assert refusal("https://93.184.216.34", credentials=True) is None
    monkeypatch.setenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS", "1")
    assert refusal(public_http, credentials=True) is None  # the switch allows a test server


def test_redirects_from_the_wayback_api_are_not_followed(
    store: Store, wayback: tuple[str, FakeWayback]
) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    base, fake = wayback  # where the redirect leads (a private address, say)

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _redirect(self) -> None:
            self.send_response(307)
            self.send_header("Location", base + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _redirect

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    manifest = version(store, "https://example.org/ok")
    settings = WaybackSettings(
        base_url=f"http://127.0.0.1:{server.server_port}", poll_interval_s=0.01, timeout_s=2
    )
    following = httpx.Client(follow_redirects=True)  # even a client that would follow them
    [done] = archive.process_queue(store, WaybackClient(settings, following))
    server.shutdown()
    server.server_close()
    assert done.status == "pending" and "redirect" in done.detail and "not followed" in done.detail
    assert fake.requests == []
    assert entry(store, manifest).status == "queued"


@pytest.mark.slow
def test_a_killed_archiver_resumes_its_job_without_submitting_again(
    store: Store, wayback: tuple[str, FakeWayback], tmp_path: Path
) -> None:
    base, fake = wayback
    manifest = version(store, "https://policies.acme.com/hang")
    env = {
        **os.environ,
        "CLAUSEWATCH_WAYBACK_URL": base,
        "CLAUSEWATCH_WAYBACK_POLL_INTERVAL": "0.05",
    }
    cli = str(Path(sys.executable).parent / "clausewatch")
    proc = subprocess.Popen(
        [cli, "archive", "--store", store.url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while entry(store, manifest).job_id is None:  # submitted, job id saved, now polling
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    job_id = entry(store, manifest).job_id
    assert job_id and entry(store, manifest).status == "submitting"
    fake.finish(job_id)
    after_lease = datetime.now(UTC) + archive.CLAIM_LEASE + timedelta(seconds=1)
    [done] = archive.process_queue(store, client_for(base), now=after_lease)
    assert done.status == "archived"
    assert fake.submissions == ["https://policies.acme.com/hang"]
    assert len([e for _, e in store.events() if e["type"] == events.ARCHIVED]) == 1


@pytest.mark.slow
def test_archive_command_and_history_show_the_archive_url(
    store: Store, wayback: tuple[str, FakeWayback]
) -> None:
    base, _ = wayback
    version(store, "https://policies.acme.com/ok")
    env = {
        **os.environ,
        "CLAUSEWATCH_WAYBACK_URL": base,
        "CLAUSEWATCH_WAYBACK_POLL_INTERVAL": "0.05",
    }
    cli = str(Path(sys.executable).parent / "clausewatch")
    done = subprocess.run(
        [cli, "archive", "--store", store.url, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [line] = [json.loads(x) for x in done.stdout.splitlines()]
    assert line["status"] == "archived"
    history = subprocess.run(
        [cli, "history", "acme-terms", "--store", store.url, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(history.stdout)["versions"][0]["archive_url"] == line["detail"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WAYBACK_SECRET_KEY", "SKCANARY\n"),
        ("WAYBACK_SECRET_KEY", "SKCANARY\r\n"),
        ("WAYBACK_SECRET_KEY", "SKCANARY\u00e9"),
        ("WAYBACK_ACCESS_KEY", "AK CANARY"),
    ],
)
def test_an_unusable_key_is_one_line_naming_the_variable_never_the_value(
    store: Store, wayback: tuple[str, FakeWayback], name: str, value: str
) -> None:
    """A key with a line break, a space or a non-ASCII letter cannot go in a header: the
    settings refuse it when they are read, before anything is claimed or sent."""
    from typer.testing import CliRunner

    from clausewatch.cli import app

    base, fake = wayback
    manifest = version(store, "https://policies.acme.com/ok")
    env = {
        "CLAUSEWATCH_WAYBACK_URL": base,
        "WAYBACK_ACCESS_KEY": "AKCANARY",
        "WAYBACK_SECRET_KEY": "SKCANARY",
        name: value,
    }
    result = CliRunner().invoke(app, ["archive", "--store", store.url], env=env)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {name} is not a usable key")
    assert len(result.output.strip().splitlines()) == 1  # one line, no traceback
    assert "CANARY" not in result.output  # neither key, in any spelling
    assert fake.requests == []
    untouched = entry(store, manifest)
    assert untouched.status == "queued" and untouched.attempts == 0
    assert untouched.claimed_at is None and untouched.reason is None


@pytest.mark.parametrize("raised", ["protocol", "unexpected"])
def test_no_error_text_stored_or_printed_holds_a_key_and_the_claim_is_given_back(
    store: Store, raised: str
) -> None:
    """Defence in depth: whatever fails during a submission, the text kept in the entry's
    reason and printed has the keys taken out, and the entry is released for a later try."""
    access, secret = "AKCANARY42", "SKCANARY42"

    def fail(request: httpx.Request) -> httpx.Response:
        auth = request.headers["Authorization"]
        if raised == "protocol":  # what h11 says about an illegal header value
            raise httpx.LocalProtocolError(f"Illegal header value {auth.encode()!r}")
        raise RuntimeError(f"boom while sending {auth!r} ({access}/{secret!r})")

    settings = WaybackSettings(
        base_url="http://wayback.test",
        access_key=access,
        secret_key=secret,
        poll_interval_s=0.01,
        max_polls=2,
    )
    client = WaybackClient(settings, httpx.Client(transport=httpx.MockTransport(fail)))
    manifest = version(store, "https://policies.acme.com/ok")
    [done] = archive.process_queue(store, client)
    stored = entry(store, manifest)
    texts = [
        done.detail,
        stored.reason or "",
        store.backend.read(layout.wayback_entry("acme-terms", manifest)).decode(),
    ]
    for text in texts:
        assert access not in text and secret not in text and "CANARY" not in text, text
    assert done.status == "pending" and "LOW ***" in done.detail
    assert stored.status == "queued" and stored.claimed_at is None  # the claim is given back
    if raised == "unexpected":  # the request may have gone out: the CDX API is read first
        assert stored.check_first and "unexpected error: RuntimeError" in done.detail


def test_redact_takes_out_every_spelling_of_a_key() -> None:
    settings = WaybackSettings(access_key="AK\u00e9X", secret_key="SKSECRET\n")
    client = WaybackClient(settings, httpx.Client())
    for text in (
        "b'LOW AK\\xc3\\xa9X:SKSECRET\\n'",
        "'SKSECRET\\n' and SKSECRET\n and SKSECRET",
        "'AK\\xe9X' or AK\u00e9X",
        "Authorization: LOW whatever:else",
    ):
        cleaned = client.redact(text)
        assert "SKSECRET" not in cleaned and "AK" not in cleaned and "else" not in cleaned, cleaned


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_wayback_url_means_the_default(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    from clausewatch.wayback.client import DEFAULT_BASE

    monkeypatch.setenv("CLAUSEWATCH_WAYBACK_URL", value)
    settings = WaybackSettings.from_env()
    assert settings.base_url == DEFAULT_BASE


@pytest.mark.parametrize("value", ["abc", "inf", "nan", "-1", "0", "99999"])
def test_a_bad_poll_interval_is_one_error_line(store: Store, value: str) -> None:
    """CLAUSEWATCH_WAYBACK_POLL_INTERVAL=abc was a ValueError traceback."""
    from typer.testing import CliRunner

    from clausewatch.cli import app

    version(store, "https://policies.acme.com/ok", doc="acme-terms")
    env = {"CLAUSEWATCH_WAYBACK_POLL_INTERVAL": value}
    result = CliRunner().invoke(app, ["archive", "--store", store.url], env=env)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"error: CLAUSEWATCH_WAYBACK_POLL_INTERVAL={value!r} is not a number of seconds "
        "from 0.01 to 3600: fix it"
    ]


@pytest.mark.parametrize("damage", ["garbage", "other-key", "fifo", "nested"])
def test_a_damaged_queue_entry_is_one_line_left_as_it_is_and_archive_exits_1(
    store: Store, wayback: tuple[str, FakeWayback], tmp_path: Path, damage: str
) -> None:
    """The other entries are still submitted; the damaged one is named on one line, never
    rewritten (the damage is evidence for `verify`), and the run exits 1."""
    from typer.testing import CliRunner

    from clausewatch.cli import app

    base, fake = wayback
    good = version(store, "https://policies.acme.com/ok", doc="acme-terms")
    bad = version(store, "https://policies.acme.com/ok2", doc="beta-terms")
    key = layout.wayback_entry("beta-terms", bad)
    path = tmp_path / "store" / key
    before = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"\xff\xfe\x00garbage{")
    elif damage == "other-key":  # valid, but it names another version than its key
        path.write_bytes(before.replace(bad.encode(), good.encode()))
    elif damage == "fifo":
        path.unlink()
        os.mkfifo(path)
    else:  # a directory where the entry was, holding something
        path.unlink()
        path.mkdir()
        (path / "x.json").write_bytes(before)
    damaged = path.read_bytes() if path.is_file() else None
    env = {"CLAUSEWATCH_WAYBACK_URL": base, "CLAUSEWATCH_WAYBACK_POLL_INTERVAL": "0.05"}
    result = CliRunner().invoke(app, ["archive", "--store", store.url], env=env)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stdout.splitlines() if "damaged" in line]
    assert len(lines) == 1, result.output
    assert lines[0].split()[2] == "damaged"  # document, version, status, detail
    # a directory in an entry's place is named itself (the store's layout has a file there)
    assert f"{key} is " in lines[0] and lines[0].endswith("; see clausewatch verify")
    assert "Traceback" not in result.output and "pydantic" not in result.output
    assert fake.submissions == ["https://policies.acme.com/ok"]  # the other one went on
    assert entry(store, good).status == "archived"
    if damaged is not None:
        assert path.read_bytes() == damaged  # left as it is
    elif damage == "fifo":
        assert stat.S_ISFIFO(path.lstat().st_mode)


def test_archive_exits_1_when_a_submission_failed_in_this_run(
    store: Store, wayback: tuple[str, FakeWayback]
) -> None:
    from typer.testing import CliRunner

    from clausewatch.cli import app

    base, _ = wayback
    version(store, "https://policies.acme.com/blocked")
    env = {"CLAUSEWATCH_WAYBACK_URL": base, "CLAUSEWATCH_WAYBACK_POLL_INTERVAL": "0.05"}
    result = CliRunner().invoke(app, ["archive", "--store", store.url], env=env)
    assert result.exit_code == 1, result.output
    assert "failed" in result.output and "blocked-url" in result.output
    again = CliRunner().invoke(app, ["archive", "--store", store.url], env=env)
    assert again.exit_code == 0 and again.output == ""  # failed before, nothing in this run


@pytest.mark.usefixtures("prefect_harness")
def test_the_wayback_queue_flow_fails_when_a_submission_failed(
    store: Store, wayback: tuple[str, FakeWayback], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduled flow run goes red when `archive` would exit 1 (it logged and passed)."""
    from clausewatch.flows.archive import ArchiveIncomplete, wayback_queue

    base, _ = wayback
    version(store, "https://policies.acme.com/blocked")
    monkeypatch.setenv("CLAUSEWATCH_WAYBACK_URL", base)
    monkeypatch.setenv("CLAUSEWATCH_WAYBACK_POLL_INTERVAL", "0.05")
    with pytest.raises(ArchiveIncomplete, match="1 of 1 Wayback submissions failed"):
        wayback_queue(store.url)


@pytest.mark.slow
def test_the_fake_server_keeps_a_vanished_clients_error_to_itself(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A client killed mid-request (the killed-archiver test does that) once made the fake
    print a traceback from its thread after the test had ended, into the next test's captured
    CLI output; the fake keeps such errors in ``errors`` and waits for its requests on close."""
    import socket
    import struct

    server, fake = serve()
    body = b"url=https%3A%2F%2Fpolicies.acme.com%2Fslow"  # answered after 2 s
    with socket.create_connection(("127.0.0.1", server.server_port)) as sock:
        sock.sendall(
            b"POST /save HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
            + f"\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        deadline = time.monotonic() + 10
        while not fake.submissions:  # the request is in, its answer not yet written
            assert time.monotonic() < deadline
            time.sleep(0.01)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST
    server.shutdown()
    server.server_close()  # waits for the handler, which meets the reset connection
    assert fake.errors, "the handler met no error: the test did not exercise the path"
    assert capfd.readouterr().err == ""
