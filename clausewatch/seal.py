"""Seals: a Merkle root over every document's head, chained, written to the store and announced.

A hash chain proves that a document's history was not edited, but not that a whole history
was not removed. A seal lists every document with the manifest its head named at sealing time,
computes a Merkle root over those leaves (RFC 6962 style: leaf = SHA-256(0x00 || document
0x1f manifest), node = SHA-256(0x01 || left || right)), names the previous seal's hash, and is
stored write-once under ``seals/<time>.json``. A ``dev.clausewatch.store.sealed`` event carries
the root to every webhook receiver and the Prefect event stream: copies held outside the store.

``clausewatch verify`` then checks that the seals form an unbroken chain, that each root matches
its leaves, and that every document of the latest seal still exists and still reaches the sealed
manifest from its head. What it cannot see: a store rewritten wholesale with its seals, unless
the latest root is compared with a copy held elsewhere (``clausewatch seal --show``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from clausewatch import events
from clausewatch.errors import ClausewatchError
from storage.store import Store, sha256

SEALS = "seals/"
SEALED = events.SEALED


def merkle_root(leaves: list[tuple[str, str]]) -> str:
    """
    >>> merkle_root([]) == hashlib.sha256(b"").hexdigest()
    True
    >>> len(merkle_root([("a", "0" * 64), ("b", "1" * 64), ("c", "2" * 64)]))
    64
    """
    level = [
        hashlib.sha256(b"\x00" + f"{doc}\x1f{manifest}".encode()).digest()
        for doc, manifest in leaves
    ]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        pairs = [level[i : i + 2] for i in range(0, len(level), 2)]
        level = [
            hashlib.sha256(b"\x01" + p[0] + p[1]).digest() if len(p) == 2 else p[0] for p in pairs
        ]
    return level[0].hex()


def latest(store: Store) -> tuple[str, dict[str, Any]] | None:
    """(key, seal) of the newest seal."""
    keys = list(store.backend.list(SEALS))
    if not keys:
        return None
    return keys[-1], json.loads(store.backend.read(keys[-1]))


def seal(store: Store, now: datetime | None = None) -> dict[str, Any]:
    """Seal the store's current heads; logs and returns the ``sealed`` event."""
    now = now or datetime.now(UTC)
    leaves = []
    for document in store.documents():
        head, _ = store.head(document)
        if head is not None:
            leaves.append((document, head.manifest))
    previous = latest(store)
    record = {
        "format": "clausewatch.seal/1",
        "created_at": now.isoformat().replace("+00:00", "Z"),
        "previous": sha256(store.backend.read(previous[0])) if previous else None,
        "leaves": [list(leaf) for leaf in leaves],
        "merkle_root": merkle_root(leaves),
    }
    data = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    key = f"{SEALS}{now.strftime('%Y%m%dT%H%M%S%fZ')}.json"
    store.backend.create(key, data)
    payload = {
        "seal": key,
        "seal_sha256": sha256(data),
        "merkle_root": record["merkle_root"],
        "documents": len(leaves),
        "previous": record["previous"],
    }
    event = events.cloudevent(SEALED, events.event_id(SEALED, sha256(data)), "store", now, payload)
    store.append_event(event["id"], lambda cursor: events.encode(event, cursor))
    return event


def check(store: Store) -> list[tuple[str, str]]:
    """Problems with the seals, as (key, what): a broken chain, a wrong root, lost history."""
    problems: list[tuple[str, str]] = []
    previous_hash: str | None = None
    last: dict[str, Any] | None = None
    for key in store.backend.list(SEALS):
        data = store.backend.read(key)
        record = json.loads(data)
        if record.get("previous") != previous_hash:
            problems.append(
                (key, "the seal chain is broken: a seal before this one is missing or altered")
            )
        leaves = [tuple(leaf) for leaf in record.get("leaves", [])]
        if merkle_root(leaves) != record.get("merkle_root"):
            problems.append((key, "the Merkle root does not match the sealed documents"))
        previous_hash, last = sha256(data), record
    for document, manifest in (last or {}).get("leaves", []):
        reachable = {h for h, _ in _chain_or_empty(store, document)}
        if manifest not in reachable:
            problems.append(
                (
                    f"heads/{document}.json",
                    f"sealed version {manifest[:12]} of {document} is no longer in its history",
                )
            )
    return problems


def _chain_or_empty(store: Store, document: str) -> list[tuple[str, Any]]:
    try:
        return list(store.chain(document))
    except ClausewatchError:  # a missing or corrupt link is reported by verify's own chain walk
        return []
