"""Politeness across workers: Prefect global concurrency limits around every page render.

Besides the worker's own local limits:

- ``clausewatch-pages``: browser pages across every worker. A worker reserves its page slots
  (``occupy=pages``) for the whole run, so workers beyond the limit wait for one to finish;
  reserving once per run, not once per page, keeps this off the per-page path.
- ``clausewatch-host-<host>``: pages of one host at once across every worker, held around
  each render of that host;
- ``clausewatch-gap-<host>``: a rate limit (one slot, decaying in ``host_gap_s``) that spaces
  the starts of two requests to one host.

Cost, measured on this project's test machine against a SQLite-backed Prefect server: about
85 ms per render for the host limit uncontended, and much more when several pages of one host
queue for it (Prefect's client serialises acquisitions of one limit and backs off on denials).
Catalogs spread over many hosts barely notice; see the README's figures.

A limit is created the first time a run needs it, with the run's parameters; after that it
belongs to the operator (``prefect gcl update clausewatch-pages --limit 8``, or the UI's
Concurrency page) and runs never overwrite it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.asyncio import concurrency, rate_limit
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

PAGES = "clausewatch-pages"
_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")  # Prefect refuses / % & > < in limit names


def host_limit(host: str) -> str:
    return f"clausewatch-host-{_UNSAFE.sub('_', host) or 'none'}"


def gap_limit(host: str) -> str:
    return f"clausewatch-gap-{_UNSAFE.sub('_', host) or 'none'}"


class PrefectGate:
    """A :class:`clausewatch.pipeline.capture.Gate` on Prefect global concurrency limits."""

    def __init__(self, pages: int, per_host: int, host_gap_s: float) -> None:
        self.pages = pages
        self.per_host = per_host
        self.host_gap_s = host_gap_s
        self._ready: set[str] = set()
        self._lock = asyncio.Lock()

    async def _ensure(self, name: str, limit: int, decay: float | None = None) -> None:
        if name in self._ready:
            return
        async with self._lock:
            if name in self._ready:
                return
            async with get_client() as client:
                try:
                    await client.read_global_concurrency_limit_by_name(name)
                except ObjectNotFound:
                    with contextlib.suppress(ObjectAlreadyExists):  # another worker won
                        await client.create_global_concurrency_limit(
                            GlobalConcurrencyLimitCreate(
                                name=name, limit=limit, slot_decay_per_second=decay or 0.0
                            )
                        )
            self._ready.add(name)

    @contextlib.asynccontextmanager
    async def reserve(self) -> AsyncIterator[int]:
        """Hold this worker's share of ``clausewatch-pages`` for the whole run; yields how
        many pages it may render at once (fewer than asked if the limit is lower)."""
        await self._ensure(PAGES, self.pages)
        async with get_client() as client:
            limit = (await client.read_global_concurrency_limit_by_name(PAGES)).limit
        pages = max(1, min(self.pages, limit))
        async with concurrency(PAGES, occupy=pages, strict=True):
            yield pages

    @contextlib.asynccontextmanager
    async def turn(self, host: str) -> AsyncIterator[None]:
        await self._ensure(host_limit(host), self.per_host)
        async with concurrency(host_limit(host), occupy=1, strict=True):
            if self.host_gap_s > 0:
                await self._ensure(gap_limit(host), 1, 1.0 / self.host_gap_s)
                await rate_limit(gap_limit(host), occupy=1, strict=True)
            yield
