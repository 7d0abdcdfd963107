"""Retries and slow passes (issue 13): a fetch_failed alert survives a transient store error,
and a Wayback claim stays fresh through long polls, so no entry is submitted twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from clausewatch.errors import FetchError, StoreUnavailable
from clausewatch.pipeline.record import record_capture, record_failure
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from clausewatch.wayback import archive
from clausewatch.wayback.client import WaybackClient
from tests.fake_wayback import FakeWayback
from tests.helpers import T0, capture, client_for, page, target, version


class Flaky(LocalBackend):
    """A local store whose next write of an event-log entry fails (the store was unreachable)."""

    fail_next = False

    def create(self, key: str, data: bytes, sha256: str | None = None) -> bool:
        if key.startswith("events/log/") and self.fail_next:
            self.fail_next = False
            raise StoreUnavailable(f"cannot write {key}: connection reset (test)")
        return super().create(key, data, sha256)


def kinds(store: Store) -> list[str]:
    return [e["type"].rsplit(".", 1)[1] for _, e in store.events()]


def test_fetch_failed_fires_once_after_a_transient_store_error(tmp_path: Path) -> None:
    flaky = Flaky(tmp_path / "s")
    store = Store(flaky)
    t = target()
    record_capture(store, t, capture(page("Terms.")))
    error = FetchError("HTTP 503", status=503)
    record_failure(store, t, T0 + timedelta(minutes=1), error)
    flaky.fail_next = True
    with pytest.raises(StoreUnavailable):  # the streak reached 2, its alert could not be logged
        record_failure(store, t, T0 + timedelta(minutes=2), error)
    retried = record_failure(store, t, T0 + timedelta(minutes=2), error)  # the task's retry
    assert retried.event is not None
    assert retried.event["data"]["consecutive_failures"] == 2  # the retry counted nothing again
    record_failure(store, t, T0 + timedelta(minutes=3), error)
    assert kinds(store) == ["captured", "fetch_failed"]  # exactly once per streak
    flaky.fail_next = True
    with pytest.raises(StoreUnavailable):
        record_capture(store, t, capture(page("Terms."), 4))
    record_capture(store, t, capture(page("Terms."), 4))  # retried: the recovery is still told
    assert kinds(store) == ["captured", "fetch_failed", "recovered"]


def test_a_slow_pass_keeps_its_wayback_claims_fresh(
    tmp_path: Path, wayback: tuple[str, FakeWayback]
) -> None:
    """Each status poll takes 25 minutes (of a fake clock); a scheduled run starting while the
    second entry is polled must see it claimed, not submit it again."""
    base, fake = wayback
    store = Store(LocalBackend(tmp_path / "s"))
    version(store, "https://policies.acme.com/ok", doc="a-terms")
    version(store, "https://policies.acme.com/ok-too", doc="b-terms")
    now = [datetime.now(UTC) + timedelta(seconds=1)]
    waits: list[datetime] = []
    others: list[list[archive.Done]] = []

    def slow_poll(seconds: float) -> None:
        now[0] += timedelta(minutes=25)
        waits.append(now[0])
        if len(waits) == 4:  # the second wait on the second entry: another run starts
            others.append(archive.process_queue(store, client_for(base), clock=lambda: now[0]))

    slow = client_for(base)
    slow = WaybackClient(slow.settings, httpx.Client(), sleep=slow_poll)
    done = archive.process_queue(store, slow, clock=lambda: now[0])
    assert [d.status for d in done] == ["archived", "archived"]
    assert others == [[]]  # the other run found nothing due
    assert sorted(fake.submissions) == [
        "https://policies.acme.com/ok",
        "https://policies.acme.com/ok-too",
    ]


@pytest.mark.parametrize(
    ("status", "transient"), [(429, True), (503, True), (500, True), (403, False), (400, False)]
)
def test_the_s3_store_counts_a_status_as_transient_as_every_other_client_does(
    status: int, transient: bool
) -> None:
    """Regression: the S3 backend had its own ``>= 500`` and took a 429 for a permanent error."""
    import boto3
    import botocore.exceptions

    from clausewatch.storage.s3 import S3Backend

    client = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    backend = S3Backend("bucket", "archive", client=client)
    answer: Any = {"Error": {"Code": "Whatever"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    exc = botocore.exceptions.ClientError(answer, "GetObject")
    error = backend._error("read", "blobs/x", exc)
    assert isinstance(error, StoreUnavailable) is transient, error
