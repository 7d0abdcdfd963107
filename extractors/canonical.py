"""The canonical serialisation of clauses, whose SHA-256 is a version's content hash.

Compact JSON, keys sorted, UTF-8, one array per clause: ``[kind, level, path, text]``. Link
targets, markup and white space never reach it, so they never change the hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, cast

from extractors.model import Clause, ClauseKind

CANONICAL_VERSION = "clausewatch.clauses/1"


def canonical_bytes(clauses: Iterable[Clause]) -> bytes:
    """Serialise clauses canonically: equal clauses give equal bytes."""
    doc = {
        "format": CANONICAL_VERSION,
        "clauses": [[c.kind, c.level, list(c.path), c.text] for c in clauses],
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def content_hash(clauses: Iterable[Clause]) -> str:
    """SHA-256 (hex) of the canonical serialisation."""
    return hashlib.sha256(canonical_bytes(clauses)).hexdigest()


def parse_canonical(data: bytes) -> tuple[Clause, ...]:
    """Read clauses back from their canonical serialisation."""
    doc = json.loads(data)
    if not isinstance(doc, dict) or doc.get("format") != CANONICAL_VERSION:
        raise ValueError(f"not a {CANONICAL_VERSION} document")
    rows = cast(list[list[Any]], doc["clauses"])
    return tuple(
        Clause(kind=cast(ClauseKind, k), level=int(lv), path=tuple(p), text=str(t))
        for k, lv, p, t in rows
    )
