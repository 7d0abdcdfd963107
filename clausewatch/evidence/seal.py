"""Seals: a Merkle root over every document's head, chained, written to the store and announced.

A hash chain proves that a document's history was not edited, but not that a whole history
was not removed. A seal lists every document with the manifest its head named at sealing time,
computes a Merkle root over those leaves (RFC 6962 style: leaf = SHA-256(0x00 || document
0x1f manifest), node = SHA-256(0x01 || left || right)), names the previous seal's hash, and is
stored write-once under ``seals/<time>.json``. A ``dev.clausewatch.store.sealed`` event carries
the root to every webhook receiver and the Prefect event stream: copies held outside the store.

``clausewatch verify`` then checks (:mod:`storage.seals`) that the seals form an unbroken chain, that each root matches
its leaves, and that every document of the latest seal still exists and still reaches the sealed
manifest from its head. What it cannot see: a store rewritten wholesale with its seals, unless
the latest root is compared with a copy held elsewhere (``clausewatch seal --show``).

Re-extraction (``clausewatch reextract``) is the one legitimate way a head leaves its history:
it moves the head to a new chain whose manifests name the versions they were re-extracted from
(``reextracted_from``). Before moving the head it writes a write-once record,
``reextracts/<document>/<new head>.json``, naming the head it replaces. From a history whose
versions were re-extracted, the seal check goes on to the replaced head's history (named by the
record, else by the newest re-extracted version's ``reextracted_from``), but only if the new
chain is derived from it: every new version names a version of that history, in order, and
keeps its evidence (captured time, URLs, HTTP status and headers, and every blob but the
extracted clauses and their lineage). A head moved for any other reason, or a record the
manifests do not bear out, still fails. The extractor is not re-run: the check proves that the
sealed version and its history are still in the store and that the new history was built from
their evidence, not that the new texts are what today's extractors make of it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from clausewatch.errors import StoreError
from clausewatch.events import cloudevents as events
from clausewatch.events.models import SealedData
from clausewatch.storage import layout
from clausewatch.storage.seals import REEXTRACT_FORMAT, SEAL_FORMAT, merkle_root, reextract_record
from clausewatch.storage.store import Store, sha256
from clausewatch.times import utc_z

SEALED = events.SEALED


def seal(store: Store, now: datetime | None = None) -> dict[str, Any]:
    """Seal the store's current heads; logs and returns the ``sealed`` event."""
    now = now or datetime.now(UTC)
    leaves = []
    for document in store.documents():
        head, _ = store.head(document)
        if head is not None:
            leaves.append((document, head.manifest))
    previous = list(store.backend.list(layout.SEALS))[
        -1:
    ]  # chained by its bytes' hash, damaged or not
    record = {
        "format": SEAL_FORMAT,
        "created_at": utc_z(now),
        "previous": sha256(store.backend.read(previous[0])) if previous else None,
        "leaves": [list(leaf) for leaf in leaves],
        "merkle_root": merkle_root(leaves),
    }
    data = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    key = layout.seal(now)
    store.backend.create(key, data)
    payload = SealedData.model_validate(
        {
            "seal": key,
            "seal_sha256": sha256(data),
            "merkle_root": record["merkle_root"],
            "documents": len(leaves),
            "previous": record["previous"],
        }
    )
    event = events.cloudevent(SEALED, events.event_id(SEALED, sha256(data)), "store", now, payload)
    events.append(store, event)
    return event


def record_reextract(
    store: Store, document: str, head: str, replaced: str, now: datetime | None = None
) -> str:
    """Write (once) the record that re-extraction's new head ``head`` replaces ``replaced``.

    Written before the head moves: a run that stops in between leaves a record no head names,
    which nothing follows. Returns the record's key."""
    key = layout.reextract(document, head)
    record = {
        "format": REEXTRACT_FORMAT,
        "document": document,
        "head": head,
        "replaced": replaced,
        "reextracted_at": utc_z(now or datetime.now(UTC)),
    }
    data = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    if store.backend.create(key, data):
        return key
    existing = reextract_record(store.backend.read(key))
    if existing is None or existing.get("replaced") != replaced:
        raise StoreError(
            f"{key} in {store.url} already names another replaced version: run "
            "`clausewatch verify` and look at that record"
        )
    return key  # the same re-extraction, run again after it stopped before moving the head
