"""The import's extraction workers.

Whatever the number of workers, an import must print the same results in the same order and
leave the same history as one process does; a worker that dies must cost nothing but time.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clausewatch.pipeline.importer import import_batch
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from clausewatch.storage.verify import verify_store
from tests.helpers import page

DOCS = 4


def batch_lines(tmp_path: Path, steps: int) -> list[str]:
    """``steps`` lines per document, documents interleaved; each text changes every other
    step; plus an unreadable file, a page with no text and a line that is not JSON."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    lines = []
    for s in range(steps):
        for d in range(DOCS):
            f = tmp_path / f"doc{d}-{s:03d}.html"
            f.write_bytes(page(f"Doc {d} clause one.", f"Version {s // 2} of clause two."))
            lines.append(line(f"doc-{d}", f, start + timedelta(hours=s)))
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"<html><body><nav>Home</nav></body></html>")
    lines.insert(5, line("doc-0", tmp_path / "missing.html", start + timedelta(hours=1)))
    lines.insert(9, line("doc-1", empty, start + timedelta(hours=2, minutes=30)))
    lines.insert(13, "{not json")
    return lines


def line(doc: str, file: Path, at: datetime) -> str:
    return json.dumps(
        {
            "document": doc,
            "url": f"https://x.example/{doc}",
            "file": str(file),
            "captured_at": at.isoformat().replace("+00:00", "Z"),
        }
    )


def histories(store: Store) -> dict[str, list[str]]:
    return {doc: [h for h, _ in store.chain(doc)] for doc in store.documents()}


def imported(store: Store, lines: list[str], workers: int) -> list[dict[str, object]]:
    return [o.as_json() for o in import_batch(store, lines, workers=workers)]


def test_workers_record_exactly_what_one_process_records(tmp_path: Path) -> None:
    lines = batch_lines(tmp_path, steps=6)
    runs = {}
    for workers in (1, 2, 3):
        store = Store(LocalBackend(tmp_path / f"store-{workers}"))
        results = imported(store, lines, workers)
        runs[workers] = (results, histories(store), [e["id"] for _, e in store.events()])
        assert verify_store(store).ok
    one, *others = runs.values()
    for results, history, _ in others:
        assert results == one[0]
        assert history == one[1]
    statuses = [r["status"] for r in one[0]]
    assert statuses.count("error") == 3 and len(statuses) == len(lines)
    assert statuses[:4] == ["first"] * 4
    for _, history, event_ids in runs.values():
        # one event per version (changes and firsts) plus doc-1's failed extraction
        versions = sum(len(v) for v in history.values())
        assert len(event_ids) == len(set(event_ids)) == versions + 1


@pytest.mark.slow
def test_a_dying_worker_hands_its_lines_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = batch_lines(tmp_path, steps=40)
    expected_store = Store(LocalBackend(tmp_path / "expected"))
    expected = imported(expected_store, lines, workers=1)

    store = Store(LocalBackend(tmp_path / "store"))
    results: list[dict[str, object]] = []
    before = set(multiprocessing.active_children())  # other tests' processes are not ours
    outcomes: Iterator[object] = import_batch(store, lines, workers=2)
    with caplog.at_level(logging.WARNING, logger="clausewatch.pipeline.importer"):
        for n, outcome in enumerate(outcomes):
            results.append(outcome.as_json())  # type: ignore[attr-defined]
            if n == 0:
                workers = [p for p in multiprocessing.active_children() if p not in before]
                assert workers, "extraction runs in child processes"
                os.kill(workers[0].pid or 0, signal.SIGKILL)
    assert results == expected
    assert histories(store) == histories(expected_store)
    assert verify_store(store).ok
    assert "an extraction worker died; extracting this line in the main process" in caplog.text
