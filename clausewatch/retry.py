"""The one retry policy: what is worth another try, and how long to wait before it.

Three places retry, on different clocks, and share this module:

- a document's step in a monitoring pass (:mod:`clausewatch.pipeline.monitor`) is retried in process,
  by :func:`call_async`, for a transient failure only (:func:`is_transient`);
- a webhook delivery (:mod:`clausewatch.events.webhooks`) and a Wayback submission
  (:mod:`clausewatch.wayback.archive`) are retried by a later pass: the policy gives the delay, the
  caller stores the time of the next attempt (``next_attempt_at``) and the attempts so far.

Each keeps its own numbers (:class:`Policy`), computed by the same formula (:class:`Backoff`).
Following a Wayback job (:meth:`clausewatch.wayback.client.WaybackClient.poll`) and looking at a
running job again a minute later (``archive.RETRY_PENDING``) are polling, not retrying: the
request did not fail, the answer is not ready yet. They keep their own intervals.

What counts as transient:

- :func:`is_transient`: an exception a retry may cure: the store unreachable
  (:class:`~clausewatch.errors.StoreUnavailable`), a capture timeout, a fetch error marked
  transient (see :func:`transient_status` and the browser's network error codes), an httpx
  transport error (no connection, a timeout, a dropped connection);
- :func:`transient_status`: HTTP 429 and 5xx; every other status is permanent;
- a 429's ``Retry-After`` is read by :func:`retry_after_s` (seconds; capped).

A webhook delivery is the exception by design: every failed attempt, a 4xx included, is
retried until the endpoint's budget runs out and the event is dead-lettered (a receiver that
answers 401 or 404 is usually being deployed or reconfigured, and the budget bounds the cost).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from clausewatch.errors import CaptureTimeout, FetchError, StoreUnavailable

T = TypeVar("T")
Random = Callable[[], float]  # uniform in [0, 1), like random.random
Sleep = Callable[[float], Awaitable[None]]

# A server asking for more than this is waited for this long, then asked again.
MAX_RETRY_AFTER_S = 6 * 3600.0
DEFAULT_RETRY_AFTER_S = 60.0

log = logging.getLogger(__name__)


def transient_status(status: int) -> bool:
    """An HTTP status a later attempt may not get again: 429 (too many requests) and 5xx."""
    return status == 429 or status >= 500


def is_transient(exc: BaseException) -> bool:
    """True for failures of I/O that a retry may cure; anything else is permanent."""
    if isinstance(exc, StoreUnavailable | CaptureTimeout):
        return True
    if isinstance(exc, FetchError):
        return exc.transient
    return _is_httpx_transport_error(exc)


def _is_httpx_transport_error(exc: BaseException) -> bool:
    # httpx is imported only when the exception comes from it (it costs 0.2 s to import)
    if not any(c.__module__.partition(".")[0] == "httpx" for c in type(exc).__mro__):
        return False
    import httpx

    return isinstance(exc, httpx.TransportError)


def retry_after_s(
    value: str | None,
    default: float = DEFAULT_RETRY_AFTER_S,
    floor: float = 1.0,
    cap: float = MAX_RETRY_AFTER_S,
) -> float:
    """The wait a ``Retry-After`` header asks for, in seconds, from ``floor`` to ``cap``;
    ``default`` when it is missing or not a number of seconds (an HTTP date included)."""
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        return default
    if math.isnan(seconds):
        return floor
    return min(cap, max(floor, seconds))


@dataclass(frozen=True)
class Backoff:
    """The wait after the ``n``-th failed attempt (n = 1, 2, ...):
    ``first_s * factor ** (n - 1)``, capped at ``max_s``, then multiplied by a jitter factor
    drawn uniformly from ``[1 - spread / 2, 1 + spread / 2)``.

    ``spread=0`` is no jitter; ``spread=1`` spreads the wait from half to one and a half times
    the capped value (so up to ``1.5 * max_s``). That is not "full jitter" (uniform from 0 to
    the value): a wait never falls below half the schedule."""

    first_s: float
    factor: float = 2.0
    max_s: float = math.inf
    spread: float = 0.0

    def delay(self, n: int, rand: Random = random.random) -> float:
        try:
            raw = self.first_s * self.factor ** max(0, n - 1)
        except OverflowError:
            raw = math.inf
        base = min(self.max_s, raw)
        if not self.spread:
            return base
        return base * (1 - self.spread / 2 + self.spread * rand())


@dataclass(frozen=True)
class Policy:
    """How many attempts in all (the first included; None for no limit), and the waits."""

    attempts: int | None
    backoff: Backoff

    def gives_up(self, tries: int) -> bool:
        """No attempt after ``tries`` failed ones."""
        return self.attempts is not None and tries >= self.attempts

    def delay(self, tries: int, rand: Random = random.random) -> float:
        """Seconds to wait after ``tries`` failed attempts."""
        return self.backoff.delay(tries, rand)


async def call_async(
    what: str,
    policy: Policy,
    step: Callable[[], Awaitable[T]],
    *,
    transient: Callable[[BaseException], bool] = is_transient,
    sleep: Sleep = asyncio.sleep,
    rand: Random = random.random,
    logger: logging.Logger = log,
) -> T:
    """Run ``step``; a transient failure is retried after the policy's wait, until the policy
    gives up; anything else raises at once. ``sleep`` is injectable (tests)."""
    tries = 0
    while True:
        try:
            return await step()
        except Exception as exc:
            tries += 1
            if policy.gives_up(tries) or not transient(exc):
                raise
            delay = policy.delay(tries, rand)
            logger.warning("%s: %s; retrying in %.0f s", what, exc, delay)
            await sleep(delay)
