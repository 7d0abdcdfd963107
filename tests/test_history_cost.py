"""What a run reads does not grow with the store's history (issue 16): the event cursor and a
document's last check come from hints confirmed by a listing that starts at the hint."""

from __future__ import annotations

import dataclasses
import functools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clausewatch.errors import NotAFile
from clausewatch.evidence import digest
from clausewatch.pipeline.record import record_capture
from clausewatch.storage import layout
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.models import CheckRecord
from clausewatch.storage.store import Store
from clausewatch.storage.verify import verify_store
from clausewatch.wayback import archive
from tests.counting import Counting
from tests.fake_wayback import FakeWayback
from tests.helpers import capture, client_for, entry, page, target, version

T0 = datetime(2026, 1, 1, 9, tzinfo=UTC)
H = "a" * 64


def counted(tmp_path: Path) -> tuple[Store, Counting]:
    backend = Counting(LocalBackend(tmp_path / "store"))
    return Store(backend), backend


def log(store: Store, n: int) -> None:
    for i in range(n):
        store.append_event(f"e{i}", functools.partial(_entry, f"e{i}"))


def _entry(ident: str, cursor: int) -> bytes:
    return json.dumps({"id": ident, "cursor": cursor}).encode()


def check(store: Store, document: str, at: datetime) -> None:
    store.add_check(CheckRecord(document=document, checked_at=at, manifest=H, content_hash=H))


def test_the_last_cursor_costs_the_same_after_300_events_as_after_3(tmp_path: Path) -> None:
    store, backend = counted(tmp_path)
    log(store, 300)
    backend.reset()
    assert store.last_cursor() == 300
    assert backend.total_listed() == 0 and sum(backend.calls.values()) <= 3, backend.calls


def test_a_lagging_cursor_hint_costs_only_what_it_lags_by(tmp_path: Path) -> None:
    store, backend = counted(tmp_path)
    log(store, 300)
    backend.inner.overwrite(layout.EVENT_CURSOR, b"290")  # as a writer killed before its hint
    backend.reset()
    assert store.last_cursor() == 300
    assert backend.total_listed() == 10


@pytest.mark.parametrize("hint", [b"garbage", b"999", b"-1", b"9" * 5000])
def test_a_damaged_cursor_hint_is_repaired_from_the_log(tmp_path: Path, hint: bytes) -> None:
    store, backend = counted(tmp_path)
    log(store, 30)
    backend.inner.overwrite(layout.EVENT_CURSOR, hint)
    assert store.last_cursor() == 30


def test_last_checked_reads_two_names_after_a_year_of_daily_checks(tmp_path: Path) -> None:
    store, backend = counted(tmp_path)
    for day in range(365):
        check(store, "doc", T0 + timedelta(days=day))
    backend.reset()
    assert store.last_checked("doc") == T0 + timedelta(days=364)
    assert backend.total_listed() <= 1, backend.listed
    assert backend.calls["list checks/doc"] == 1


def test_a_check_written_after_the_hint_is_still_found(tmp_path: Path) -> None:
    """Two writers may leave the hint naming the older of their checks."""
    store, backend = counted(tmp_path)
    for day in range(10):
        check(store, "doc", T0 + timedelta(days=day))
    older = next(iter(sorted(backend.inner.list(layout.checks("doc")))))
    backend.inner.overwrite(layout.latest_check("doc"), older.rsplit("/", 1)[1].encode())
    assert store.last_checked("doc") == T0 + timedelta(days=9)


@pytest.mark.parametrize(
    "hint",
    [
        b"garbage",
        b"",
        b"../../heads/doc.json",
        # a forged hint naming a check from the future that was never written: trusting it
        # would make the document look checked and skip it until then
        b"20990101T000000000000Z-00000000.json",
    ],
)
def test_a_hint_that_names_no_check_is_not_trusted(tmp_path: Path, hint: bytes) -> None:
    store, backend = counted(tmp_path)
    for day in range(5):
        check(store, "doc", T0 + timedelta(days=day))
    backend.inner.overwrite(layout.latest_check("doc"), hint)
    assert store.last_checked("doc") == T0 + timedelta(days=4)


def test_a_store_from_before_the_hints_still_answers(tmp_path: Path) -> None:
    store, _ = counted(tmp_path)
    for day in range(5):
        check(store, "doc", T0 + timedelta(days=day))
    (tmp_path / "store" / "latest-checks" / "doc").unlink()
    assert store.last_checked("doc") == T0 + timedelta(days=4)
    assert store.last_checked("other") is None


