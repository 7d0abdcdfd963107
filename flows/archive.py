"""The ``wayback-queue`` flow: submit queued new versions to the Wayback Machine.

The monitor flow runs the same task after it has recorded and announced every document, so
captures and change events never wait on the Wayback Machine; the scheduled deployment of this
flow works through what is left (retries, rate-limit pauses, jobs still running).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from clausewatch.errors import ClausewatchError
from clausewatch.storage.store import open_store
from clausewatch.wayback.archive import client_from_env, process_queue


@task(name="wayback", cache_policy=NO_CACHE)
def archive_task(store: str) -> list[dict[str, str]]:
    """Process the due queue entries; one result per submission."""
    client = client_from_env()
    if not client.settings.enabled:
        return []
    results = [done.as_json() for done in process_queue(open_store(store), client)]
    logger = get_run_logger()
    for r in results:
        logger.info("%s %s: %s %s", r["document"], r["manifest"][:12], r["status"], r["detail"])
    return results


class ArchiveIncomplete(ClausewatchError):
    """A Wayback pass in which a submission failed for good or a queue entry is damaged."""


@flow(name="wayback-queue")
def wayback_queue(store: str = "./archive") -> list[dict[str, Any]]:
    """Submit every due version in the store's Wayback queue. The flow run fails (after
    everything due was worked on) when a submission failed for good or an entry is damaged,
    as `clausewatch archive` exits 1, so operators see it in the Prefect UI."""
    results = archive_task(store)
    bad = [r for r in results if r["status"] in ("failed", "damaged")]
    if bad:
        first = bad[0]
        raise ArchiveIncomplete(
            f"{len(bad)} of {len(results)} Wayback submissions failed or were damaged, first: "
            f"{first['document']} {first['manifest'][:12]} {first['status']}: {first['detail']}"
        )
    return results
