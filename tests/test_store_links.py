"""Symbolic links planted in a local store are never followed: no read prints, and no write
replaces, a file outside the store; each link is named in a clear error, and `verify` reports
every one. The store's root itself may be a link (only links inside the store are refused)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.errors import StoreError
from clausewatch.events.webhooks import Deliverer, Endpoint
from clausewatch.pipeline.record import record_capture
from clausewatch.storage import layout
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from clausewatch.storage.verify import verify_store
from tests.helpers import SECRET as HOOK_SECRET
from tests.helpers import capture, page, target, view
from tests.receiver import Receiver, start

runner = CliRunner()
CANARY = "CANARY-7f3a-outside-the-store"
# outside the store: a file that parses as an event and names the canary first (so it would
# show in an event listing, a delivery, and in the validation error of a head read)
PLANTED = json.dumps(
    {
        "canary": CANARY,
        "specversion": "1.0",
        "id": "planted-event",
        "type": "org.clausewatch.document.changed",
        "source": "urn:planted",
        "subject": "acme-privacy",
        "time": "2026-01-01T00:00:00Z",
        "data": {"canary": CANARY},
    }
)
LINK_ERROR = "is a symbolic link"


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, Store, str]:
    return plant(tmp_path)


def plant(tmp_path: Path) -> tuple[Path, Store, str]:
    """A store with one document and links planted under heads/, events/log/ and blobs/;
    returns (root, store, the hash of a blob that only the linked blob directory holds)."""
    root = tmp_path / "store"
    store = Store(LocalBackend(root))
    record_capture(store, target(), capture(page("We keep data for 30 days.")))
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.json"
    secret.write_text(PLANTED)
    (root / "heads" / "planted.json").symlink_to(secret)
    (root / "events" / "log" / "000000000999.json").symlink_to(secret)
    # a linked directory of blobs holding a file named by its own hash: following the link
    # would serve it as verified evidence
    data = CANARY.encode()
    h = hashlib.sha256(data).hexdigest()
    blobs = outside / "blobs"
    blobs.mkdir()
    (blobs / h).write_bytes(data)
    assert not (root / "blobs" / h[:2]).exists()
    (root / "blobs" / h[:2]).symlink_to(blobs, target_is_directory=True)
    return root, store, h


def _invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_verify_reports_every_link(planted: tuple[Path, Store, str]) -> None:
    root, store, h = planted
    report = verify_store(store)
    links = {p.key: p.detail for p in report.problems if p.kind == "link"}
    assert set(links) == {"heads/planted.json", "events/log/000000000999.json", f"blobs/{h[:2]}"}
    assert all("never follows links" in d for d in links.values())
    code, out, err = _invoke("verify", "--store", str(root))
    assert code == 1 and "FAILED" in out
    assert "LINK: heads/planted.json" in out and f"LINK: blobs/{h[:2]}" in out
    assert CANARY not in out + err
    code, out, _ = _invoke("verify", "--store", str(root), "--json")
    assert code == 1 and json.loads(out)["ok"] is False


def test_history_and_get_refuse_a_link_naming_it(planted: tuple[Path, Store, str]) -> None:
    root, _, h = planted
    code, out, err = _invoke("history", "planted", "--store", str(root))
    assert code == 2 and LINK_ERROR in err and "heads/planted.json" in err and "remove it" in err
    assert CANARY not in out + err
    for ref in (h, h[:12]):  # by full hash, and by a prefix (a listing)
        code, out, err = _invoke("get", ref, "--store", str(root))
        assert code == 2 and CANARY not in out + err, (ref, out, err)
    assert f"blobs/{h[:2]}" in _invoke("get", h, "--store", str(root))[2]
    code, out, _ = _invoke("history", "acme-privacy", "--store", str(root), "--json")
    assert code == 0 and json.loads(out)["versions"]  # the rest of the store still reads


def test_event_listing_skips_a_linked_entry(planted: tuple[Path, Store, str]) -> None:
    root, _, _ = planted
    code, out, err = _invoke("events", "--store", str(root), "--json")
    assert code == 0 and CANARY not in out + err
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["type"].rsplit(".", 1)[1] for e in events] == ["captured"]
    assert "events/log/000000000999.json" in err and LINK_ERROR in err  # named, once


def test_viewer_never_serves_a_linked_file(planted: tuple[Path, Store, str]) -> None:
    _, store, h = planted
    for path in ("/", "/doc/planted", f"/blob/{h}", "/doc/acme-privacy"):
        response = view(store, path)
        assert CANARY not in response.text, path
    assert LINK_ERROR in view(store, "/doc/planted").text
    assert view(store, "/doc/acme-privacy").status_code == 200


def test_deliver_never_posts_a_linked_entry(planted: tuple[Path, Store, str]) -> None:
    _, store, _ = planted
    receiver = Receiver(HOOK_SECRET)
    server = start(receiver)
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        endpoint = Endpoint(name="test", url=url, secret=HOOK_SECRET)
        report = Deliverer(store, httpx.Client()).deliver(endpoint)
    finally:
        server.shutdown()
    assert report.delivered == 1 and report.failed == 0
    assert CANARY not in json.dumps(receiver.received)


def test_writes_never_follow_a_link(tmp_path: Path) -> None:
    root = tmp_path / "store"
    backend = LocalBackend(root)
    store = Store(backend)
    record_capture(store, target(), capture(page("We keep data for 30 days.")))
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim"
    victim.write_text("untouched")
    (root / "events" / "cursor").unlink()
    (root / "events" / "cursor").symlink_to(victim)
    (root / "heads" / "linked.json").symlink_to(victim)
    data = b"a new blob"
    h = hashlib.sha256(data).hexdigest()
    (root / "blobs" / h[:2]).symlink_to(outside, target_is_directory=True)
    with pytest.raises(StoreError, match=r"'events/cursor' .* is a symbolic link"):
        backend.overwrite("events/cursor", b"7")
    with pytest.raises(StoreError, match=r"'heads/linked\.json' .* is a symbolic link"):
        backend.swap("heads/linked.json", b"{}", None)
    with pytest.raises(StoreError, match=rf"'blobs/{h[:2]}' .* is a symbolic link"):
        store.put_blob(data)
    with pytest.raises(StoreError, match=r"'heads/linked\.json' .* is a symbolic link"):
        backend.create("heads/linked.json", b"{}")
    assert victim.read_text() == "untouched"
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]  # nothing written there
    assert (root / "events" / "cursor").is_symlink()  # and the links were not replaced


def test_a_linked_store_root_still_works(tmp_path: Path) -> None:
    real = tmp_path / "data" / "store"
    real.mkdir(parents=True)
    root = tmp_path / "archive"
    root.symlink_to(real, target_is_directory=True)
    store = Store(LocalBackend(root))
    record_capture(store, target(), capture(page("We keep data for 30 days.")))
    assert verify_store(store).ok
    code, out, _ = _invoke("verify", "--store", str(root))
    assert code == 0 and "OK" in out
    assert (real / "heads" / "acme-privacy.json").is_file()
    assert os.path.islink(root)


def test_a_link_planted_at_a_blob_key_is_refused_on_read(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = Store(LocalBackend(root))
    outcome = record_capture(store, target(), capture(page("We keep data for 30 days.")))
    assert outcome.content_hash is not None
    key = root / layout.blob(outcome.content_hash)
    copy = tmp_path / "copy"
    copy.write_bytes(key.read_bytes())  # the same bytes, outside: the hash would still verify
    key.unlink()
    key.symlink_to(copy)
    with pytest.raises(StoreError, match="is a symbolic link"):
        store.get_blob(outcome.content_hash)
    report = verify_store(store)
    assert not report.ok and [p.key for p in report.problems if p.kind == "link"] == [
        layout.blob(outcome.content_hash)
    ]


def test_a_fifo_in_the_store_is_named_by_verify_and_skipped_by_readers(tmp_path: Path) -> None:
    """A special file under events/log/ is never read (it would block); readers skip it with a
    warning, and verify names it (it said OK before)."""
    root = tmp_path / "store"
    store = Store(LocalBackend(root))
    record_capture(store, target(), capture(page("We keep data for 30 days.")))
    os.mkfifo(root / "events" / "log" / "000000000005.json")  # after the real entry
    report = verify_store(store)
    assert not report.ok
    assert [(p.kind, p.key) for p in report.problems] == [("link", "events/log/000000000005.json")]
    assert "a FIFO" in report.problems[0].detail
    result = runner.invoke(app, ["events", "--store", str(root), "--json"])
    assert result.exit_code == 0, result.output
    assert "dev.clausewatch.document.captured" in result.stdout
    assert "000000000005.json" in result.stderr and "a FIFO" in result.stderr
    receiver = Receiver(HOOK_SECRET)
    server = start(receiver)
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        endpoint = Endpoint(name="test", url=url, secret=HOOK_SECRET)
        report_ = Deliverer(store, httpx.Client()).deliver(endpoint)
    finally:
        server.shutdown()
    assert report_.delivered == 1 and report_.failed == 0
