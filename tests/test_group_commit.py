"""Group commit of `import --batch` on a local store (storage/group.py).

A grouped import must leave exactly the store an ungrouped one leaves, sync once or twice per
group instead of once or twice per object, move no head and log no event before the group's
objects are durable, acknowledge a line only once it is durable, and stop with a clear error,
losing nothing already stored, when another writer changes the store under a group.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clausewatch.pipeline import importer
from clausewatch.pipeline.importer import import_batch
from clausewatch.storage import layout
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from clausewatch.storage.verify import verify_store
from tests.helpers import page

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def lines(tmp_path: Path, steps: int, docs: int = 3) -> list[str]:
    """``steps`` captures of each of ``docs`` documents, interleaved, the text changing every
    other step (so a group holds several versions of one document), and one bad line."""
    out = []
    for s in range(steps):
        for d in range(docs):
            f = tmp_path / f"d{d}-{s:03d}.html"
            f.write_bytes(page(f"Doc {d} clause one.", f"Version {s // 2} of clause two."))
            out.append(
                json.dumps(
                    {
                        "document": f"doc-{d}",
                        "url": f"https://x.example/{d}",
                        "file": str(f),
                        "captured_at": (T0 + timedelta(hours=s)).isoformat(),
                    }
                )
            )
    out.insert(4, "{not json")
    return out


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of a store but the event claims' and the log's bytes, which name the
    writing process and the time it wrote (the keys of both are compared)."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            key = path.relative_to(root).as_posix()
            volatile = key.startswith((layout.EVENT_IDS, layout.EVENT_LOG))
            files[key] = b"" if volatile else path.read_bytes()
    return files


def test_a_grouped_import_leaves_the_store_an_ungrouped_one_leaves(tmp_path: Path) -> None:
    batch = lines(tmp_path, steps=10)
    results = {}
    for group in (1, 4, 64):
        store = Store(LocalBackend(tmp_path / f"store-{group}"))
        results[group] = [o.as_json() for o in import_batch(store, batch, group=group)]
        assert verify_store(store).ok
    assert results[1] == results[4] == results[64]
    statuses = [r["status"] for r in results[1]]
    assert statuses.count("changed") == 12 and statuses.count("error") == 1
    one = snapshot(tmp_path / "store-1")
    assert snapshot(tmp_path / "store-4") == one == snapshot(tmp_path / "store-64")
    events = [
        [e for _, e in Store(LocalBackend(tmp_path / f"store-{g}")).events()] for g in (1, 64)
    ]
    assert [e["id"] for e in events[0]] == [e["id"] for e in events[1]]


def test_a_group_syncs_once_before_and_once_after_its_heads_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    store = Store(LocalBackend(root))
    batch = lines(tmp_path, steps=12)  # 37 lines: groups of 16, 16 and 5
    per_file: list[int] = []
    syncs: list[tuple[dict[str, bytes], int]] = []
    real_sync = LocalBackend.sync

    def counted_fdatasync(fd: int) -> None:
        per_file.append(fd)

    def watched_sync(self: LocalBackend) -> None:
        heads = (
            {p.name: p.read_bytes() for p in (root / "heads").glob("*.json")}
            if (root / "heads").is_dir()
            else {}
        )
        syncs.append((heads, len(list((root / "events" / "log").glob("*.json")))))
        real_sync(self)

    monkeypatch.setattr(importer, "GROUP_SECONDS", 3600.0)  # groups end by size only here
    monkeypatch.setattr(os, "fdatasync", counted_fdatasync)
    monkeypatch.setattr(LocalBackend, "sync", watched_sync)
    outcomes = list(import_batch(store, batch, group=16))
    assert len(outcomes) == 37
    assert per_file == []  # no object synced on its own
    assert len(syncs) == 6  # two per group
    previous: tuple[dict[str, bytes], int] = ({}, 0)  # an empty store
    for n in range(0, len(syncs), 2):
        first, second = syncs[n], syncs[n + 1]
        # at a group's first sync nothing it wrote points anywhere yet: the heads and the log
        # are as the previous group left them; at its second sync they have moved
        assert first == previous, n
        assert second != first, n
        previous = second
    assert verify_store(store).ok


def test_a_printed_line_is_on_disk(tmp_path: Path) -> None:
    root = tmp_path / "store"
    batch = lines(tmp_path, steps=10)
    outcomes = import_batch(Store(LocalBackend(root)), batch, group=8)
    first = next(outcomes)  # the first group is committed before its first line comes out
    assert first.status == "first"
    on_disk = Store(LocalBackend(root))  # another reader, outside the group
    assert first.manifest in {h for h, _ in on_disk.chain("doc-0")}
    seen = [first, *(next(outcomes) for _ in range(7))]
    for outcome in seen:
        if outcome.manifest:
            assert on_disk.get_manifest(outcome.manifest)
    outcomes.close()  # the consumer stops: the open group is dropped, not half-written
    assert verify_store(on_disk).ok


def test_a_failure_inside_a_group_forgets_it_and_loses_nothing_stored(tmp_path: Path) -> None:
    root = tmp_path / "store"
    batch = lines(tmp_path, steps=10)
    assert all(o.status != "error" for o in import_batch(Store(LocalBackend(root)), batch[:4]))
    before = snapshot(root / "heads") if (root / "heads").is_dir() else {}

    def failing() -> Iterator[str]:
        yield from batch[5:12]
        raise OSError("the batch file went away")

    with pytest.raises(OSError, match="went away"):
        list(import_batch(Store(LocalBackend(root)), failing(), group=64))
    store = Store(LocalBackend(root))
    assert snapshot(root / "heads") == before  # the group's heads never moved
    assert verify_store(store).ok  # its objects are there, unreferenced, and that is fine
    again = list(import_batch(store, batch[5:], group=64))
    assert all(o.status != "error" for o in again)
    assert verify_store(store).ok


def test_another_writer_under_a_group_stops_the_import_with_a_clear_error(
    tmp_path: Path,
) -> None:
    root = tmp_path / "store"
    batch = lines(tmp_path, steps=10)
    rival = tmp_path / "rival.html"
    rival.write_bytes(page("A rival writer's doc 0.", "Recorded while the group is open."))
    rival_line = json.dumps(
        {
            "document": "doc-0",
            "url": "https://x.example/0",
            "file": str(rival),
            "captured_at": (T0 + timedelta(minutes=30)).isoformat(),
        }
    )

    def interfering() -> Iterator[str]:
        for number, text in enumerate(batch):
            if number == 6:  # the group has recorded doc-0: another process moves its head
                [other] = import_batch(Store(LocalBackend(root)), [rival_line], group=1)
                assert other.status == "first"  # the group is not on disk yet
            yield text

    outcomes = list(import_batch(Store(LocalBackend(root)), interfering(), group=64))
    assert len(outcomes) == len(batch)  # still one result per line
    conflicts = [o for o in outcomes if o.error_type == "GroupConflict"]
    assert len(conflicts) == len(batch) - 1  # every line but the bad one
    assert "another writer changed 'heads/doc-0.json'" in str(conflicts[0].error)
    assert "run the import again" in str(conflicts[0].error)
    store = Store(LocalBackend(root))
    assert verify_store(store).ok
    head, _ = store.head("doc-0")
    assert head is not None and head.version == 1  # the rival's version, first and kept
    # the next run records what is missing; lines older than the rival's are refused
    again = list(import_batch(store, batch, group=64))
    assert verify_store(store).ok
    assert {o.status for o in again} <= {"first", "changed", "unchanged", "error"}
    assert all(
        "older than the latest version" in str(o.error) or "not valid JSON" in str(o.error)
        for o in again
        if o.status == "error"
    )


def test_the_command_line_takes_the_group_size_from_its_option_or_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from clausewatch.cli import app

    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(lines(tmp_path, steps=4)) + "\n")
    syncs: list[str] = []
    real_sync = LocalBackend.sync

    def counted(self: LocalBackend) -> None:
        syncs.append(self.url)
        real_sync(self)

    monkeypatch.setattr(LocalBackend, "sync", counted)
    runs = {}
    for name, option, env in (
        ("default", [], {}),
        ("option", ["--group", "1"], {}),
        ("setting", [], {"CLAUSEWATCH_IMPORT_GROUP": "1"}),
    ):
        syncs.clear()
        store = tmp_path / name
        result = CliRunner().invoke(
            app,
            ["import", "--batch", str(batch), "--store", str(store), "--json", *option],
            env=env,
        )
        assert result.exit_code == 1, result.output  # the bad line
        runs[name] = len(syncs)
        assert verify_store(Store(LocalBackend(store))).ok
    assert runs == {"default": 2, "option": 0, "setting": 0}
    bad = CliRunner().invoke(
        app,
        ["import", "--batch", str(batch), "--store", str(tmp_path / "x")],
        env={"CLAUSEWATCH_IMPORT_GROUP": "many"},
    )
    assert bad.exit_code == 2 and "CLAUSEWATCH_IMPORT_GROUP='many'" in bad.output, bad.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("value", ["0", "-3", "10001"])
def test_the_setting_takes_what_the_option_takes(tmp_path: Path, value: str) -> None:
    """``CLAUSEWATCH_IMPORT_GROUP`` outside 1..10000 fails at start as ``--group`` does, instead
    of being taken as 1 or as given (found by an outside check)."""
    from typer.testing import CliRunner

    from clausewatch.cli import app

    batch = tmp_path / "steps.jsonl"
    batch.write_text("")
    bad = CliRunner().invoke(
        app,
        ["import", "--batch", str(batch), "--store", str(tmp_path / "x")],
        env={"CLAUSEWATCH_IMPORT_GROUP": value},
    )
    assert bad.exit_code == 2 and f"CLAUSEWATCH_IMPORT_GROUP={value}" in bad.output, bad.output
    assert not (tmp_path / "x").exists()
