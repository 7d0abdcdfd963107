"""The one retry policy (clausewatch.retry): what is transient, and the waits between tries."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from clausewatch.errors import (
    CaptureError,
    CaptureTimeout,
    CatalogError,
    ClausewatchError,
    ConflictError,
    ExtractionError,
    FetchError,
    InputError,
    IntegrityError,
    ObjectNotFound,
    StoreError,
    StoreUnavailable,
    SuspectPage,
)
from clausewatch.events import webhooks
from clausewatch.net.outbound import OutboundRefused
from clausewatch.pipeline import monitor
from clausewatch.retry import (
    MAX_RETRY_AFTER_S,
    Backoff,
    Policy,
    call_async,
    is_transient,
    retry_after_s,
    transient_status,
)
from clausewatch.wayback import archive
from clausewatch.wayback.client import RateLimited, WaybackClient, WaybackSettings

# -- what is transient -------------------------------------------------------------------

REQUEST = httpx.Request("GET", "https://example.com/")


@pytest.mark.parametrize(
    "exc",
    [
        StoreUnavailable("connection reset"),
        CaptureTimeout("navigation timed out"),
        FetchError("HTTP 503", status=503, transient=True),
        FetchError("net::ERR_CONNECTION_RESET", transient=True),
        httpx.ConnectError("refused", request=REQUEST),
        httpx.ReadTimeout("slow", request=REQUEST),
        httpx.ConnectTimeout("slow", request=REQUEST),
        httpx.RemoteProtocolError("dropped", request=REQUEST),
    ],
    ids=type,
)
def test_transient_errors(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        FetchError("HTTP 404", status=404),
        FetchError("refused: private address"),
        CaptureError("rendering failed"),
        ExtractionError("no text"),
        SuspectPage("a sign-in page"),
        CatalogError("bad catalog"),
        InputError("bad input"),
        OutboundRefused("not a public address"),
        StoreError("access denied"),
        ObjectNotFound("no such object"),
        IntegrityError("bad hash"),
        ConflictError("lost the swap"),
        ClausewatchError("anything else"),
        ValueError("a bug"),
        OSError("disk full"),
        httpx.HTTPStatusError("404", request=REQUEST, response=httpx.Response(404)),
    ],
    ids=type,
)
def test_permanent_errors(exc: BaseException) -> None:
    assert not is_transient(exc)


@pytest.mark.parametrize(
    ("status", "transient"),
    [(s, False) for s in (200, 301, 400, 401, 404, 408)]
    + [(s, True) for s in (429, 500, 502, 503, 504, 599)],
)
def test_transient_statuses(status: int, transient: bool) -> None:
    assert transient_status(status) is transient


# -- Retry-After --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("1.5", 1.5),
        ("0", 1.0),  # at least a second
        ("-5", 1.0),
        ("nan", 1.0),
        (None, 60.0),  # missing: a minute
        ("", 60.0),
        ("soon", 60.0),
        ("Wed, 21 Oct 2099 07:28:00 GMT", 60.0),  # an HTTP date is not read: a minute
        ("86400", MAX_RETRY_AFTER_S),  # capped at 6 hours
        ("1e300", MAX_RETRY_AFTER_S),
        ("inf", MAX_RETRY_AFTER_S),
    ],
)
def test_retry_after_is_honoured_and_capped(header: str | None, seconds: float) -> None:
    assert retry_after_s(header) == seconds


def test_a_huge_retry_after_pauses_the_archive_for_six_hours(tmp_path: Path) -> None:
    """Before the cap, `Retry-After: 1e300` raised OverflowError out of the pass."""
    from clausewatch.storage import layout
    from clausewatch.storage.local import LocalBackend
    from clausewatch.storage.store import Store
    from tests.helpers import version

    store = Store(LocalBackend(tmp_path / "s"))
    version(store, "https://policies.acme.com/ok")

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/save/status/user":
            return httpx.Response(200, json={"available": 5})
        return httpx.Response(429, headers={"Retry-After": "1e300"}, json={})

    settings = WaybackSettings(base_url="http://127.0.0.1:9")
    client = WaybackClient(
        settings, httpx.Client(transport=httpx.MockTransport(answer)), sleep=lambda s: None
    )
    now = datetime.now(UTC) + timedelta(seconds=1)
    done = archive.process_queue(store, client, clock=lambda: now)
    assert [d.status for d in done] == ["pending"]
    paused = datetime.fromisoformat(store.backend.read(layout.WAYBACK_PAUSED).decode())
    assert paused == now + timedelta(hours=6)


def test_rate_limited_carries_the_capped_wait() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "120"})

    client = WaybackClient(
        WaybackSettings(base_url="http://127.0.0.1:9"),
        httpx.Client(transport=httpx.MockTransport(answer)),
        sleep=lambda s: None,
    )
    with pytest.raises(RateLimited) as limited:
        client.submit("https://policies.acme.com/ok")
    assert limited.value.retry_after == 120.0


# -- backoff ------------------------------------------------------------------------------


def test_backoff_without_jitter_is_the_schedule() -> None:
    backoff = Backoff(first_s=2.0, factor=5.0, max_s=10.0)
    assert [backoff.delay(n) for n in range(1, 6)] == [2.0, 10.0, 10.0, 10.0, 10.0]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 12, 40, 5000])
@pytest.mark.parametrize("u", [0.0, 0.25, 0.5, 0.999999])
def test_backoff_with_jitter_stays_within_its_bounds(n: int, u: float) -> None:
    backoff = Backoff(first_s=30.0, factor=2.0, max_s=6 * 3600.0, spread=1.0)
    base = min(6 * 3600.0, 30.0 * 2.0 ** min(n - 1, 100))
    delay = backoff.delay(n, lambda: u)
    assert 0.5 * base <= delay < 1.5 * base
    assert delay == pytest.approx(base * (0.5 + u))


def test_backoff_never_overflows() -> None:
    assert Backoff(first_s=1.0, factor=10.0).delay(10_000) == math.inf
    assert Backoff(first_s=1.0, factor=10.0, max_s=60.0).delay(10_000) == 60.0


def test_policy_counts_attempts() -> None:
    policy = Policy(attempts=3, backoff=Backoff(1.0))
    assert [policy.gives_up(t) for t in (1, 2, 3, 4)] == [False, False, True, True]
    assert not Policy(attempts=None, backoff=Backoff(1.0)).gives_up(10**6)


# -- the three users keep their numbers ---------------------------------------------------


def test_monitor_retries_three_times_two_then_ten_seconds_apart() -> None:
    waits: list[float] = []
    calls = 0

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    async def step() -> str:
        nonlocal calls
        calls += 1
        raise StoreUnavailable("down")

    with pytest.raises(StoreUnavailable):
        asyncio.run(monitor.retrying("x", monitor.DEFAULT_RETRY, step, sleep=fake_sleep))
    assert calls == 3 and waits == [2.0, 10.0]


def test_a_permanent_error_is_not_retried() -> None:
    calls = 0

    async def step() -> str:
        nonlocal calls
        calls += 1
        raise FetchError("HTTP 404", status=404)

    async def no_sleep(seconds: float) -> None:
        raise AssertionError("no wait for a permanent error")

    with pytest.raises(FetchError):
        asyncio.run(call_async("x", Policy(5, Backoff(1.0)), step, sleep=no_sleep))
    assert calls == 1


def test_a_transient_error_then_success() -> None:
    outcomes: list[BaseException | str] = [CaptureTimeout("slow"), "done"]
    waits: list[float] = []

    async def step() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    assert asyncio.run(call_async("x", Policy(3, Backoff(4.0)), step, sleep=fake_sleep)) == "done"
    assert waits == [4.0]


def test_webhook_backoff_doubles_from_its_base_up_to_its_cap_with_jitter() -> None:
    hook = webhooks.Endpoint(
        name="h",
        url="https://hooks.example.com/",
        secret="whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        backoff_s=30.0,
        max_backoff_s=3600.0,
        max_attempts=8,
    )
    policy = hook.policy()
    assert [policy.delay(n, lambda: 0.5) for n in range(1, 9)] == [
        30.0,
        60.0,
        120.0,
        240.0,
        480.0,
        960.0,
        1920.0,
        3600.0,
    ]
    assert policy.delay(1, lambda: 0.0) == 15.0 and policy.delay(20, lambda: 0.0) == 1800.0
    assert not policy.gives_up(7) and policy.gives_up(8)


def test_wayback_retry_waits_two_minutes_doubling_up_to_six_hours() -> None:
    waits = [timedelta(seconds=archive.RETRY.delay(n)) for n in range(1, 12)]
    assert waits[:4] == [timedelta(minutes=m) for m in (2, 4, 8, 16)]
    assert waits[7] == timedelta(minutes=256) and waits[8:] == [archive.MAX_BACKOFF] * 3
    assert archive.RETRY.attempts is None  # retried until it succeeds or fails for good
