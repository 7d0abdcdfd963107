"""A full disk under the local store: a clear error, nothing half-written visible, nothing lost."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from clausewatch.errors import StoreError
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from clausewatch.storage.verify import verify_store
from tests.helpers import capture, page, target


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (mounting needs root, which CI and the dev machines have)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs to fill needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"this sandbox refuses to mount a tmpfs: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_disk_full_is_a_clear_error_and_leaves_nothing_half_written(tiny_disk: Path) -> None:
    store = Store(LocalBackend(tiny_disk / "store"))
    t = target()
    first = record_capture(store, t, capture(page("Small terms.")))
    assert first.status == "first"
    huge = page("Huge terms. " + "x" * 400_000)
    with pytest.raises(StoreError, match="disk full") as info:
        record_capture(store, t, capture(huge, 1))
    assert "free space and run again" in str(info.value)
    leftovers = [p for p in (tiny_disk / "store").rglob(".tmp-*")]
    assert leftovers == []
    head, _ = store.head(t.ref.id)
    assert head is not None and head.manifest == first.manifest  # the head did not move
    assert verify_store(store).ok  # what was stored before is intact
