"""The ``monitor`` flow: check every document of a catalog once.

Thin by design: the orchestration is :func:`clausewatch.monitor.monitor_documents`; this file
wraps its I/O steps as Prefect tasks (retries only where I/O can fail transiently), publishes
every event the run logged as a Prefect event, and leaves Markdown artifacts for operators.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from clausewatch import report
from clausewatch.capture import CaptureSettings, Renderer
from clausewatch.catalog import load_catalog
from clausewatch.errors import is_transient
from clausewatch.monitor import capture_document, monitor_documents
from clausewatch.record import Outcome, record_capture, record_failure
from flows.archive import archive_task
from flows.deliver import deliver_task
from storage.store import Store, open_store


def _retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except Exception as exc:
        return is_transient(exc)
    return False


capture_task = task(
    name="capture",
    task_run_name="capture {doc.id}",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_retry_if_transient,
)(capture_document)
record_task = task(
    name="record",
    task_run_name="record {target.ref.id}",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=_retry_if_transient,
)(record_capture)
failure_task = task(
    name="record-failure",
    task_run_name="record failure {target.ref.id}",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=_retry_if_transient,
)(record_failure)


@flow(name="monitor", log_prints=False)
async def monitor(
    catalog: str,
    store: str = "./archive",
    pages: int = 4,
    per_host: int = 2,
    host_gap_s: float = 1.0,
) -> list[dict[str, Any]]:
    """Render, extract, store by hash, detect and emit for every document in ``catalog``.

    At most ``pages`` pages render at once, at most ``per_host`` of one host, with
    ``host_gap_s`` seconds between two requests to the same host."""
    logger = get_run_logger()
    docs = load_catalog(catalog).documents
    target_store = open_store(store)
    start = last_cursor(target_store)
    settings = CaptureSettings(pages=pages, per_host=per_host, host_gap_s=host_gap_s)
    async with Renderer(settings) as renderer:
        outcomes = await monitor_documents(
            renderer, target_store, docs, capture_task, record_task, failure_task
        )
    for outcome in outcomes:
        logger.info("%s: %s", outcome.document, outcome.status)
    await _artifacts(outcomes, target_store.url)
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


def last_cursor(store: Store) -> int:
    return max((cursor for cursor, _ in store.events()), default=0)


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


async def _artifacts(outcomes: list[Outcome], store_url: str) -> None:
    await acreate_markdown_artifact(
        key="monitor-run",
        markdown=report.run_table(outcomes, store_url),
        description="Outcome of every document in this run",
    )
    for outcome in outcomes:
        if outcome.changed and outcome.diff is not None:
            await acreate_markdown_artifact(
                key=f"change-{_artifact_key(outcome.document)}",
                markdown=report.change_markdown(outcome),
                description=f"Clause diff of {outcome.document}",
            )


def _artifact_key(document: str) -> str:
    # artifact keys allow lower-case letters, digits and dashes only
    return "".join(c if c.isalnum() else "-" for c in document.lower())
