"""Group commit for a store in a local directory: many captures made durable by one sync.

Written one capture at a time, the local backend syncs every object it writes (the file, then
its directory): about sixteen syncs for a new version. ``clausewatch import`` records hundreds
of captures a second from saved pages, and there the syncs are most of its time. Inside a
group (:class:`GroupCommit`, a :class:`storage.backend.Backend` over a
:class:`storage.local.LocalBackend`):

1. content-addressed objects (``blobs/``, ``manifests/``: their key is the SHA-256 of their
   bytes, so nothing can point at one by mistake) are written straight to the directory,
   without a sync;
2. every other write (heads, the event log and its index, checks, hints) is kept in memory, in
   order, and reads see it, so a capture is compared with the one before it in the same group;
3. :meth:`GroupCommit.commit` syncs the file system once (``syncfs``), so every object of the
   group is durable; then replays the kept writes, in their order, with the same conditions
   (a head still at the version the group read, a log entry still free), and syncs again.
   Only then are the group's results acknowledged.

A crash before the first sync loses the group (its lines were never acknowledged) and leaves at
most unreferenced objects, which ``verify`` accepts. A crash between the two syncs leaves a
prefix of the replayed writes, the state a crash of an ungrouped import at that point leaves,
on a file system that keeps the order of metadata operations through a crash (ext4, XFS and
btrfs journal them in order); every head then points at objects made durable by the first
sync. If another writer changed a key of the group meanwhile (a head moved, a log cursor
taken), the replay stops at that key with :class:`GroupConflict`, naming it: the group is not
acknowledged, and running the import again records what is missing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from clausewatch.errors import ConflictError, ObjectNotFound
from clausewatch.storage import layout
from clausewatch.storage.local import LocalBackend

_CONTENT_ADDRESSED = (layout.BLOBS, layout.MANIFESTS)
_List = list  # the class defines a method named list


class GroupConflict(ConflictError):
    """Another writer changed a key the group wrote: the group was not (wholly) applied."""


@dataclass(frozen=True)
class _Write:
    kind: str  # "create", "swap", "overwrite" or "delete"
    key: str
    data: bytes = b""
    expected: str | None = None  # for "swap": the token the write was conditional on


class GroupCommit:
    """A :class:`storage.backend.Backend` that makes a local store's writes durable in
    groups; :meth:`commit` ends a group (see the module's docstring for the order)."""

    def __init__(self, inner: LocalBackend) -> None:
        self.inner = inner
        self._writes: _List[_Write] = []
        self._now: dict[str, bytes | None] = {}  # key -> its value in the group (None: deleted)
        self._unsynced = False  # content-addressed objects written since the last sync

    def __enter__(self) -> GroupCommit:
        self.inner.durable = False
        return self

    def __exit__(self, *exc: object) -> None:
        """Commit what is left, unless the block failed: then the group is forgotten (it
        was not acknowledged)."""
        try:
            if exc[0] is None:
                self.commit()
            else:
                self.discard()
        finally:
            self.inner.durable = True

    @property
    def url(self) -> str:
        return self.inner.url

    @property
    def pending(self) -> int:
        """Writes kept for the replay (0 right after a commit)."""
        return len(self._writes)

    # -- reads: the group's own writes first --------------------------------------------
    def read(self, key: str) -> bytes:
        if key in self._now:
            value = self._now[key]
            if value is None:
                raise ObjectNotFound(f"no object {key!r} in store {self.url}")
            return value
        return self.inner.read(key)

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        if key in self._now:
            value = self._now[key]
            return None if value is None else (value, _token(value))
        return self.inner.read_versioned(key)

    def exists(self, key: str) -> bool:
        if key in self._now:
            return self._now[key] is not None
        return self.inner.exists(key)

    def list(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        mine = {k for k in self._now if k.startswith(prefix)}
        if not mine:
            yield from self.inner.list(prefix, start_after)
            return
        keys = {k for k in self.inner.list(prefix, start_after) if k not in mine}
        keys |= {k for k in mine if self._now[k] is not None}
        yield from sorted(k for k in keys if start_after is None or k > start_after)

    def links(self, under: str = "") -> _List[tuple[str, str]]:
        return self.inner.links(under)

    # -- writes ----------------------------------------------------------------------------
    def create(self, key: str, data: bytes, sha256: str | None = None) -> bool:
        if key.startswith(_CONTENT_ADDRESSED) and key not in self._now:
            self._unsynced = True
            return self.inner.create(key, data, sha256)  # durable at the commit's first sync
        if self.exists(key):
            return False
        self._keep(_Write("create", key, data))
        return True

    def swap(self, key: str, data: bytes, expected: str | None) -> str | None:
        current = self.read_versioned(key)
        if (current[1] if current else None) != expected:
            return None
        self._keep(_Write("swap", key, data, expected))
        return _token(data)

    def overwrite(self, key: str, data: bytes) -> None:
        self._keep(_Write("overwrite", key, data))

    def delete(self, key: str) -> None:
        if self.exists(key):
            self._keep(_Write("delete", key))

    def _keep(self, write: _Write) -> None:
        self._writes.append(write)
        self._now[write.key] = None if write.kind == "delete" else write.data

    # -- the end of a group ----------------------------------------------------------------
    def commit(self) -> None:
        """Make the group durable: sync, replay the kept writes in order, sync again.

        Raises GroupConflict (nothing after the conflicting write is applied) when another
        writer changed one of the group's keys, StoreError when the disk fails."""
        writes, self._writes, self._now = self._writes, [], {}
        if not writes and not self._unsynced:
            return
        self._unsynced = False
        self.inner.sync()  # every object the kept writes can point at is durable from here
        for write in writes:
            if not self._apply(write):
                raise GroupConflict(
                    f"another writer changed {write.key!r} in store {self.url} while a group "
                    "of captures was being recorded: those captures were not acknowledged; "
                    "run the import again when the other writer is done (it records only "
                    "what is missing)"
                )
        if writes:
            self.inner.sync()

    def discard(self) -> None:
        """Forget the kept writes (the group's objects stay, unreferenced)."""
        self._writes, self._now = [], {}

    def _apply(self, write: _Write) -> bool:
        if write.kind == "create":
            return self.inner.create(write.key, write.data)
        if write.kind == "swap":
            return self.inner.swap(write.key, write.data, write.expected) is not None
        if write.kind == "overwrite":
            self.inner.overwrite(write.key, write.data)
        else:
            self.inner.delete(write.key)
        return True


def _token(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()  # the local backend's version token
