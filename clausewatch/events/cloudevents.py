"""Change events: CloudEvents 1.0 in structured JSON mode.

Every event is appended to the store's event log (the source of truth, replayable with
``clausewatch events``) and emitted as a Prefect event by the flows. Event ids are derived from
what the event is about, so recording the same fact twice yields the same id and the log keeps
it once.

Types (``type`` attribute), each a model in :mod:`clausewatch.events.models` (the events are
built through them) with a JSON Schema generated from it in ``clausewatch/schema_files/events/``:

=========================================  ===============================================
``dev.clausewatch.document.captured``      first version of a document recorded
``dev.clausewatch.document.changed``       the legal text changed (substantive, or reverted)
``dev.clausewatch.document.flapping``      the page started alternating between versions
``dev.clausewatch.document.archived``      the Wayback Machine holds a copy of a version
``dev.clausewatch.document.cosmetic``      same words, other form (only when opted in)
``dev.clausewatch.document.recovered``     a document that failed to fetch is back
``dev.clausewatch.digest``                 a periodic summary (clausewatch digest)
``dev.clausewatch.document.fetch_failed``  the page could not be captured N times in a row
``dev.clausewatch.document.extraction_failed``  the page gave no legal text
=========================================  ===============================================
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from clausewatch.changes.diff import ClauseChange, ClauseDiff, ops_json
from clausewatch.changes.lineage import Lineage, clause_id
from clausewatch.events import models as em
from clausewatch.settings import settings
from clausewatch.storage.models import DocumentRef, Manifest
from clausewatch.times import utc_z

if TYPE_CHECKING:
    from clausewatch.storage.store import Store

PREFIX = "dev.clausewatch.document."
CAPTURED = PREFIX + "captured"
CHANGED = PREFIX + "changed"
FETCH_FAILED = PREFIX + "fetch_failed"
EXTRACTION_FAILED = PREFIX + "extraction_failed"
FLAPPING = PREFIX + "flapping"
ARCHIVED = PREFIX + "archived"
COSMETIC = PREFIX + "cosmetic"
RECOVERED = PREFIX + "recovered"
DIGEST = "dev.clausewatch.digest"
SEALED = "dev.clausewatch.store.sealed"
EVENT_TYPES = (
    CAPTURED,
    CHANGED,
    COSMETIC,
    FLAPPING,
    ARCHIVED,
    FETCH_FAILED,
    RECOVERED,
    EXTRACTION_FAILED,
    DIGEST,
    SEALED,
)
MAX_CLAUSES_IN_EVENT = em.MAX_CLAUSES


def source() -> str:
    """The CloudEvents ``source``: this clausewatch instance (``CLAUSEWATCH_INSTANCE``)."""
    return "urn:clausewatch:" + settings().instance


def event_id(*parts: str | None) -> str:
    """A stable id from the facts an event is about."""
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode()).hexdigest()[:32]


def cloudevent(
    type_: str, ident: str, document: str, time: datetime, data: em.EventData
) -> dict[str, Any]:
    """The event as JSON-ready dict; ``data`` must be the model of ``type_``'s data (else
    ValidationError), and so must the envelope."""
    event = em.BY_TYPE[type_](
        specversion="1.0",
        id=ident,
        source=source(),
        type=type_,
        subject=document,
        time=utc_z(time),
        datacontenttype="application/json",
        data=data,
    )
    dumped: dict[str, Any] = event.model_dump(mode="json")
    return dumped


def encode(event: dict[str, Any], cursor: int) -> bytes:
    """The bytes logged for an event: the CloudEvent plus the ``sequence`` extension
    attribute (the log cursor, zero-padded so it also sorts as a string)."""
    logged = {**event, "sequence": f"{cursor:012d}"}
    return json.dumps(logged, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def append(store: Store, event: dict[str, Any], wait: bool = False) -> int | None:
    """Log ``event`` once in ``store`` (see :meth:`storage.store.Store.append_event`): its
    cursor, or None while another writer is logging it."""
    return store.append_event(event["id"], lambda cursor: encode(event, cursor), wait=wait)


def _version(h: str, m: Manifest) -> em.Version:
    return em.Version(
        manifest=h,
        content_hash=m.content_hash,
        version=m.version,
        captured_at=utc_z(m.captured_at),
    )


def event_document(ref: DocumentRef) -> em.Document:
    """The ``document`` of an event about ``ref``."""
    return em.Document.model_validate(ref.model_dump(mode="json"))


def version_event(
    current: tuple[str, Manifest],
    previous: tuple[str, Manifest] | None,
    diff: ClauseDiff | None,
    lineages: tuple[Lineage | None, Lineage | None] = (None, None),
) -> dict[str, Any] | None:
    """The event a recorded version raises, by its change class; None when it raises none
    (cosmetic versions, and flapping that was already announced)."""
    h, m = current
    common: dict[str, Any] = {
        "document": event_document(m.document),
        "current": _version(h, m),
        "links": em.Links(content=f"sha256:{m.content_hash}", manifest=f"sha256:{h}"),
    }
    if previous is None or m.change_class == "first":
        ident = event_id(CAPTURED, m.document.id, m.content_hash)
        captured = em.CapturedData(**common, clause_count=m.extraction.clause_count)
        return cloudevent(CAPTURED, ident, m.document.id, m.captured_at, captured)
    ph, pm = previous
    common["previous"] = _version(ph, pm)
    if m.change_class == "flapping":
        if pm.change_class == "flapping":
            return None  # announced when the alternation began
        ident = event_id(FLAPPING, m.document.id, ph, m.content_hash)
        return cloudevent(FLAPPING, ident, m.document.id, m.captured_at, em.FlappingData(**common))
    cosmetic = m.change_class == "cosmetic"
    if cosmetic and not cosmetic_events_on():
        return None
    if m.change_class not in ("substantive", "reverted", "cosmetic"):
        return None
    changes = diff.changes if diff else ()
    common |= {
        "change_class": m.change_class,
        "summary": dict(diff.counts) if diff else {},
        "clauses": [_clause(c, lineages) for c in changes[:MAX_CLAUSES_IN_EVENT]],
        "truncated": bool(diff and len(diff.changes) > MAX_CLAUSES_IN_EVENT),
    }
    data = em.CosmeticData(**common) if cosmetic else em.ChangedData(**common)
    type_ = COSMETIC if cosmetic else CHANGED
    ident = event_id(type_, m.document.id, ph, pm.content_hash, m.content_hash)
    return cloudevent(type_, ident, m.document.id, m.captured_at, data)


def cosmetic_events_on() -> bool:
    """Cosmetic changes raise events only when ``CLAUSEWATCH_EVENTS_COSMETIC`` is on."""
    return settings().events_cosmetic


def _clause(change: ClauseChange, lineages: tuple[Lineage | None, Lineage | None]) -> em.Clause:
    ops = ops_json(change.word_ops)  # a list of operations: never marker text
    return em.Clause(
        clause=clause_id(change, *lineages),
        change=change.change,
        path=list(change.path),
        before=change.before,
        after=change.after,
        word_ops=None if ops is None else [em.WordOp.model_validate(o) for o in ops],
    )


def recovered_event(
    document: DocumentRef, at: datetime, since: datetime, failures: int
) -> dict[str, Any]:
    """The document could be captured again after a ``fetch_failed`` alert."""
    data = em.RecoveredData(
        document=event_document(document), failed_since=utc_z(since), consecutive_failures=failures
    )
    ident = event_id(RECOVERED, document.id, since.isoformat())
    return cloudevent(RECOVERED, ident, document.id, at, data)


def failure_event(
    type_: str,
    document: DocumentRef,
    at: datetime,
    error: str,
    status: int | None = None,
    reason: str | None = None,
    *,
    failures: int | None = None,
    ident: str | None = None,
) -> dict[str, Any]:
    """A ``fetch_failed`` or ``extraction_failed`` event for one check; ``reason`` (only
    ``suspect`` so far: a page held back as not the document, extraction_failed only) and
    ``failures`` (the streak's length, fetch_failed only) are added when given. ``ident``
    replaces the id made of the check's time and error."""
    common: dict[str, Any] = {
        "document": event_document(document),
        "error": error,
        "http_status": status,
    }
    data: em.EventData
    if type_ == FETCH_FAILED:
        data = em.FetchFailedData(**common, consecutive_failures=failures)
    else:
        data = em.ExtractionFailedData.model_validate({**common, "reason": reason})
    ident = ident or event_id(type_, document.id, at.isoformat(), error)
    return cloudevent(type_, ident, document.id, at, data)
