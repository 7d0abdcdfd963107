"""A backend that counts what is asked of it, to show a cost is bounded by the work at hand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any


class Counting:
    """Wraps a backend; ``calls`` counts calls by method and ``listed`` the keys listings
    returned, both by the first two parts of the key (``events/log``, ``checks/doc``)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()
        self.listed: Counter[str] = Counter()

    def reset(self) -> None:
        self.calls.clear()
        self.listed.clear()

    @property
    def url(self) -> str:
        return str(self.inner.url)

    def _count(self, method: str, key: str) -> None:
        self.calls[f"{method} {'/'.join(key.split('/')[:2])}"] += 1

    def read(self, key: str) -> bytes:
        self._count("read", key)
        return bytes(self.inner.read(key))

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        self._count("read", key)
        found: tuple[bytes, str] | None = self.inner.read_versioned(key)
        return found

    def exists(self, key: str) -> bool:
        self._count("exists", key)
        return bool(self.inner.exists(key))

    def create(self, key: str, data: bytes, sha256: str | None = None) -> bool:
        self._count("create", key)
        return bool(self.inner.create(key, data, sha256))

    def swap(self, key: str, data: bytes, expected: str | None) -> str | None:
        self._count("swap", key)
        token: str | None = self.inner.swap(key, data, expected)
        return token

    def overwrite(self, key: str, data: bytes) -> None:
        self._count("overwrite", key)
        self.inner.overwrite(key, data)

    def delete(self, key: str) -> None:
        self._count("delete", key)
        self.inner.delete(key)

    def list(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        self._count("list", prefix)
        for key in self.inner.list(prefix, start_after):
            self.listed["/".join(prefix.split("/")[:2])] += 1
            yield key

    def total_listed(self) -> int:
        return sum(self.listed.values())

    def __getattr__(self, name: str) -> Any:  # links(), and other backend-specific helpers
        return getattr(self.inner, name)
