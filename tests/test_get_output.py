"""`clausewatch get HASH -o FILE` writes the path the user named: a regular file (new or
existing, keeping its permissions) gets the verified bytes; a link, FIFO or directory there is
refused with one clear line and left as it was; nothing is touched before the hash is checked."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.pipeline.record import record_capture
from clausewatch.storage import layout
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from tests.helpers import capture, page, target

runner = CliRunner()


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, str, bytes]:
    """(store root, hash of a stored blob, its bytes)."""
    root = tmp_path / "store"
    store = Store(LocalBackend(root))
    outcome = record_capture(store, target(), capture(page("We keep data for 30 days.")))
    assert outcome.content_hash is not None
    return root, outcome.content_hash, store.get_blob(outcome.content_hash)


def get(root: Path, h: str, output: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["get", h, "--store", str(root), "-o", str(output)])
    return result.exit_code, result.output


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith(".clausewatch-")]


def test_an_existing_file_keeps_its_permissions(
    stored: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    root, h, data = stored
    for mode in (0o600, 0o640, 0o755):
        out = tmp_path / f"out-{mode:o}"
        out.write_bytes(b"old contents")
        out.chmod(mode)
        code, output = get(root, h, out)
        assert code == 0, output
        assert out.read_bytes() == data
        assert stat.S_IMODE(out.stat().st_mode) == mode, f"{mode:o}"
    assert leftovers(tmp_path) == []


def test_a_new_file_gets_the_usual_permissions(
    stored: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    root, h, data = stored
    out = tmp_path / "new"
    umask = os.umask(0o027)
    try:
        code, output = get(root, h, out)
    finally:
        os.umask(umask)
    assert code == 0, output
    assert out.read_bytes() == data and stat.S_IMODE(out.stat().st_mode) == 0o640


def test_a_fifo_is_refused_and_left_a_fifo(stored: tuple[Path, str, bytes], tmp_path: Path) -> None:
    root, h, _ = stored
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, output = get(root, h, fifo)
    assert code == 2 and "Traceback" not in output
    assert f"{fifo} is a FIFO, not a regular file" in output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlink_is_refused_and_neither_replaced_nor_written_through(
    stored: tuple[Path, str, bytes], tmp_path: Path, dangling: bool
) -> None:
    root, h, _ = stored
    victim = tmp_path / "victim"
    if not dangling:
        victim.write_bytes(b"do not touch")
    link = tmp_path / "link"
    link.symlink_to(victim)
    code, output = get(root, h, link)
    assert code == 2 and f"{link} is a symbolic link, not a regular file" in output
    assert link.is_symlink() and os.readlink(link) == str(victim)
    if dangling:
        assert not victim.exists()
    else:
        assert victim.read_bytes() == b"do not touch"
    assert leftovers(tmp_path) == []


def test_a_directory_is_refused(stored: tuple[Path, str, bytes], tmp_path: Path) -> None:
    root, h, _ = stored
    directory = tmp_path / "dir"
    directory.mkdir()
    code, output = get(root, h, directory)
    assert code == 2 and f"{directory} is a directory" in output
    assert directory.is_dir() and list(directory.iterdir()) == []


def test_a_corrupt_object_leaves_an_existing_target_untouched(
    stored: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    root, h, _ = stored
    out = tmp_path / "out"
    out.write_bytes(b"old contents")
    out.chmod(0o600)
    (root / layout.blob(h)).write_bytes(b"tampered")
    code, output = get(root, h, out)
    assert code == 2 and "corrupt" in output
    assert out.read_bytes() == b"old contents" and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == []


def export(root: Path, output: Path) -> tuple[int, str]:
    result = runner.invoke(
        app, ["export-warc", target().ref.id, "--store", str(root), "-o", str(output)]
    )
    return result.exit_code, result.output


def test_export_warc_refuses_a_fifo_and_a_link_and_keeps_a_files_mode(
    stored: tuple[Path, str, bytes], tmp_path: Path
) -> None:
    """export-warc -o follows the same rules as get -o (it replaced a FIFO or a link before)."""
    root, _, _ = stored
    fifo = tmp_path / "pipe.warc.gz"
    os.mkfifo(fifo)
    code, output = export(root, fifo)
    assert code == 2 and "is a FIFO, not a regular file" in output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"keep me")
    link = tmp_path / "link.warc.gz"
    link.symlink_to(elsewhere)
    code, output = export(root, link)
    assert code == 2 and "is a symbolic link" in output
    assert link.is_symlink() and elsewhere.read_bytes() == b"keep me"
    existing = tmp_path / "old.warc.gz"
    existing.write_bytes(b"old export")
    existing.chmod(0o640)
    code, output = export(root, existing)
    assert code == 0, output
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    assert existing.read_bytes()[:2] == b"\x1f\x8b"  # a gzipped WARC now
    fresh = tmp_path / "new.warc.gz"
    code, output = export(root, fresh)
    assert code == 0, output
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    assert leftovers(tmp_path) == []
