"""A store in a local directory (``file:///path`` or a plain path).

Write-once objects are written to a temporary file, fsynced, then hard-linked into place, which
fails atomically if the name exists. Compare-and-swap holds an exclusive ``flock`` on a lock
file beside the key while it compares the current content's SHA-256 and renames the new file
into place, so concurrent processes on one machine cannot both win. Readers never see a
half-written file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from clausewatch.errors import ObjectNotFound, StoreError


class LocalBackend:
    """A :class:`storage.backend.Backend` over a directory."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    @property
    def url(self) -> str:
        return self.root.as_uri()

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or any(p in ("", ".", "..") for p in parts):
            raise StoreError(f"invalid store key {key!r}")
        return self.root.joinpath(*parts)

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {key!r} in store {self.url}") from None
        except OSError as exc:
            raise StoreError(f"cannot read {key!r} in store {self.url}: {exc}") from exc

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        try:
            data = self.read(key)
        except ObjectNotFound:
            return None
        return data, hashlib.sha256(data).hexdigest()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def create(self, key: str, data: bytes, sha256: str | None = None) -> bool:
        path = self._path(key)
        if path.exists():
            return False
        tmp = self._write_temp(path, data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError as exc:
            raise self._write_error(key, exc) from exc
        finally:
            tmp.unlink(missing_ok=True)
        _sync_dir(path.parent)
        return True

    def swap(self, key: str, data: bytes, expected: str | None) -> bool:
        path = self._path(key)
        with self._locked(path):
            current = self.read_versioned(key)
            if (current[1] if current else None) != expected:
                return False
            tmp = self._write_temp(path, data)
            os.replace(tmp, path)
            _sync_dir(path.parent)
        return True

    def overwrite(self, key: str, data: bytes) -> None:
        path = self._path(key)
        os.replace(self._write_temp(path, data), path)

    def list(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        directory = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        base = self.root / directory if directory else self.root
        if not base.is_dir():
            return
        keys = sorted(
            key
            for p in base.rglob("*")
            if p.is_file()
            and not p.name.startswith(".")
            and (key := p.relative_to(self.root).as_posix()).startswith(prefix)
        )
        yield from (k for k in keys if start_after is None or k > start_after)

    def _write_temp(self, path: Path, data: bytes) -> Path:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        except OSError as exc:
            raise self._write_error(str(path), exc) from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fdatasync(fh.fileno())
        except OSError as exc:
            Path(name).unlink(missing_ok=True)
            raise self._write_error(str(path), exc) from exc
        return Path(name)

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_name(f".{path.name}.lock"), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _write_error(self, key: str, exc: OSError) -> StoreError:
        if exc.errno == errno.ENOSPC:
            return StoreError(
                f"disk full while writing {key!r} to {self.url}: free space and run again "
                "(nothing half-written was left in place)"
            )
        return StoreError(f"cannot write {key!r} to {self.url}: {exc}")


def _sync_dir(directory: Path) -> None:
    """Make a new or replaced name durable: a file's fsync does not cover its directory entry."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
