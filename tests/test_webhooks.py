"""Webhook delivery to real receivers on 127.0.0.1: signed, retried, ordered, replayable."""

from __future__ import annotations

import base64
import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from clausewatch.events.webhooks import Deliverer, Endpoint
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from tests.helpers import SECRET, capture, endpoint, page, target, validate
from tests.receiver import Receiver, start


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Store:
    st = Store(LocalBackend(tmp_path / "store"))
    for doc in ("doc-a", "doc-b"):  # 3 events per document: captured, changed, changed
        for minute, text in enumerate(("One.", "Two.", "Three.")):
            record_capture(st, target(doc), capture(page(f"{doc} {text}"), minute))
    return st


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log_ids(store: Store, document: str | None = None) -> list[str]:
    return [e["id"] for _, e in store.events() if document is None or e["subject"] == document]


def test_signed_deliveries_arrive_in_order_once(store: Store) -> None:
    receiver = Receiver(SECRET)
    server = start(receiver)
    clock = Clock()
    report = Deliverer(store, httpx.Client(), clock).deliver(
        endpoint(f"http://127.0.0.1:{server.server_port}/")
    )
    assert (report.delivered, report.failed, report.waiting) == (6, 0, 0)
    assert receiver.ids() == log_ids(store)
    for event in receiver.received:
        validate(event)
    again = Deliverer(store, httpx.Client(), clock).deliver(
        endpoint(f"http://127.0.0.1:{server.server_port}/")
    )
    assert again.delivered == 0 and len(receiver.received) == 6
    server.shutdown()


def test_wrong_secret_is_rejected_by_the_receiver(store: Store) -> None:
    receiver = Receiver("whsec_" + base64.b64encode(b"another-secret-entirely-32-bytes").decode())
    server = start(receiver)
    report = Deliverer(store, httpx.Client(), Clock()).deliver(
        endpoint(f"http://127.0.0.1:{server.server_port}/")
    )
    assert receiver.received == [] and receiver.rejected == 2  # first event of each document
    assert report.failed == 2 and report.waiting == 6 and "HTTP 401" in report.errors[0]
    server.shutdown()


def test_failures_are_retried_with_backoff_in_order(store: Store) -> None:
    receiver = Receiver(SECRET, fail_first=3)
    server = start(receiver)
    clock = Clock()
    deliverer = Deliverer(store, httpx.Client(), clock, jitter=lambda: 0.5)
    first = deliverer.deliver(endpoint(f"http://127.0.0.1:{server.server_port}/"))
    assert first.failed >= 1 and first.waiting > 0
    for _ in range(6):
        clock.now += timedelta(minutes=30)
        deliverer.deliver(endpoint(f"http://127.0.0.1:{server.server_port}/"))
    assert sorted(receiver.ids()) == sorted(log_ids(store)) and len(set(receiver.ids())) == 6
    for doc in ("doc-a", "doc-b"):
        assert [i for i in receiver.ids() if i in log_ids(store, doc)] == log_ids(store, doc)
    server.shutdown()


def test_receiver_down_then_up_gets_everything_once_in_order(store: Store) -> None:
    port = free_port()
    clock = Clock()
    deliverer = Deliverer(store, httpx.Client(), clock)
    down = deliverer.deliver(endpoint(f"http://127.0.0.1:{port}/"))
    assert down.delivered == 0 and down.waiting == 6
    receiver = Receiver(SECRET)
    server = start(receiver, port)
    clock.now += timedelta(hours=1)
    # a new event arrives while events of the same document are waiting
    record_capture(store, target("doc-a"), capture(page("doc-a Four."), 10))
    up = deliverer.deliver(endpoint(f"http://127.0.0.1:{port}/"))
    assert up.delivered == 7 and up.waiting == 0
    assert receiver.ids() == sorted(receiver.ids(), key=log_ids(store).index)
    assert len(set(receiver.ids())) == 7
    server.shutdown()