def _at(day: datetime) -> datetime:
    return day


def _year_of_changes(tmp_path: Path, weeks: int = 20) -> tuple[Store, Counting, datetime]:
    """A weekly change of one document, each logged on its own day (the store's clock)."""
    store, backend = counted(tmp_path)
    day = T0
    for week in range(weeks):
        day = T0 + timedelta(weeks=week)
        store.clock = functools.partial(_at, day)
        at = capture(page("Terms.", f"Clause {week}."), 0)
        record_capture(store, target("acme-terms"), dataclasses.replace(at, captured_at=day))
    return store, backend, day


def test_a_digest_of_a_week_reads_that_weeks_part_of_the_log(tmp_path: Path) -> None:
    store, backend, last = _year_of_changes(tmp_path)
    whole = len(list(store.events()))
    backend.reset()
    week = digest.build(store, last - timedelta(days=6), last + timedelta(days=1))
    assert week["changes"] == 1
    read = backend.calls["read events/log"]
    assert read <= 3 * whole / 20, (read, whole)  # this week's and the margin's, not 20 weeks'


def test_a_digest_read_from_its_days_mark_equals_one_read_from_the_whole_log(
    tmp_path: Path,
) -> None:
    store, backend, last = _year_of_changes(tmp_path)
    # a back-filled capture: logged on the last day, its time months before
    store.clock = lambda: last
    old = dataclasses.replace(capture(page("Other terms.")), captured_at=T0 + timedelta(1))
    record_capture(store, target("other-terms"), old)
    for since in (T0, T0 + timedelta(days=3), last - timedelta(days=7), last, T0 + timedelta(1)):
        until = last + timedelta(days=1)
        with_marks = digest.build(store, since, until)
        for key in list(backend.inner.list(layout.EVENT_DAYS)):
            (tmp_path / "store" / key).rename(tmp_path / key.replace("/", "-"))
        assert digest.build(store, since, until) == with_marks, since
        for key in tmp_path.glob("events-days-*"):
            key.rename(tmp_path / "store" / key.name.replace("-", "/"))


@pytest.mark.parametrize("mark", [b"garbage", b"", b"9" * 40])
def test_a_damaged_days_mark_makes_the_digest_read_further_back_not_lose_events(
    tmp_path: Path, mark: bytes
) -> None:
    store, backend, last = _year_of_changes(tmp_path, weeks=6)
    expected = digest.build(store, last - timedelta(days=7), last + timedelta(days=1))
    marks = sorted(backend.inner.list(layout.EVENT_DAYS))
    (tmp_path / "store" / marks[-2]).write_bytes(mark)
    assert digest.build(store, last - timedelta(days=7), last + timedelta(days=1)) == expected


@pytest.mark.parametrize(
    ("mark", "says"),
    [(b"garbage", "not a day mark"), (b"999", "not in the log"), (b"1", "before the")],
)
def test_verify_names_a_day_mark_that_could_hide_events(
    tmp_path: Path, mark: bytes, says: str
) -> None:
    store, backend, _ = _year_of_changes(tmp_path, weeks=4)
    assert verify_store(store).ok
    marks = sorted(backend.inner.list(layout.EVENT_DAYS))
    (tmp_path / "store" / marks[-1]).write_bytes(mark)
    [problem] = verify_store(store).problems
    assert problem.key == marks[-1] and says in problem.detail, problem


def test_finished_wayback_entries_leave_the_queue(
    tmp_path: Path, wayback: tuple[str, FakeWayback]
) -> None:
    store, backend = counted(tmp_path)
    base, fake = wayback
    done = [version(store, f"https://policies.acme.com/ok{i}", doc=f"d{i}") for i in range(5)]
    waiting = version(store, "https://policies.acme.com/transient", doc="waiting")
    first = archive.process_queue(store, client_for(base))
    assert sorted(r.status for r in first) == ["archived"] * 5 + ["pending"]
    assert list(backend.inner.list(layout.WAYBACK_QUEUE)) == [
        layout.wayback_entry("waiting", waiting)
    ]
    assert [entry(store, h, f"d{i}").status for i, h in enumerate(done)] == ["archived"] * 5
    backend.reset()
    assert archive.process_queue(store, client_for(base)) == []  # nothing due
    assert backend.listed[layout.WAYBACK_QUEUE.rstrip("/")] == 1  # the waiting entry only
    # queued again (a re-extraction records the same version): not submitted again
    archive.enqueue(store, done[0], store.get_manifest(done[0]))
    assert archive.process_queue(store, client_for(base)) == []
    assert len(fake.submissions) == 6 and verify_store(store).ok


