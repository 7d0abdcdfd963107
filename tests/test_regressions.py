"""Crash windows, retries and races found in review: each keeps a change event from being lost
or told twice, or a Wayback version from being submitted twice or attested wrongly."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.s3 import S3Backend
from clausewatch.storage.store import Store
from clausewatch.wayback import archive
from tests.conftest import s3_client
from tests.fake_wayback import serve
from tests.helpers import capture, client_for, entry, page, target, version


def kinds(store: Store) -> list[str]:
    return [e["type"].rsplit(".", 1)[1] for _, e in store.events()]


def test_a_claim_left_by_a_crash_does_not_lose_the_event(tmp_path: Path) -> None:
    store = Store(LocalBackend(tmp_path / "s"), claim_lease_s=0.0)
    t = target()
    record_capture(store, t, capture(page("A.")))
    out = record_capture(store, t, capture(page("B."), 1))
    event_id = (out.event or {})["id"]
    # the state a crash leaves between claiming the id and writing the log entry
    (tmp_path / "s" / "events" / "log" / "000000000002.json").unlink()
    store.backend.overwrite(f"events/ids/{event_id}", json.dumps({"claimed_at": 0}).encode())
    store.backend.overwrite("events/cursor", b"1")
    assert kinds(store) == ["captured"]
    record_capture(store, t, capture(page("B."), 2))  # the next check repairs it
    assert kinds(store) == ["captured", "changed"]


def test_a_retried_recording_reports_its_change_again(store: Store) -> None:
    t = target()
    record_capture(store, t, capture(page("A.")))
    same_capture = capture(page("B."), 1)
    first = record_capture(store, t, same_capture)
    again = record_capture(store, t, same_capture)  # Prefect retried the task after the head moved
    assert (again.status, again.changed, again.manifest) == ("changed", True, first.manifest)
    assert (
        again.event is not None
        and first.event is not None
        and again.event["id"] == first.event["id"]
    )
    assert kinds(store) == ["captured", "changed"]


def test_imports_must_come_in_time_order(store: Store) -> None:
    t = target()
    record_capture(store, t, capture(page("Now."), 60))
    late = record_capture(store, t, capture(page("An old text."), 0))
    assert late.status == "error" and "older than the latest version" in (late.error or "")
    assert [m.version for _, m in store.chain(t.ref.id)] == [1]


@pytest.fixture
def lossy_s3(moto_endpoint: str) -> tuple[Store, Callable[[str], None]]:
    """An S3 store whose next successful PUT to a key "loses its answer" so botocore retries it."""
    client = s3_client(moto_endpoint)
    lose: set[str] = set()

    def needs_retry(
        response: Any = None, attempts: int | None = None, request_dict: Any = None, **kwargs: Any
    ) -> int | None:
        url = request_dict["url"] if request_dict else ""
        for part in list(lose):
            if part in url and attempts == 1 and response and response[0].status_code == 200:
                lose.discard(part)
                return 0  # retry the committed PUT at once
        return None

    client.meta.events.register_first("needs-retry.s3.PutObject", needs_retry)  # type: ignore[arg-type]
    bucket = f"cw-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    return Store(S3Backend(bucket, "a", client=client)), lose.add


@pytest.mark.parametrize("key", ["heads/", "events/log/000000000002", "events/ids/"])
def test_s3_writes_retried_by_botocore_are_not_misread(
    lossy_s3: tuple[Store, Callable[[str], None]], key: str
) -> None:
    store, lose = lossy_s3
    t = target()
    record_capture(store, t, capture(page("A.")))
    lose(key)
    out = record_capture(store, t, capture(page("B."), 1))
    assert (out.status, out.changed) == ("changed", True)
    assert kinds(store) == ["captured", "changed"]


def test_rate_limit_while_polling_keeps_the_job(tmp_path: Path) -> None:
    server, fake = serve()
    base = f"http://127.0.0.1:{server.server_port}"
    store = Store(LocalBackend(tmp_path / "s"))
    manifest = version(store, "https://policies.acme.com/rate-poll")
    [first] = archive.process_queue(store, client_for(base))
    assert "rate limit" in first.detail and entry(store, manifest).job_id is not None
    later = datetime.now(UTC) + timedelta(hours=1)
    [second] = archive.process_queue(store, client_for(base), now=later)
    assert second.status == "archived" and fake.submissions == [
        "https://policies.acme.com/rate-poll"
    ]
    server.shutdown()


def test_a_snapshot_older_than_the_version_is_not_attested(tmp_path: Path) -> None:
    server, fake = serve()
    base = f"http://127.0.0.1:{server.server_port}"
    store = Store(LocalBackend(tmp_path / "s"))
    manifest = version(store, "https://policies.acme.com/old")
    [first] = archive.process_queue(store, client_for(base))
    assert first.status == "pending" and "predates the version" in first.detail
    assert archive.attestation(store, manifest) is None and entry(store, manifest).fresh
    later = datetime.now(UTC) + timedelta(hours=1)
    [second] = archive.process_queue(store, client_for(base), now=later)
    assert second.status == "archived"
    assert fake.windows == ["1d", None]  # the second submit asked for a fresh capture
    server.shutdown()


def test_get_into_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    store = Store(LocalBackend(tmp_path / "s"))
    h = store.put_blob(b"bytes")
    result = CliRunner().invoke(app, ["get", h, "--store", store.url, "-o", str(tmp_path)])
    assert result.exit_code == 2 and "is a directory" in result.output
    assert not list(tmp_path.glob(".clausewatch-*"))


def test_cloudflare_email_that_decodes_to_control_characters_is_left_alone() -> None:
    """Found by atheris: an obfuscated address decoding to a NUL crashed lxml."""
    from clausewatch.extractors import extract
    from clausewatch.extractors.clean import decode_cfemail

    key = 0x42
    encoded = bytes([key, ord("a") ^ key, 0x00 ^ key, ord("b") ^ key]).hex()
    assert decode_cfemail(encoded) is None
    page = f"<main><p>Write to <a href='/cdn-cgi/l/email-protection#{encoded}'>[email&#160;protected]</a></p></main>"
    assert extract(page).clauses[0].text == "Write to [email protected]"


def test_character_references_to_control_characters_are_dropped() -> None:
    """Found by atheris: "&#1;" became a control character in the tree and crashed lxml when
    an element holding it was dropped."""
    from clausewatch.extractors import extract

    page = b"<div><p>a&#1;b&#x1F;c&#10;d&#65;</p><button>x&#2;</button><p>e&#127;f</p></div>"
    assert [c.text for c in extract(page).clauses] == ["abc dA", "ef"]