@pytest.mark.slow
def test_slow_receiver_times_out_and_is_retried(store: Store) -> None:
    receiver = Receiver(SECRET, delay_s=1.0)
    server = start(receiver)
    report = Deliverer(store, httpx.Client(), Clock()).deliver(
        endpoint(f"http://127.0.0.1:{server.server_port}/")
    )
    assert report.failed == 2 and "no answer within 0.5 s" in report.errors[0]
    server.shutdown()


def test_retry_budget_ends_in_dead_letters(store: Store) -> None:
    port = free_port()  # nobody listens
    clock = Clock()
    deliverer = Deliverer(store, httpx.Client(), clock)
    hook = endpoint(f"http://127.0.0.1:{port}/", max_attempts=2)
    for _ in range(10):
        deliverer.deliver(hook)
        clock.now += timedelta(days=1)
    dead = deliverer.dead_letters(hook)
    assert sorted(d["event_id"] for d in dead) == sorted(log_ids(store))
    assert all(d["attempts"] == 2 for d in dead)


def test_filters_and_replay(store: Store) -> None:
    receiver = Receiver(SECRET)
    server = start(receiver)
    url = f"http://127.0.0.1:{server.server_port}/"
    deliverer = Deliverer(store, httpx.Client(), Clock())
    only = endpoint(url, types=("changed",), documents=("doc-b",))
    assert deliverer.deliver(only).delivered == 2
    assert {e["subject"] for e in receiver.received} == {"doc-b"}
    replayed = deliverer.replay(only, since=0)
    assert replayed.delivered == 2 and len(receiver.received) == 4
    server.shutdown()


