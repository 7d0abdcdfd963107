"""The key-value interface every store backend implements (a local directory and S3).

Keys are ``/``-separated relative paths such as ``blobs/ab/ab12...``. Three kinds of write:

- :meth:`Backend.create` writes a key only if it does not exist (write-once objects);
- :meth:`Backend.swap` replaces a key only if it still holds the version the caller read
  (compare-and-swap, for head pointers);
- :meth:`Backend.overwrite` writes unconditionally (hints that may be stale without harm).

:meth:`Backend.delete` removes a key of an area that is not kept (a finished queue entry
moved out of its queue); nothing written once is ever deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol


class Backend(Protocol):
    """A flat key space with conditional writes."""

    @property
    def url(self) -> str:
        """The store URL this backend was opened from (without credentials)."""
        ...

    def read(self, key: str) -> bytes:
        """The bytes under ``key``; raises ObjectNotFound."""
        ...

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        """The bytes under ``key`` and an opaque version token, or None if absent."""
        ...

    def exists(self, key: str) -> bool:
        """Whether ``key`` exists."""
        ...

    def create(self, key: str, data: bytes, sha256: str | None = None) -> bool:
        """Write ``key`` unless it exists; True if written, False if it already existed.

        ``sha256`` (hex), when given, is sent to backends that verify uploads.
        """
        ...

    def swap(self, key: str, data: bytes, expected: str | None) -> str | None:
        """Replace ``key`` if its version token is still ``expected`` (None: must be absent).

        Returns the new version token (a non-empty string, so true), or None, writing
        nothing, when another writer got there first: a caller saving again needs no read.
        """
        ...

    def overwrite(self, key: str, data: bytes) -> None:
        """Write ``key`` unconditionally."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` if it exists."""
        ...

    def list(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        """Keys under ``prefix`` in lexicographic order, optionally after a key."""
        ...
