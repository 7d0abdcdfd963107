"""Webhook delivery to real receivers on 127.0.0.1: signed, retried, ordered, replayable."""

from __future__ import annotations

import base64
import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from clausewatch.record import record_capture
from clausewatch.webhooks import Deliverer, Endpoint
from storage.local import LocalBackend
from storage.store import Store
from tests.helpers import capture, page, target
from tests.receiver import Receiver, start
from tests.test_record import validate

SECRET = "whsec_" + base64.b64encode(b"clausewatch-test-secret-32-bytes").decode()


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


def endpoint(url: str, **kw: object) -> Endpoint:
    return Endpoint(name="test", url=url, secret=SECRET, timeout_s=0.5, backoff_s=10, **kw)  # type: ignore[arg-type]


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