def test_deliver_command_with_env_settings(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from clausewatch.cli import app

    receiver = Receiver(SECRET)
    server = start(receiver)
    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_URLS", f"http://127.0.0.1:{server.server_port}/hook")
    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_SECRET", SECRET)
    result = CliRunner().invoke(app, ["deliver", "--store", store.url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["delivered"] == 6 and len(receiver.received) == 6
    assert SECRET not in result.output
    server.shutdown()


def state_file(store: Store, name: str = "test") -> Path:
    assert isinstance(store.backend, LocalBackend)
    return store.backend.root / "webhooks" / name / "state.json"


def log_file(store: Store, cursor: int) -> Path:
    assert isinstance(store.backend, LocalBackend)
    return store.backend.root / "events" / "log" / f"{cursor:012d}.json"


def cli(*args: str, env: dict[str, str] | None = None) -> Any:
    from typer.testing import CliRunner

    from clausewatch.cli import app

    return CliRunner().invoke(app, list(args), env=env)


def test_a_private_endpoint_is_refused_unless_the_switch_is_set(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = Receiver(SECRET)
    server = start(receiver)
    url = f"http://127.0.0.1:{server.server_port}/hook"
    monkeypatch.delenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS")
    report = Deliverer(store, httpx.Client(), Clock()).deliver(endpoint(url))
    assert report.error and url in report.error and "CLAUSEWATCH_ALLOW_PRIVATE_URLS" in report.error
    assert "not a public address" in report.error and not report.ok
    assert receiver.attempts == 0 and not state_file(store).exists()  # no retry budget spent
    env = {"CLAUSEWATCH_WEBHOOK_URLS": url, "CLAUSEWATCH_WEBHOOK_SECRET": SECRET}
    result = cli("deliver", "--store", store.url, env=env)
    assert result.exit_code == 1, result.output
    assert "error: webhook hook-" in result.output and url in result.output
    assert "Traceback" not in result.output
    monkeypatch.setenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS", "1")  # the tests' and the demo's way
    assert Deliverer(store, httpx.Client(), Clock()).deliver(endpoint(url)).delivered == 6
    server.shutdown()


def test_a_password_in_a_plain_http_url_is_refused_and_never_printed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS")
    plain = endpoint("http://alice:pa55word@93.184.216.34/hook")  # a public address
    report = Deliverer(store, httpx.Client(), Clock()).deliver(plain)
    assert report.error and "credentials would be sent over plain http" in report.error
    assert "pa55word" not in report.error and "alice" not in report.error
    assert "http://***@93.184.216.34/hook" in report.error
    assert Deliverer.refusal(endpoint("https://alice:pa55word@93.184.216.34/hook")) is None
    assert Deliverer.refusal(endpoint("http://93.184.216.34/hook")) is None  # the secret signs


def test_redirects_are_not_followed(store: Store) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    receiver = Receiver(SECRET)  # where the redirect leads (a private address, say)
    target = start(receiver)

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{target.server_port}/")
            self.send_header("Content-Length", "0")
            self.end_headers()

    redirect = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    Thread(target=redirect.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    following = httpx.Client(follow_redirects=True)  # even a client that would follow them
    report = Deliverer(store, following, Clock()).deliver(
        endpoint(f"http://127.0.0.1:{redirect.server_port}/")
    )
    assert report.failed == 2 and receiver.attempts == 0
    assert "HTTP 307 redirect to" in report.errors[0] and "not followed" in report.errors[0]
    redirect.shutdown()
    target.shutdown()


def test_deliver_exits_1_when_a_delivery_failed_or_was_dead_lettered(
    store: Store, tmp_path: Path
) -> None:
    down = f"http://127.0.0.1:{free_port()}/"  # nobody listens
    settings = tmp_path / "hooks.yaml"
    settings.write_text(
        f"endpoints:\n  - name: down\n    url: {down}\n    secret: {SECRET}\n"
        "    timeout_s: 0.5\n    max_attempts: 2\n    backoff_s: 3600\n"
    )
    first = cli("deliver", "--store", store.url, "--webhooks", str(settings), "--json")
    assert first.exit_code == 1 and json.loads(first.output)["failed"] == 2
    # nothing is due within the backoff: nothing failed in this run
    quiet = cli("deliver", "--store", store.url, "--webhooks", str(settings), "--json")
    assert quiet.exit_code == 0, quiet.output
    assert json.loads(quiet.output)["failed"] == 0 and json.loads(quiet.output)["waiting"] == 6
    due = json.loads(state_file(store, "down").read_text())
    due["next_attempt_at"] = {d: "2000-01-01T00:00:00Z" for d in due["next_attempt_at"]}
    state_file(store, "down").write_text(json.dumps(due))
    dead = cli("deliver", "--store", store.url, "--webhooks", str(settings), "--json")
    assert dead.exit_code == 1 and json.loads(dead.output)["dead"] == 2


def test_deliver_list_shows_endpoints_without_credentials(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = Receiver(SECRET)
    server = start(receiver)
    good = f"http://127.0.0.1:{server.server_port}/hook"
    secret_url = f"http://bob:s3cr3t@127.0.0.1:{free_port()}/in?token=abc123"
    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_URLS", f"{good},{secret_url}")
    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_SECRET", SECRET)
    listed = cli("deliver", "--list", "--store", store.url, "--json")
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [r["url"] for r in rows] == [
        good,
        secret_url.replace("bob:s3cr3t", "***").replace("abc123", "***"),
    ]
    assert all(r["endpoint"].startswith("hook-") for r in rows)
    assert [(r["pending"], r["dead"]) for r in rows] == [(6, 0), (6, 0)]
    text = cli("deliver", "--list", "--store", store.url)
    assert "s3cr3t" not in text.output and "abc123" not in text.output and "bob" not in text.output
    assert f"{rows[0]['endpoint']}  {good}  pending 6" in text.output
    assert cli("deliver", "--store", store.url, "--endpoint", good).exit_code == 0
    after = [
        json.loads(x)
        for x in cli("deliver", "--list", "--store", store.url, "--json").output.splitlines()
    ]
    assert after[0]["pending"] == 0 and after[0]["cursor"] == 6 and len(receiver.received) == 6
    server.shutdown()


def test_replay_accepts_the_endpoint_url(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = Receiver(SECRET)
    server = start(receiver)
    url = f"http://127.0.0.1:{server.server_port}/hook"
    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_URLS", url)
    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_SECRET", SECRET)
    result = cli("deliver", "--store", store.url, "--replay", "--since", "3", "--endpoint", url)
    assert result.exit_code == 0, result.output
    assert receiver.ids() == log_ids(store)[3:]
    unknown = cli("deliver", "--store", store.url, "--replay", "--endpoint", "http://u:pw@x/")
    assert unknown.exit_code == 2 and "deliver --list" in unknown.output
    assert "pw" not in unknown.output
    server.shutdown()


def test_the_lease_is_given_back_whatever_goes_wrong(store: Store) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug in the transport")

    hook = endpoint("http://127.0.0.1:9/")
    with pytest.raises(RuntimeError):
        Deliverer(store, httpx.Client(transport=httpx.MockTransport(broken)), Clock()).deliver(hook)
    assert json.loads(state_file(store).read_text())["lease_owner"] is None
    receiver = Receiver(SECRET)
    server = start(receiver)
    again = Deliverer(store, httpx.Client(), Clock()).deliver(
        endpoint(f"http://127.0.0.1:{server.server_port}/")
    )
    assert not again.busy and again.delivered == 6  # not wedged for LEASE minutes
    server.shutdown()


def test_a_corrupt_log_entry_is_skipped_with_one_error_line(store: Store) -> None:
    receiver = Receiver(SECRET, fail_first=1)  # doc-a's first event fails: doc-a waits
    server = start(receiver)
    clock = Clock()
    hook = endpoint(f"http://127.0.0.1:{server.server_port}/")
    first = Deliverer(store, httpx.Client(), clock).deliver(hook)
    assert first.failed == 1 and first.waiting == 3 and first.delivered == 3
    waiting = log_file(store, 1)  # the head of doc-a's queue, truncated as by a crash
    waiting.write_bytes(waiting.read_bytes()[:40])
    record_capture(store, target("doc-b"), capture(page("doc-b Four."), 10))  # cursor 7
    log_file(store, 7).write_bytes(b"\x00garbage")
    clock.now += timedelta(hours=1)
    second = Deliverer(store, httpx.Client(), clock).deliver(hook)
    assert (second.delivered, second.skipped, second.waiting) == (2, 2, 0) and not second.ok
    assert any("events/log/000000000001.json" in e for e in second.errors)
    assert any("events/log/000000000007.json" in e for e in second.errors)
    assert all("\n" not in e for e in second.errors)
    assert json.loads(state_file(store).read_text())["lease_owner"] is None
    third = Deliverer(store, httpx.Client(), clock).deliver(hook)
    assert third.ok and third.skipped == 0  # skipped once, not wedged on it
    server.shutdown()


def test_a_corrupt_state_file_stops_that_endpoint_only(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = Receiver(SECRET)
    server = start(receiver)
    url = f"http://127.0.0.1:{server.server_port}/"
    good, bad = endpoint(url), Endpoint(name="broken", url=url, secret=SECRET)
    state_file(store, "broken").parent.mkdir(parents=True)
    state_file(store, "broken").write_text('{"cursor": "lots", "waiting": [')
    deliverer = Deliverer(store, httpx.Client(), Clock())
    broken = deliverer.deliver(bad)
    assert (
        broken.error and "webhooks/broken/state.json" in broken.error and "\n" not in broken.error
    )
    assert broken.delivered == 0 and not broken.ok
    assert state_file(store, "broken").read_text() == '{"cursor": "lots", "waiting": ['
    assert deliverer.deliver(good).delivered == 6
    assert "state.json" in deliverer.status(bad)["error"]
    server.shutdown()


@pytest.mark.usefixtures("prefect_harness")
def test_the_deliver_flow_fails_when_a_delivery_failed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clausewatch.events.webhooks import DeliveryIncomplete
    from clausewatch.flows.deliver import deliver

    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_URLS", f"http://127.0.0.1:{free_port()}/")
    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_SECRET", SECRET)
    with pytest.raises(DeliveryIncomplete, match="2 failed"):
        deliver(store.url)


def test_bad_endpoint_settings_are_one_line_without_the_values(
    store: Store, tmp_path: Path
) -> None:
    settings = tmp_path / "hooks.yaml"
    settings.write_text(
        "endpoints:\n  - name: bad\n    url: ftp://u:hunter2@files.example.com/\n"
        "    secret: whsec_\n"
    )
    result = cli("deliver", "--store", store.url, "--webhooks", str(settings))
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "endpoints.0.url" in result.output and "not an http(s) URL" in result.output
    assert "endpoints.0.secret" in result.output and "whsec_" in result.output
    assert "hunter2" not in result.output


@pytest.mark.parametrize("as_json", [False, True])
def test_deliver_without_endpoints_says_so_and_exits_0(
    store: Store, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    """It printed nothing at all: a deployment whose settings were never read looked like one
    with nothing to deliver. No receivers is not a failure (exit 0); the line goes to stderr,
    so --json output stays JSON lines."""
    for name in ("CLAUSEWATCH_WEBHOOKS_FILE", "CLAUSEWATCH_WEBHOOK_URLS"):
        monkeypatch.delenv(name, raising=False)
    result = cli("deliver", "--store", store.url, *(["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "no webhook endpoints are configured: nothing delivered (set "
        "CLAUSEWATCH_WEBHOOKS_FILE or CLAUSEWATCH_WEBHOOK_URLS, or pass --webhooks FILE)"
    )


def test_deliver_with_a_settings_file_without_endpoints_names_the_file(
    store: Store, tmp_path: Path
) -> None:
    settings = tmp_path / "hooks.yaml"
    settings.write_text("endpoints: []\n")
    result = cli("deliver", "--store", store.url, "--webhooks", str(settings))
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"no webhook endpoints in {settings}: nothing delivered"


@pytest.mark.parametrize("url", ["ht!tp://SECRETPW@x", "ht!tp://user:SECRETPW@x/p?k=v"])
def test_a_webhook_url_whose_scheme_does_not_parse_is_refused_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    from typer.testing import CliRunner

    from clausewatch.cli import app

    store = Store(LocalBackend(tmp_path / "store"))
    store.backend.create("probe", b"x")  # an existing store
    env = {"CLAUSEWATCH_WEBHOOK_URLS": url, "CLAUSEWATCH_WEBHOOK_SECRET": "whsec_" + "A" * 32}
    result = CliRunner().invoke(app, ["deliver", "--store", str(tmp_path / "store")], env=env)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: CLAUSEWATCH_WEBHOOK_URLS")
    assert len(result.output.strip().splitlines()) == 1
    assert "SECRETPW" not in result.output and "***@x" in result.output


def test_a_long_delivery_keeps_its_lease_and_saves_without_reading_back(store: Store) -> None:
    """Regression: the 5-minute lease was never renewed, so a second deliverer took over a
    delivery that was still running; and every save read the state back for its token."""
    from clausewatch.storage import layout
    from tests.counting import Counting

    clock = Clock()
    hook = endpoint("http://127.0.0.1:9/")
    counted = Counting(store.backend)
    busy: list[bool] = []

    def slow(request: httpx.Request) -> httpx.Response:
        clock.now += timedelta(minutes=2)  # six events: twelve minutes in all
        rival = Deliverer(store, httpx.Client(), clock).deliver(hook)
        busy.append(rival.busy and rival.delivered == 0)
        return httpx.Response(200)

    client = httpx.Client(transport=httpx.MockTransport(slow))
    report = Deliverer(Store(counted), client, clock).deliver(hook)
    assert report.delivered == 6 and report.ok, report
    assert busy == [True] * 6  # no rival took over at any point
    state_reads = counted.calls[f"read {layout.WEBHOOKS}{hook.name}"]
    assert state_reads == 2, counted.calls  # the claim's and the release's, none per save
