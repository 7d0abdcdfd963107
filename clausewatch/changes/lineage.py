"""Clause lineage: stable clause ids across a document's versions.

The first version numbers its clauses ``c1`` … ``cN``. Each later version inherits the id of
every clause the diff pairs with one of the previous version (unchanged, moved or modified:
matched by content similarity and position), and new clauses get fresh ids. So "c12 was
modified" and "c7 moved under another heading" name the same clause however the document is
edited or reordered. The ids are kept in a ``lineage`` blob per version, outside the content
hash (which must depend on the text alone).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from clausewatch.changes.diff import ClauseChange, ClauseDiff
from clausewatch.storage.models import load_json

if TYPE_CHECKING:
    from clausewatch.storage.models import Manifest
    from clausewatch.storage.store import Store

LINEAGE_FORMAT = "clausewatch.lineage/1"


@dataclass(frozen=True)
class Lineage:
    ids: tuple[str, ...]
    next: int  # the number the next new clause gets

    def to_bytes(self) -> bytes:
        doc = {"format": LINEAGE_FORMAT, "ids": list(self.ids), "next": self.next}
        return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Lineage:
        doc = load_json(data)
        if doc.get("format") != LINEAGE_FORMAT:
            raise ValueError(f"not a {LINEAGE_FORMAT} document")
        return cls(ids=tuple(doc["ids"]), next=int(doc["next"]))


def first(count: int) -> Lineage:
    """
    >>> first(3)
    Lineage(ids=('c1', 'c2', 'c3'), next=4)
    """
    return Lineage(ids=tuple(f"c{i}" for i in range(1, count + 1)), next=count + 1)


def follow(previous: Lineage | None, diff: ClauseDiff, count: int) -> Lineage:
    """The ids of a new version of ``count`` clauses, given the diff from ``previous``."""
    if previous is None:
        return first(count)
    ids: list[str | None] = [None] * count
    for i, j in diff.matched:
        if i < len(previous.ids) and j < count:
            ids[j] = previous.ids[i]
    n = previous.next
    for j, ident in enumerate(ids):
        if ident is None:
            ids[j] = f"c{n}"
            n += 1
    return Lineage(ids=tuple(i for i in ids if i is not None), next=n)


def clause_id(change: ClauseChange, old: Lineage | None, new: Lineage | None) -> str | None:
    """The stable id of the clause a change is about."""
    if change.new_index is not None and new is not None and change.new_index < len(new.ids):
        return new.ids[change.new_index]
    if change.old_index is not None and old is not None and change.old_index < len(old.ids):
        return old.ids[change.old_index]
    return None


def lineage_of(store: Store, manifest: Manifest) -> Lineage | None:
    """A version's clause lineage (None for versions recorded without one)."""
    ref = manifest.blobs.get("lineage")
    return Lineage.from_bytes(store.get_blob(ref.sha256)) if ref else None
