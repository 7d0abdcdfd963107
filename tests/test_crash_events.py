"""A writer killed inside the event-log append (issue 13): the event is logged by the next
writer at once, never lost when a newer version lands, never logged twice."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from clausewatch.pipeline.record import record_capture
from clausewatch.pipeline.reextract import reextract
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from tests.helpers import capture, page, target

DYING = textwrap.dedent(
    """
    import os, signal, sys
    from clausewatch.pipeline.record import record_capture
    from clausewatch.storage.local import LocalBackend
    from clausewatch.storage.store import Store
    from tests.helpers import capture, page, target

    WRITE, PREFIX = sys.argv[2].split(":")

    class Dying(LocalBackend):
        # SIGKILL itself on the first write of that kind to a key under the prefix
        def create(self, key, data, sha256=None):
            if WRITE == "create" and key.startswith(PREFIX):
                os.kill(os.getpid(), signal.SIGKILL)
            return super().create(key, data, sha256)

        def overwrite(self, key, data):
            if WRITE == "overwrite" and key.startswith(PREFIX):
                os.kill(os.getpid(), signal.SIGKILL)
            return super().overwrite(key, data)

    record_capture(Store(Dying(sys.argv[1])), target(), capture(page("B."), 1))
    """
)


def kinds(store: Store) -> list[str]:
    return [e["type"].rsplit(".", 1)[1] for _, e in store.events()]


def killed_while_logging(root: Path, where: str) -> None:
    """Record version 2 in a process that is SIGKILLed at ``where`` inside append_event."""
    done = subprocess.run(
        [sys.executable, "-c", DYING, str(root), where],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == -9, done.stderr


@pytest.mark.parametrize(
    ("where", "lease"),
    [
        ("create:events/log/", 120.0),  # claimed, no log entry: was lost for good once v3 landed
        (
            "overwrite:events/ids/",
            0.0,
        ),  # logged, claim not yet replaced: was logged twice on takeover
    ],
)
def test_an_event_whose_writer_was_killed_is_logged_once(
    tmp_path: Path, where: str, lease: float
) -> None:
    root = tmp_path / "s"
    store = Store(LocalBackend(root), claim_lease_s=lease)
    record_capture(store, target(), capture(page("A.")))
    killed_while_logging(root, where)
    head, _ = store.head("acme-privacy")
    assert head is not None and head.version == 2  # the head moved, then the writer died
    third = record_capture(store, target(), capture(page("C."), 2))
    assert third.status == "changed"
    ids = [e["id"] for _, e in store.events()]
    assert kinds(store) == ["captured", "changed", "changed"]
    assert len(set(ids)) == 3


@pytest.mark.slow
def test_reextract_logs_the_event_a_killed_writer_left(tmp_path: Path) -> None:
    root = tmp_path / "s"
    store = Store(LocalBackend(root))
    record_capture(store, target(), capture(page("A.")))
    killed_while_logging(root, "create:events/log/")
    reextract(store, "acme-privacy")  # its new head names no event: the old one is logged first
    assert kinds(store) == ["captured", "changed"]


class Stalling(LocalBackend):
    """Holds the first log-entry write until released (a live writer, slow in that window)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.entered = threading.Event()
        self.release = threading.Event()

    def create(self, key: str, data: bytes, sha256: str | None = None) -> bool:
        if key.startswith("events/log/") and not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(120)
        return super().create(key, data, sha256)


def test_no_head_moves_past_an_event_a_live_writer_is_logging(tmp_path: Path) -> None:
    root = tmp_path / "s"
    record_capture(Store(LocalBackend(root)), target(), capture(page("A.")))
    stalling = Stalling(root)
    slow = threading.Thread(
        target=record_capture, args=(Store(stalling), target(), capture(page("B."), 1))
    )
    slow.start()
    assert stalling.entered.wait(120)
    # a second writer (the lease is short here) must log B's event before C's, not skip it
    other = Store(LocalBackend(root), claim_lease_s=0.5)
    record_capture(other, target(), capture(page("C."), 2))
    stalling.release.set()
    slow.join(120)
    events = [e for _, e in other.events()]
    assert [e["type"].rsplit(".", 1)[1] for e in events] == ["captured", "changed", "changed"]
    assert events[1]["data"]["current"]["version"] == 2  # in order: B, then C
    assert len({e["id"] for e in events}) == 3  # the slow writer did not log B again
