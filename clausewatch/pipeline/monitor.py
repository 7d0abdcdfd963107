"""One monitoring pass over a catalog: plan, capture and record each document, in batches.

The orchestration is written once and takes its steps as arguments: the Prefect flow
(:mod:`flows.monitor`) runs each batch as one Prefect task, and ``clausewatch run
--no-prefect`` runs the same batches bare. Either way:

- documents are checked in order of ``priority`` (highest first); one whose ``every`` has not
  elapsed since its last successful read is skipped (``not-due``);
- batches bound the orchestration cost: a 10,000-document catalog is ~100 task runs, not
  10,000 (see :func:`batch_size_for`);
- at most ``window`` batches are in flight, and each outcome is reported to ``on_outcome``
  and then reduced to its summary, so memory stays flat whatever the catalog's size;
- a transient I/O failure (a timeout, a dropped connection, the store unreachable) is retried
  with back-off for that document only; any failure of one document becomes that document's
  ``error`` outcome and never fails the others, or the batch.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from clausewatch.errors import CaptureError, ClausewatchError
from clausewatch.pipeline.capture import Renderer
from clausewatch.pipeline.catalog import CatalogDocument
from clausewatch.pipeline.model import Capture, Outcome, Target
from clausewatch.pipeline.record import record_capture, record_failure
from clausewatch.retry import Backoff, Policy, Sleep, call_async
from clausewatch.storage.store import Store

log = logging.getLogger(__name__)

CaptureStep = Callable[[Renderer, CatalogDocument], Awaitable[Capture]]
RecordStep = Callable[[Store, Target, Capture], Outcome]
FailureStep = Callable[[Store, Target, datetime, CaptureError], Outcome]
Batch = Sequence[CatalogDocument]
BatchStep = Callable[[Batch], Awaitable[list[Outcome]]]
OutcomeHook = Callable[[Outcome], Awaitable[None]]
T = TypeVar("T")

# Aim for about this many batches (task runs) per run, whatever the catalog's size.
TASKS_PER_RUN = 100


# Retries of one step of one document, for transient I/O failures only: three attempts in
# all, 2 s then 10 s apart.
Retry = Policy
DEFAULT_RETRY = Policy(attempts=3, backoff=Backoff(first_s=2.0, factor=5.0, max_s=10.0))


async def retrying(
    what: str, retry: Policy, step: Callable[[], Awaitable[T]], sleep: Sleep = asyncio.sleep
) -> T:
    """Run ``step``; a transient failure is retried after a delay, anything else raises."""
    return await call_async(what, retry, step, sleep=sleep, logger=log)


async def capture_document(renderer: Renderer, doc: CatalogDocument) -> Capture:
    return await renderer.capture(doc)


def target_of(doc: CatalogDocument) -> Target:
    return Target(ref=doc.ref(), select=doc.select, remove=doc.remove)


async def check_document(
    renderer: Renderer,
    store: Store,
    doc: CatalogDocument,
    capture: CaptureStep = capture_document,
    record: RecordStep = record_capture,
    failure: FailureStep = record_failure,
    retry: Policy = DEFAULT_RETRY,
) -> Outcome:
    """Capture and record one document; every error ends as an ``error`` outcome."""
    target = target_of(doc)
    started = datetime.now(UTC)
    try:
        try:
            evidence = await retrying(f"capture {doc.id}", retry, lambda: capture(renderer, doc))
        except CaptureError as exc:
            return await retrying(
                f"record failure {doc.id}",
                retry,
                partial(asyncio.to_thread, failure, store, target, started, exc),
            )
        return await retrying(
            f"record {doc.id}", retry, lambda: asyncio.to_thread(record, store, target, evidence)
        )
    except ClausewatchError as exc:
        return Outcome(doc.id, "error", error=str(exc), error_type=type(exc).__name__)
    except Exception as exc:  # a bug must not take the other documents down with it
        log.exception("%s (%s): unexpected error", doc.id, doc.url)
        return Outcome(
            doc.id,
            "error",
            error=f"{doc.id}: unexpected {type(exc).__name__}: {exc}",
            error_type="internal",
        )


async def check_documents(
    renderer: Renderer,
    store: Store,
    docs: Batch,
    capture: CaptureStep = capture_document,
    record: RecordStep = record_capture,
    failure: FailureStep = record_failure,
    retry: Policy = DEFAULT_RETRY,
) -> list[Outcome]:
    """Check a batch of documents concurrently (the renderer bounds the pages at once)."""
    jobs = (check_document(renderer, store, d, capture, record, failure, retry) for d in docs)
    return list(await asyncio.gather(*jobs))


def batch_size_for(count: int, requested: int | None = None) -> int:
    """Documents per batch: as requested, else enough for about ``TASKS_PER_RUN`` batches
    (1 for catalogs of up to 100 documents, so small catalogs keep one task per document)."""
    if requested is not None and requested > 0:
        return requested
    return max(1, math.ceil(count / TASKS_PER_RUN))


def plan(
    store: Store, docs: Iterable[CatalogDocument], now: datetime | None = None
) -> tuple[list[CatalogDocument], list[Outcome]]:
    """Order the documents by priority (stable) and set aside those not due yet."""
    now = now or datetime.now(UTC)
    due: list[CatalogDocument] = []
    skipped: list[Outcome] = []
    for doc in sorted(docs, key=lambda d: -d.priority):
        interval = doc.interval()
        if interval is not None:
            last = store.last_checked(doc.id)
            if last is not None and now - last < interval:
                skipped.append(Outcome(doc.id, "not-due", error=f"last read {last.isoformat()}"))
                continue
        due.append(doc)
    return due, skipped


def summary(outcome: Outcome) -> Outcome:
    """The outcome without its diff, lineage and event (kept for the run's table only)."""
    event_id = outcome.event["id"] if outcome.event else None
    counts = dict(outcome.diff.counts) if outcome.diff else None
    return replace(
        outcome,
        event={"id": event_id} if event_id else None,
        diff=None,
        lineages=(None, None),
        counts=counts,
    )


async def run_batches(
    docs: Sequence[CatalogDocument],
    check_batch: BatchStep,
    batch_size: int,
    window: int = 4,
    on_outcome: OutcomeHook | None = None,
) -> list[Outcome]:
    """Run the batches, at most ``window`` at once; returns every outcome, in catalog order,
    reduced to its summary once ``on_outcome`` has seen it."""
    batches = [docs[i : i + batch_size] for i in range(0, len(docs), batch_size)]
    results: list[list[Outcome] | None] = [None] * len(batches)

    async def one(index: int) -> None:
        batch = batches[index]
        try:
            outcomes = await check_batch(batch)
        except Exception as exc:  # the batch's machinery failed, not a document: say so
            log.exception("batch %d (%s..%s) failed", index + 1, batch[0].id, batch[-1].id)
            outcomes = [
                Outcome(
                    d.id,
                    "error",
                    error=f"{d.id}: its batch failed: {type(exc).__name__}: {exc}",
                    error_type="internal",
                )
                for d in batch
            ]
        done = []
        for outcome in outcomes:
            if on_outcome is not None:
                try:
                    await on_outcome(outcome)
                except Exception:
                    log.exception("%s: reporting the outcome failed", outcome.document)
            done.append(summary(outcome))
        results[index] = done

    pending: set[asyncio.Task[None]] = set()
    for index in range(len(batches)):
        if len(pending) >= max(1, window):
            _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        pending.add(asyncio.create_task(one(index)))
    if pending:
        await asyncio.wait(pending)
    return [o for batch in results for o in batch or ()]


async def monitor_documents(
    renderer: Renderer,
    store: Store,
    docs: Sequence[CatalogDocument],
    capture: CaptureStep = capture_document,
    record: RecordStep = record_capture,
    failure: FailureStep = record_failure,
    *,
    batch_size: int | None = None,
    window: int | None = None,
    retry: Policy = DEFAULT_RETRY,
    on_outcome: OutcomeHook | None = None,
) -> list[Outcome]:
    """Check every due document in batches, without Prefect."""
    due, skipped = await asyncio.to_thread(plan, store, docs)

    async def check_batch(batch: Batch) -> list[Outcome]:
        return await check_documents(renderer, store, batch, capture, record, failure, retry)

    size = batch_size_for(len(due), batch_size)
    outcomes = await run_batches(
        due, check_batch, size, window or default_window(renderer, size), on_outcome
    )
    return outcomes + skipped


def default_window(renderer: Renderer, batch_size: int) -> int:
    """Enough batches in flight to keep every page slot busy while some batches wait for
    their slowest document: four times the pages, in documents, plus one batch."""
    return max(3, math.ceil(4 * renderer.settings.pages / batch_size) + 1)
