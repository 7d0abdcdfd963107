"""The ``monitor`` flow: check every document of a catalog once.

Thin by design: the orchestration is :mod:`clausewatch.pipeline.monitor` (plan, batches, per-document
retries of transient I/O); this file runs each batch as a Prefect task, holds Prefect global
concurrency limits around every render (:mod:`flows.limits`), publishes every event the run
logged as a Prefect event, and leaves Markdown artifacts for operators.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from clausewatch.flows.archive import archive_task
from clausewatch.flows.deliver import deliver_task
from clausewatch.flows.limits import PrefectGate
from clausewatch.pipeline import report
from clausewatch.pipeline.capture import CaptureSettings, Renderer
from clausewatch.pipeline.catalog import load_catalog
from clausewatch.pipeline.model import Outcome
from clausewatch.pipeline.monitor import (
    DEFAULT_RETRY,
    Batch,
    Retry,
    batch_size_for,
    check_documents,
    default_window,
    plan,
    run_batches,
)
from clausewatch.storage.store import Store, open_store


@task(name="check", task_run_name="check {label}", cache_policy=NO_CACHE)
async def check_task(
    renderer: Renderer, store: Store, docs: Batch, label: str, retry: Retry
) -> list[Outcome]:
    """Capture and record a batch of documents. No task-level retries: each document's
    transient I/O failures are retried inside, so one bad page never re-runs its batch."""
    return await check_documents(renderer, store, docs, retry=retry)


def _label(docs: Batch) -> str:
    return docs[0].id if len(docs) == 1 else f"{docs[0].id} .. {docs[-1].id} ({len(docs)})"


@flow(name="monitor", log_prints=False)
async def monitor(
    catalog: str,
    store: str = "./archive",
    pages: int = 4,
    per_host: int = 2,
    host_gap_s: float = 1.0,
    batch_size: int | None = None,
    global_limits: bool = False,
) -> list[dict[str, Any]]:
    """Render, extract, store by hash, detect and emit for every due document in ``catalog``.

    At most ``pages`` pages render at once, at most ``per_host`` of one host, with
    ``host_gap_s`` seconds between two requests to the same host: in this worker, and with
    ``global_limits`` across every worker (Prefect global concurrency limits, see
    :mod:`flows.limits`; worth their cost per render when several workers share a catalog).
    Documents run in batches of ``batch_size`` per task (default: about 100 tasks per run, one
    document per task for catalogs of up to 100)."""
    logger = get_run_logger()
    docs = load_catalog(catalog).documents
    target_store = open_store(store)
    start = target_store.last_cursor()
    gate = PrefectGate(pages, per_host, host_gap_s) if global_limits else None
    due, skipped = await asyncio.to_thread(plan, target_store, docs)
    size = batch_size_for(len(due), batch_size)
    logger.info("%d document(s) due, %d not due; %d per task", len(due), len(skipped), size)
    retry = DEFAULT_RETRY

    async def on_outcome(outcome: Outcome) -> None:
        logger.info("%s: %s", outcome.document, outcome.status)
        if outcome.changed and outcome.diff is not None:
            await acreate_markdown_artifact(
                key=f"change-{_artifact_key(outcome.document)}",
                markdown=report.change_markdown(outcome),
                description=f"Clause diff of {outcome.document}",
            )

    async with contextlib.AsyncExitStack() as stack:
        if gate is not None:
            pages = await stack.enter_async_context(gate.reserve())
        settings = CaptureSettings(pages=pages, per_host=per_host, host_gap_s=host_gap_s)
        renderer = await stack.enter_async_context(Renderer(settings, gate))

        async def check_batch(batch: Batch) -> list[Outcome]:
            return await check_task(renderer, target_store, batch, _label(batch), retry)

        outcomes = await run_batches(
            due, check_batch, size, default_window(renderer, size), on_outcome
        )
    outcomes += skipped
    await acreate_markdown_artifact(
        key="monitor-run",
        markdown=report.run_table(outcomes, target_store.url),
        description="Outcome of every document in this run",
    )
    await _after(store, logger)
    published = publish_since(target_store, start)
    logger.info("%d event(s) published as Prefect events", published)
    return [o.as_json() for o in outcomes]


async def _after(store: str, logger: Any) -> None:
    """Deliver webhooks, then submit new versions to the Wayback Machine, once everything is
    recorded; neither can fail the run (the store keeps what was not done)."""
    for step, what in ((deliver_task, "webhook deliveries"), (archive_task, "Wayback submissions")):
        try:
            await asyncio.to_thread(step, store)
        except Exception as exc:
            logger.warning("%s deferred: %s", what, exc)


def publish_since(store: Store, cursor: int) -> int:
    """Emit every event logged after ``cursor`` as a Prefect event; returns how many."""
    count = 0
    for _, event in store.events(cursor):
        publish(event)
        count += 1
    return count


def publish(event: dict[str, Any]) -> None:
    """Emit a CloudEvent as a Prefect event on the resource ``clausewatch.document.<id>``.

    The Prefect event id is derived from the CloudEvent id, so publishing twice is harmless.
    """
    subject = str(event.get("subject", ""))
    document = (event.get("data") or {}).get("document") or {}
    emit_event(
        event=event["type"],
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"clausewatch:{event['id']}"),
        resource={
            "prefect.resource.id": f"clausewatch.document.{subject}",
            "prefect.resource.name": document.get("title") or subject,
        },
        payload={"cloudevent": event},
    )


def _artifact_key(document: str) -> str:
    # artifact keys allow lower-case letters, digits and dashes only
    return "".join(c if c.isalnum() else "-" for c in document.lower())
