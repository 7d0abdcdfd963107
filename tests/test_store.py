"""The content-addressed store, run against both backends (local directory and S3 via moto)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clausewatch.errors import InputError, IntegrityError, ObjectNotFound
from clausewatch.pipeline.record import record_capture
from clausewatch.storage import layout
from clausewatch.storage.models import CheckRecord, Head
from clausewatch.storage.store import Store, open_store, sha256
from clausewatch.storage.verify import verify_store
from tests.helpers import capture, page, target


def test_blob_round_trip_and_write_once(store: Store) -> None:
    h = store.put_blob(b"clause text")
    assert h == sha256(b"clause text")
    assert store.get_blob(h) == b"clause text"
    assert store.put_blob(b"clause text") == h  # idempotent
    assert not store.backend.create(layout.blob(h), b"other bytes")  # never overwritten
    assert store.get_blob(h) == b"clause text"


def test_corrupted_blob_is_refused_on_read(store: Store) -> None:
    h = store.put_blob(b"the original bytes")
    store.backend.overwrite(layout.blob(h), b"tampered bytes")
    with pytest.raises(IntegrityError, match=h):
        store.get_blob(h)
    with pytest.raises(IntegrityError):
        store.get_object(h)


def test_unknown_and_malformed_hashes(store: Store) -> None:
    with pytest.raises(ObjectNotFound, match="0" * 64):
        store.get_object("0" * 64)
    with pytest.raises(InputError, match="not a SHA-256"):
        store.get_blob("../../etc/passwd")
    with pytest.raises(InputError, match="not a hash"):
        store.resolve("xyz")


def test_resolve_unique_prefix(store: Store) -> None:
    h = store.put_blob(b"prefix me")
    assert store.resolve(h[:10]) == h
    assert store.resolve(h.upper()) == h


def test_swap_is_compare_and_swap(store: Store) -> None:
    assert store.backend.swap("heads/x.json", b"one", None)
    assert not store.backend.swap("heads/x.json", b"two", None)  # exists already
    data, token = store.backend.read_versioned("heads/x.json") or (b"", "")
    assert data == b"one"
    assert store.backend.swap("heads/x.json", b"two", token)
    assert not store.backend.swap("heads/x.json", b"three", token)  # stale token
    assert store.backend.read("heads/x.json") == b"two"


def test_invalid_document_ids_are_refused(store: Store) -> None:
    for bad in ("../etc", "a/b", "UPPER", "", "-x"):
        with pytest.raises(InputError, match="invalid document id"):
            store.head(bad)


def test_event_log_appends_once_per_id(store: Store) -> None:
    first = store.append_event("e1", lambda c: b'{"n": %d}' % c)
    again = store.append_event("e1", lambda c: b'{"n": %d}' % c)
    second = store.append_event("e2", lambda c: b'{"n": %d}' % c)
    assert (first, again, second) == (1, 1, 2)
    assert [c for c, _ in store.events()] == [1, 2]
    assert [c for c, _ in store.events(since=1)] == [2]


def test_unchanged_check_is_small_and_adds_no_blob(store: Store) -> None:
    t = target()
    record_capture(store, t, capture(page("We collect data.", noise="a")))
    blobs_before = set(store.backend.list("blobs/"))
    outcome = record_capture(store, t, capture(page("We collect data.", noise="b"), minutes=5))
    assert outcome.status == "unchanged" and not outcome.changed
    assert set(store.backend.list("blobs/")) == blobs_before
    checks = list(store.backend.list("checks/"))
    assert len(checks) == 1
    assert len(store.backend.read(checks[0])) < 600


def test_concurrent_writers_never_fork_history(store: Store) -> None:
    """Eight writers record eight different texts of one document at the same moment."""
    t = target()
    writers = 8
    barrier = threading.Barrier(writers)
    outcomes = []

    def write(i: int) -> None:
        barrier.wait()
        # concurrent monitor runs: browser captures (imports must come in time order)
        cap = replace(capture(page(f"Clause version {i}."), minutes=i), source="browser")
        outcomes.append(record_capture(store, t, cap))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(o.status for o in outcomes) == ["changed"] * (writers - 1) + ["first"]
    chain = list(store.chain(t.ref.id))
    assert [m.version for _, m in chain] == list(range(writers, 0, -1))
    assert len({m.content_hash for _, m in chain}) == writers
    assert [c for c, _ in store.events()] == list(range(1, writers + 1))
    assert len({e["id"] for _, e in store.events()}) == writers
    assert verify_store(store).ok


def test_verify_reports_corrupt_missing_and_invalid_objects(store: Store) -> None:
    t = target()
    record_capture(store, t, capture(page("First text.")))
    record_capture(store, t, capture(page("Second text."), minutes=1))
    assert verify_store(store).ok
    chain = list(store.chain(t.ref.id))
    newest, oldest = chain[0][1], chain[1]
    store.backend.overwrite(layout.blob(newest.blobs["response"].sha256), b"truncated")
    store.backend.overwrite(layout.manifest(oldest[0]), b"{not json")
    report = verify_store(store)
    kinds = {(p.kind, p.key) for p in report.problems}
    assert ("corrupt", layout.blob(newest.blobs["response"].sha256)) in kinds
    assert ("corrupt", layout.manifest(oldest[0])) in kinds
    assert not report.ok


def test_verify_reports_a_history_cut_short(store: Store) -> None:
    t = target()
    record_capture(store, t, capture(page("First text.")))
    out = record_capture(store, t, capture(page("Second text."), minutes=1))
    first_manifest = out.previous_manifest
    assert first_manifest
    # a head that claims version 3 on top of version 2 breaks the chain
    head = Head(
        document=t.ref.id,
        manifest=out.manifest or "",
        content_hash=out.content_hash or "",
        substance_hash="0" * 64,
        change_class="substantive",
        version=3,
        captured_at=datetime.now(UTC),
        event_id="x",
    )
    store.backend.overwrite(f"heads/{t.ref.id}.json", head.model_dump_json().encode())
    assert any(p.kind == "broken-chain" for p in verify_store(store).problems)


def test_check_record_round_trip(store: Store) -> None:
    h = "a" * 64
    check = CheckRecord(document="doc", checked_at=datetime.now(UTC), manifest=h, content_hash=h)
    store.add_check(check)
    assert list(store.checks("doc")) == [check]


def test_open_store_urls(tmp_path: Path) -> None:
    assert open_store(str(tmp_path)).url == tmp_path.as_uri()
    assert open_store(tmp_path.as_uri()).url == tmp_path.as_uri()
    assert open_store("s3://bucket/some/prefix").url == "s3://bucket/some/prefix"
    with pytest.raises(InputError, match="names no bucket"):
        open_store("s3:///prefix")
    with pytest.raises(InputError, match="unsupported store URL"):
        open_store("ftp://host/x")


@pytest.mark.parametrize("bad", ["foo\n", "acme-privacy\n", "a\n"])
def test_a_trailing_newline_is_not_a_valid_document_id(store: Store, bad: str) -> None:
    # `re.match` with a `$` anchor accepted "foo\n" (`$` also matches before a final newline)
    with pytest.raises(InputError, match="invalid document id"):
        store.head(bad)


def test_a_trailing_newline_is_not_a_valid_hash(store: Store) -> None:
    h = store.put_blob(b"a blob")
    with pytest.raises(InputError, match="not a SHA-256"):
        store.get_blob(h + "\n")
    with pytest.raises(InputError, match="not a hash"):
        store.resolve(h + "\n")
