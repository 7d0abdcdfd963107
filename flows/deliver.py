"""Flows that read the event log: webhook delivery and the weekly digest.

The monitor flow runs :func:`deliver_task` once its events are logged; the ``deliver``
deployment retries what is due every few minutes, so a receiver that was down gets everything
once it is back; ``digest`` summarises the week as a Prefect artifact and a digest event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from clausewatch.events import cloudevents as events
from clausewatch.events.webhooks import Deliverer, DeliveryIncomplete, endpoints_from_env
from clausewatch.evidence import digest as digests
from clausewatch.storage.store import open_store


@task(name="deliver", cache_policy=NO_CACHE)
def deliver_task(store: str) -> list[dict[str, Any]]:
    """Deliver what is due to every configured webhook endpoint."""
    endpoints = endpoints_from_env()
    if not endpoints:
        return []
    deliverer = Deliverer(open_store(store))
    reports = [deliverer.deliver(endpoint).as_json() for endpoint in endpoints]
    logger = get_run_logger()
    for r in reports:
        logger.info(
            "%s: %d delivered, %d failed, %d dead-lettered, %d waiting, %d skipped",
            r["endpoint"],
            r["delivered"],
            r["failed"],
            r["dead"],
            r["waiting"],
            r["skipped"],
        )
        for line in ([r["error"]] if r["error"] else []) + r["errors"][:20]:
            logger.warning("%s: %s", r["endpoint"], line)
    return reports


@flow(name="deliver")
def deliver(store: str = "./archive") -> list[dict[str, Any]]:
    """Deliver the event log to the webhook endpoints (what is due now). The flow run fails
    (as the ``deliver`` command exits 1) when a delivery failed, an event was dead-lettered or
    skipped, or an endpoint was refused or unreadable; what was not delivered stays queued."""
    reports = deliver_task(store)
    if bad := [r for r in reports if not r["ok"]]:
        raise DeliveryIncomplete(
            "; ".join(
                f"{r['endpoint']}: {r['failed']} failed, {r['dead']} dead-lettered, "
                f"{r['skipped']} skipped" + (f" ({r['error']})" if r["error"] else "")
                for r in bad
            )
        )
    return reports


@flow(name="digest")
def digest(store: str = "./archive", since: str = "7d") -> dict[str, Any]:
    """Summarise the period as a Markdown artifact and a ``dev.clausewatch.digest`` event."""
    now = datetime.now(UTC)
    target = open_store(store)
    summary = digests.build(target, digests.parse_since(since, now), now)
    create_markdown_artifact(
        key="digest",
        markdown=digests.markdown(summary),
        description=f"clausewatch digest since {since}",
    )
    event = digests.digest_event(summary, now)
    events.append(target, event)
    emit_event(
        event=event["type"],
        resource={"prefect.resource.id": "clausewatch.digest"},
        payload={"cloudevent": event},
    )
    return summary
