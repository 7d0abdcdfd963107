"""Write-once evidence on S3: Object Lock retention on blobs and manifests, presigned links.

Moto records Object Lock retention but does not enforce it on reads or deletes, and does not
check presigned signatures; what is tested here is what clausewatch sends and what a reader
can fetch with the link.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.errors import StoreError
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.s3 import ObjectLock, S3Backend
from clausewatch.storage.store import Store
from tests.conftest import s3_client
from tests.helpers import T0, capture, page, target


def locked_store(moto_endpoint: str) -> tuple[Store, str]:
    client = s3_client(moto_endpoint)
    bucket = f"cw-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    backend = S3Backend(
        bucket, "evidence", client=client, object_lock=ObjectLock("COMPLIANCE", 3650)
    )
    return Store(backend), bucket


def test_blobs_and_manifests_carry_retention_heads_do_not(moto_endpoint: str) -> None:
    store, bucket = locked_store(moto_endpoint)
    out = record_capture(store, target(), capture(page("Terms.")))
    assert out.content_hash and out.manifest
    client = s3_client(moto_endpoint)

    def mode(
        key: str,
    ) -> str | None:  # moto answers HEAD with the lock (its GetObjectRetention fails)
        return client.head_object(Bucket=bucket, Key=f"evidence/{key}").get("ObjectLockMode")

    assert mode(f"blobs/{out.content_hash[:2]}/{out.content_hash}") == "COMPLIANCE"
    assert mode(f"manifests/{out.manifest[:2]}/{out.manifest}.json") == "COMPLIANCE"
    assert mode("heads/acme-privacy.json") is None  # heads move: never locked


def test_object_lock_setting_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUSEWATCH_S3_OBJECT_LOCK", "FOREVER")
    with pytest.raises(StoreError, match="GOVERNANCE:DAYS or COMPLIANCE:DAYS"):
        ObjectLock.from_env()
    monkeypatch.setenv("CLAUSEWATCH_S3_OBJECT_LOCK", "governance:30")
    assert ObjectLock.from_env() == ObjectLock("GOVERNANCE", 30)


def test_presigned_link_downloads_the_verified_bytes(moto_endpoint: str, s3_env: str) -> None:
    client = s3_client(moto_endpoint)
    bucket = f"cw-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    store = Store(S3Backend(bucket, "p", client=client))
    out = record_capture(store, target(), capture(page("Terms.")))
    result = CliRunner().invoke(
        app, ["presign", str(out.content_hash), "--store", f"s3://{bucket}/p"]
    )
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    assert link.startswith(moto_endpoint) and "Signature" in link
    assert httpx.get(link).content == store.get_blob(str(out.content_hash))


def test_presign_needs_s3(tmp_path: Path) -> None:
    out = record_capture(Store(LocalBackend(tmp_path)), target(), capture(page("Terms.")))
    result = CliRunner().invoke(app, ["presign", str(out.content_hash), "--store", str(tmp_path)])
    assert result.exit_code == 2 and "need an S3 store" in result.output


def test_json_records_are_application_json_and_captured_bodies_are_inert(
    moto_endpoint: str, s3_bucket: str
) -> None:
    from clausewatch.evidence import seal
    from clausewatch.pipeline.model import Capture
    from clausewatch.storage import layout

    client = s3_client(moto_endpoint)
    store = Store(S3Backend(s3_bucket, "ct", client=client))
    record_capture(store, target(), capture(page("<script>alert(1)</script> Terms.")))
    record_capture(store, target(), capture(page("Terms."), 5))  # unchanged: a check record
    out = record_capture(
        store,
        target("acme-terms"),
        Capture("https://acme.example/t", T0, "browser", page("Rules.")),
    )
    assert out.manifest and list(store.backend.list(layout.WAYBACK_QUEUE))  # queued for Wayback
    seal.seal(store)

    def types(prefix: str) -> set[str]:
        keys = [
            o["Key"]
            for o in client.list_objects_v2(Bucket=s3_bucket, Prefix=f"ct/{prefix}")["Contents"]
        ]
        return {client.head_object(Bucket=s3_bucket, Key=k)["ContentType"] for k in keys}

    for area in ("manifests/", "heads/", "checks/", "events/log/", "wayback/queue/", "seals/"):
        assert types(area) == {"application/json"}, area
    assert types("blobs/") == {"application/octet-stream"}  # the page, its DOM, its clauses
    assert types("events/cursor") == {"application/octet-stream"}  # a number, not a record


def test_presigned_links_are_sigv4_in_us_east_1(
    moto_endpoint: str, s3_env: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # where botocore defaults to SigV2
    backend = S3Backend(s3_bucket, "p")  # its own client, as `clausewatch presign` builds it
    assert backend.client.meta.region_name == "us-east-1"
    link = backend.presign("blobs/ab/ab", 600)
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in link and "X-Amz-Expires=600" in link
    assert "AWSAccessKeyId=" not in link and "&Signature=" not in link  # no SigV2 fields


def test_seals_and_reextraction_records_carry_retention(moto_endpoint: str) -> None:
    """Seals and re-extraction records are written once and checked by verify: locked like
    blobs and manifests (they were not)."""
    from clausewatch.evidence.seal import seal
    from clausewatch.pipeline.reextract import reextract

    store, bucket = locked_store(moto_endpoint)
    record_capture(store, target(), capture(page("Terms.")))
    seal(store)
    rebuilt = reextract(store, "acme-privacy")
    client = s3_client(moto_endpoint)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="evidence/")["Contents"]]
    seals = [k for k in keys if k.startswith("evidence/seals/")]
    records = [k for k in keys if k.startswith("evidence/reextracts/")]
    assert seals and records == [f"evidence/reextracts/acme-privacy/{rebuilt.head}.json"]
    for key in seals + records:
        assert client.head_object(Bucket=bucket, Key=key).get("ObjectLockMode") == "COMPLIANCE"
