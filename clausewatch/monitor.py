"""One monitoring pass over a catalog: capture each document, record it, collect outcomes.

The orchestration is written once and takes its steps as arguments: the Prefect flow
(:mod:`flows.monitor`) passes the same functions wrapped as tasks with retries, and
``clausewatch run --no-prefect`` passes them bare. A failure of one document never fails the
others: it becomes that document's ``error`` outcome.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from clausewatch.capture import Renderer
from clausewatch.catalog import CatalogDocument
from clausewatch.errors import CaptureError, ClausewatchError
from clausewatch.record import Capture, Outcome, Target, record_capture, record_failure
from storage.store import Store

log = logging.getLogger(__name__)

CaptureStep = Callable[[Renderer, CatalogDocument], Awaitable[Capture]]
RecordStep = Callable[[Store, Target, Capture], Outcome]
FailureStep = Callable[[Store, Target, datetime, CaptureError], Outcome]


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
) -> Outcome:
    """Capture and record one document; every error ends as an ``error`` outcome."""
    target = target_of(doc)
    started = datetime.now(UTC)
    try:
        try:
            evidence = await capture(renderer, doc)
        except CaptureError as exc:
            return await asyncio.to_thread(failure, store, target, started, exc)
        return await asyncio.to_thread(record, store, target, evidence)
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


async def monitor_documents(
    renderer: Renderer,
    store: Store,
    docs: Sequence[CatalogDocument],
    capture: CaptureStep = capture_document,
    record: RecordStep = record_capture,
    failure: FailureStep = record_failure,
) -> list[Outcome]:
    """Check every document; the renderer bounds how many pages render at once."""
    jobs = (check_document(renderer, store, d, capture, record, failure) for d in docs)
    return list(await asyncio.gather(*jobs))