@pytest.mark.parametrize("crashed", [False, True])
def test_a_finished_entry_left_in_the_queue_is_moved_not_submitted_again(
    tmp_path: Path, wayback: tuple[str, FakeWayback], crashed: bool
) -> None:
    """As a store from before wayback/done/ has them, or a crash between the two writes."""
    store, backend = counted(tmp_path)
    base, fake = wayback
    h = version(store, "https://policies.acme.com/ok", doc="acme-terms")
    archive.process_queue(store, client_for(base))
    finished = backend.inner.read(layout.wayback_done("acme-terms", h))
    backend.inner.overwrite(layout.wayback_entry("acme-terms", h), finished)
    if not crashed:
        backend.inner.delete(layout.wayback_done("acme-terms", h))
    assert archive.process_queue(store, client_for(base)) == []
    assert not list(backend.inner.list(layout.WAYBACK_QUEUE))
    assert backend.inner.read(layout.wayback_done("acme-terms", h)) == finished
    assert fake.submissions == ["https://policies.acme.com/ok"]


def test_delete_removes_a_key_and_nothing_else(store: Store) -> None:
    store.backend.overwrite("wayback/queue/a/x.json", b"1")
    store.backend.overwrite("wayback/queue/a/y.json", b"2")
    store.backend.delete("wayback/queue/a/x.json")
    store.backend.delete("wayback/queue/a/x.json")  # gone already: not an error
    store.backend.delete("wayback/queue/nothing/here.json")
    assert list(store.backend.list(layout.WAYBACK_QUEUE)) == ["wayback/queue/a/y.json"]


def test_delete_never_removes_through_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.json").write_bytes(b"keep")
    backend = LocalBackend(tmp_path / "store")
    backend.overwrite("wayback/queue/a/y.json", b"2")
    (tmp_path / "store" / "wayback" / "queue" / "b").symlink_to(outside)
    with pytest.raises(NotAFile):
        backend.delete("wayback/queue/b/x.json")
    assert (outside / "x.json").read_bytes() == b"keep"


def test_verify_of_one_document_walks_its_own_folders_not_the_store(tmp_path: Path) -> None:
    """Regression: `verify --document D` looked for links in the whole store, a cost that grew
    with every other document's history."""
    store, _ = counted(tmp_path)
    for doc in ("doc", "other"):
        record_capture(store, target(doc), capture(page("Terms.")))
        check(store, doc, T0 + timedelta(days=1))
    root = tmp_path / "store"
    (root / "checks" / "other" / "planted.json").symlink_to("/etc/hostname")
    assert verify_store(store, "doc").ok
    (root / "checks" / "doc" / "planted.json").symlink_to("/etc/hostname")
    [problem] = verify_store(store, "doc").problems
    assert problem.kind == "link" and problem.key == "checks/doc/planted.json"
    assert {p.key for p in verify_store(store).problems} >= {
        "checks/doc/planted.json",
        "checks/other/planted.json",
    }


KEYS = [
    "checks/a/20260101T000000000000Z-1.json",
    "checks/a/20260102T000000000000Z-2.json",
    "checks/a-b/20260101T000000000000Z-3.json",
    "checks/a.b/20260103T000000000000Z-4.json",
    "checks/ab/20260101T000000000000Z-5.json",
    "checks/b/20260104T000000000000Z-6.json",
    "events/log/000000000001.json",
    "events/log/000000000002.json",
    "events/log/000000000010.json",
]
STARTS = [None, "", "checks/a", "checks/a-", "checks/a-b", "checks/a/zz", "checks/a/2026"]
STARTS += [*KEYS, "events/log/000000000002.json", "events/log/0000000000", "events/m", "z"]


@pytest.mark.parametrize(
    "prefix", ["", "checks/", "checks/a", "checks/a/", "checks/a-", "events/log/", "events/log/0"]
)
def test_a_local_listing_after_a_key_is_every_later_key(tmp_path: Path, prefix: str) -> None:
    """The local backend passes over names before ``start_after`` without looking at them;
    what it lists is still every key after it, in order, including under a directory whose
    name sorts before the start but whose keys do not (``a/...`` after ``a-b``)."""
    backend = LocalBackend(tmp_path / "store")
    for key in KEYS:
        backend.create(key, b"{}")
    for start in STARTS:
        expected = sorted(k for k in KEYS if k.startswith(prefix) and (start is None or k > start))
        assert list(backend.list(prefix, start_after=start)) == expected, (prefix, start)
