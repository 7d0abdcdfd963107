"""Recording a capture: extract, compare with the head, store the version, log the event.

This is the core every entry point shares (the Prefect flow, ``clausewatch run --no-prefect``
and ``clausewatch import``). It needs a :class:`storage.store.Store` and nothing else: no
Prefect, no browser.

Crash safety: blobs, then the manifest, then the head (compare-and-swap), then the event. A
crash before the head moves leaves only unreferenced write-once objects; a crash after it
leaves the head's event unlogged, and the next check of the document logs it (the head names
its event id, and event ids are deterministic) before it may move the head again, so an
unlogged event can only ever be the head's.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clausewatch import extractors
from clausewatch.changes import lineage
from clausewatch.changes.classify import WORD_CHANGES, judge, remembered
from clausewatch.changes.diff import ClauseDiff, diff_clauses
from clausewatch.changes.lineage import Lineage
from clausewatch.errors import (
    CaptureError,
    ConflictError,
    ExtractionError,
    FetchError,
    InputError,
)
from clausewatch.events import cloudevents as events
from clausewatch.extractors import Clause, Extraction, parse_canonical
from clausewatch.extractors.part import fragment_of
from clausewatch.pipeline import failures
from clausewatch.pipeline.collapse import (
    collapse_reason,
    get_held,
    put_held,
    stale_reason,
)
from clausewatch.pipeline.model import Capture, Outcome, Target
from clausewatch.storage import layout
from clausewatch.storage.models import (
    BlobRef,
    ChangeClass,
    CheckRecord,
    ExtractionInfo,
    Head,
    Manifest,
    dump,
)
from clausewatch.storage.records import HeldCapture
from clausewatch.storage.store import Store
from clausewatch.wayback import archive

log = logging.getLogger(__name__)
EXTRACTOR = "clausewatch.extractors/0.1"
_MAX_SWAPS = 20

# The rendered DOM is stored as the browser serialised it: UTF-8, whatever charset the page's
# HTTP header or <meta> declares (decoding it with that charset garbles every non-ASCII letter).
DOM_CONTENT_TYPE = "text/html; charset=utf-8"


def extract_capture(target: Target, capture: Capture) -> Extraction:
    """The legal text of a capture (its rendered DOM, else its HTTP body); pure."""
    page: bytes
    content_type: str | None
    if capture.dom is not None:  # serialised by the browser as UTF-8, whatever the page's charset
        page, content_type = capture.dom, DOM_CONTENT_TYPE
    else:
        page, content_type = capture.body, capture.content_type
    return extractors.extract(
        page,
        select=target.select,
        remove=target.remove,
        content_type=content_type,
        part=fragment_of(target.ref.url),
    )


def record_capture(
    store: Store,
    target: Target,
    capture: Capture,
    extraction: Extraction | ExtractionError | None = None,
) -> Outcome:
    """Record a capture as a new version or a check; ``extraction`` may be computed ahead
    (by :func:`extract_capture`, possibly in another process), else it is computed here."""
    doc = target.ref.id
    try:
        if extraction is None:
            extraction = extract_capture(target, capture)
        if isinstance(extraction, ExtractionError):
            raise extraction
    except ExtractionError as exc:
        message = f"{doc} ({capture.url}): {exc}"
        event = events.failure_event(
            events.EXTRACTION_FAILED, target.ref, capture.captured_at, message, reason=exc.reason
        )
        _append(store, event)
        return Outcome(doc, "error", error=message, error_type="extraction", event=event)
    return _record_extraction(store, target, capture, extraction)


def record_failure(store: Store, target: Target, at: datetime, exc: CaptureError) -> Outcome:
    """Count a capture that failed for good (after retries); the ``fetch_failed`` event is
    raised once per streak, when it reaches ``CLAUSEWATCH_FETCH_FAILURES`` in a row (or passes
    it: a retry of a check whose alert could not be logged raises it then)."""
    status = exc.status if isinstance(exc, FetchError) else None
    named = f"{target.ref.id} ({target.ref.url}): "
    message = str(exc) if str(exc).startswith(named) else named + str(exc)
    streak = failures.failed(store, target.ref.id, at, message)
    event = None
    if streak.count >= failures.threshold() and not streak.alert_logged:
        event = events.failure_event(
            events.FETCH_FAILED,
            target.ref,
            streak.since,
            message,
            status,
            failures=streak.count,
            # one alert per streak: its id names the streak, not this check's error text
            ident=events.event_id(events.FETCH_FAILED, target.ref.id, streak.since.isoformat()),
        )
        _append(store, event)
        failures.alerted(store, streak)  # only once the event is logged
    return Outcome(target.ref.id, "error", error=message, error_type="fetch", event=event)


def _record_extraction(
    store: Store,
    target: Target,
    capture: Capture,
    extraction: Extraction,
    accepting: str | None = None,
) -> Outcome:
    """Record ``extraction`` as a version or a check. ``accepting`` names the head a held
    capture was compared with: it is recorded whatever it lost, if that is still the head."""
    doc = target.ref.id
    ended = failures.ending(store, doc)
    if ended is not None:
        if ended.alert_logged:  # logged before the streak ends, so a retry logs it still
            _append(
                store,
                events.recovered_event(target.ref, capture.captured_at, ended.since, ended.count),
            )
        failures.succeeded(store, doc)
    for _ in range(_MAX_SWAPS):
        head, token = store.head(doc)
        if head is not None:
            ensure_head_event(store, head)
            if accepting is not None and head.manifest != accepting:
                raise ConflictError(
                    f"{doc}: a version was recorded since the capture was held back: "
                    "nothing to accept (see `clausewatch history`)"
                )
            if capture.source == "import" and capture.captured_at < head.captured_at:
                return Outcome(
                    doc,
                    "error",
                    error_type="input",
                    error=(
                        f"{doc}: capture of {capture.captured_at.isoformat()} is older than the latest "
                        f"version ({head.captured_at.isoformat()}): history can only grow forward; "
                        "import back-fills in time order, before live monitoring"
                    ),
                )
            if head.content_hash == extraction.content_hash:
                if _same_capture(store, head, capture):
                    return _replayed(store, head)
                store.add_check(_check(doc, capture, head))
                return Outcome(
                    doc,
                    "unchanged",
                    content_hash=head.content_hash,
                    manifest=head.manifest,
                    previous_manifest=head.manifest,
                    version=head.version,
                )
        old_clauses = None
        if head is not None:
            old_bytes = store.get_blob(head.content_hash)
            old_clauses = parse_canonical(old_bytes)
            lost = collapse_reason(old_clauses, len(old_bytes), extraction)
            if lost is not None and accepting is None:
                return _hold(store, target, capture, head, lost)
        previous = (head.manifest, store.get_manifest(head.manifest)) if head else None
        diff, lineages = _compare(store, previous, old_clauses, extraction)
        verdict = judge(head, old_clauses, extraction.clauses, extraction.substance_hash, diff)
        change_class = verdict.change_class
        manifest = _manifest(
            store, target, capture, extraction, head, change_class, lineages[1], verdict.language
        )
        mh = store.put_manifest(manifest)
        event = events.version_event((mh, manifest), previous, diff, lineages)
        new_head = Head(
            document=doc,
            manifest=mh,
            content_hash=extraction.content_hash,
            substance_hash=extraction.substance_hash,
            change_class=change_class,
            version=manifest.version,
            captured_at=capture.captured_at,
            event_id=event["id"] if event else None,
            **remembered(head, verdict, extraction.substance_hash),
        )
        if store.swap_head(new_head, token):
            if capture.source == "browser":
                archive.enqueue(store, mh, manifest)
            if event is not None:
                _append(store, event)
            return Outcome(
                doc,
                "first" if head is None else "changed",
                changed=change_class in WORD_CHANGES,
                change_class=change_class,
                content_hash=extraction.content_hash,
                manifest=mh,
                previous_manifest=head.manifest if head else None,
                version=manifest.version,
                event=event,
                diff=diff,
                lineages=lineages,
            )
        log.info("head of %s moved while recording; re-reading it", doc)
    raise ConflictError(
        f"{doc}: the head kept moving under {_MAX_SWAPS} concurrent writers; run again"
    )


def _compare(
    store: Store,
    previous: tuple[str, Manifest] | None,
    old_clauses: Sequence[Clause] | None,
    extraction: Extraction,
) -> tuple[ClauseDiff | None, tuple[Lineage | None, Lineage]]:
    """The diff from the previous version (whose clauses are ``old_clauses``) and both
    versions' clause lineage."""
    if previous is None or old_clauses is None:
        return None, (None, lineage.first(len(extraction.clauses)))
    diff = diff_clauses(old_clauses, extraction.clauses)
    old = lineage.lineage_of(store, previous[1])
    return diff, (old, lineage.follow(old, diff, len(extraction.clauses)))


def _hold(store: Store, target: Target, capture: Capture, head: Head, lost: str) -> Outcome:
    """Keep a collapsed capture as evidence and log its ``extraction_failed`` (suspect)."""
    doc = target.ref.id
    held = HeldCapture(
        document=target.ref,
        select=tuple(target.select),
        remove=tuple(target.remove),
        reason=lost,
        head=head.manifest,
        url=capture.url,
        captured_at=capture.captured_at,
        source=capture.source,
        final_url=capture.final_url,
        status=capture.status,
        headers=capture.headers,
        browser=capture.browser,
        timings_ms=capture.timings_ms,
        settled=capture.settled,
        blobs=_evidence(store, capture),
    )
    put_held(store, held)
    message = (
        f"{doc} ({capture.url}): {lost}: held back as a collapse of the text, not recorded "
        f"(the next capture tries again); if the page really was rewritten, `clausewatch "
        f"accept {doc}` records this capture"
    )
    event = events.failure_event(
        events.EXTRACTION_FAILED, target.ref, capture.captured_at, message, reason="suspect"
    )
    _append(store, event)
    return Outcome(doc, "error", error=message, error_type="extraction", event=event)


def accept_held(store: Store, document: str) -> Outcome:
    """Record the capture the collapse guard held back last as the document's new version.

    Refused (InputError) when there is none, or when the document was recorded or checked
    since: then the held capture is no longer what the page shows."""
    held, token = get_held(store, document)
    stale = stale_reason(store, held)
    if stale is not None:
        raise InputError(
            f"{document}: the capture held back at {held.captured_at.isoformat()} cannot be "
            f"accepted: {stale}"
        )
    blobs = held.blobs
    capture = Capture(
        url=held.url,
        captured_at=held.captured_at,
        source="browser" if held.source == "browser" else "import",
        body=store.get_blob(blobs["response"].sha256),
        dom=store.get_blob(blobs["dom"].sha256) if "dom" in blobs else None,
        screenshot=store.get_blob(blobs["screenshot"].sha256) if "screenshot" in blobs else None,
        final_url=held.final_url,
        status=held.status,
        headers=held.headers,
        browser=held.browser,
        timings_ms=held.timings_ms,
        settled=held.settled,
    )
    target = Target(ref=held.document, select=held.select, remove=held.remove)
    outcome = _record_extraction(
        store, target, capture, extract_capture(target, capture), accepting=held.head
    )
    if outcome.status == "error":  # e.g. the held capture is no longer extractable
        raise InputError(f"{document}: the held capture was not recorded: {outcome.error}")
    if outcome.manifest is not None:
        done = held.model_copy(update={"accepted": outcome.manifest})
        store.backend.swap(layout.held(document), dump(done), token)
    return outcome


@dataclass(frozen=True)
class _HeadVersion:
    manifest: Manifest
    previous: tuple[str, Manifest] | None
    diff: ClauseDiff | None
    lineages: tuple[Lineage | None, Lineage | None]
    event: dict[str, Any] | None


def _head_version(store: Store, head: Head) -> _HeadVersion:
    """Everything recording the head's version produced, rebuilt from the store."""
    manifest = store.get_manifest(head.manifest)
    previous = (
        (manifest.previous, store.get_manifest(manifest.previous)) if manifest.previous else None
    )
    diff = None
    lineages: tuple[Lineage | None, Lineage | None] = (None, lineage.lineage_of(store, manifest))
    if previous is not None:
        old = parse_canonical(store.get_blob(previous[1].content_hash))
        diff = diff_clauses(old, parse_canonical(store.get_blob(manifest.content_hash)))
        lineages = (lineage.lineage_of(store, previous[1]), lineages[1])
    event = events.version_event((head.manifest, manifest), previous, diff, lineages)
    return _HeadVersion(manifest, previous, diff, lineages, event)


def ensure_head_event(store: Store, head: Head) -> None:
    """Log the head's event if a crash lost it between moving the head and logging.

    Every writer calls this before it moves a head, and it returns only once the event is in
    the log (a claim on it by a live writer is waited for; one left by a dead writer is taken
    over): so no head moves past a version whose event is not logged, and repairing the
    head's event repairs every version's."""
    if head.event_id is None or store.has_event(head.event_id):
        return
    rebuilt = _head_version(store, head)
    if rebuilt.manifest.source == "browser":
        archive.enqueue(store, head.manifest, rebuilt.manifest)  # lost in the same crash window
    if rebuilt.event is not None and rebuilt.event["id"] == head.event_id:
        log.warning(
            "%s: logging event %s that an interrupted run did not", head.document, head.event_id
        )
        _append(store, rebuilt.event, wait=True)


def _same_capture(store: Store, head: Head, capture: Capture) -> bool:
    """Whether the head was recorded from this very capture (a retried task)."""
    if head.captured_at != capture.captured_at:
        return False
    response = store.get_manifest(head.manifest).blobs.get("response")
    return response is not None and response.sha256 == hashlib.sha256(capture.body).hexdigest()


def _replayed(store: Store, head: Head) -> Outcome:
    """The outcome a retried recording had the first time (its head move already happened)."""
    rebuilt = _head_version(store, head)
    change_class = rebuilt.manifest.change_class
    return Outcome(
        head.document,
        "first" if rebuilt.previous is None else "changed",
        changed=change_class in WORD_CHANGES,
        change_class=change_class,
        content_hash=head.content_hash,
        manifest=head.manifest,
        previous_manifest=rebuilt.previous[0] if rebuilt.previous else None,
        version=head.version,
        event=rebuilt.event,
        diff=rebuilt.diff,
        lineages=rebuilt.lineages,
    )


def _append(store: Store, event: dict[str, Any], wait: bool = False) -> int | None:
    return events.append(store, event, wait=wait)


def _check(doc: str, capture: Capture, head: Head) -> CheckRecord:
    return CheckRecord(
        document=doc,
        checked_at=capture.captured_at,
        manifest=head.manifest,
        content_hash=head.content_hash,
        page_sha256=hashlib.sha256(capture.body).hexdigest(),
    )


def _manifest(
    store: Store,
    target: Target,
    capture: Capture,
    extraction: Extraction,
    head: Head | None,
    change_class: ChangeClass,
    clause_lineage: Lineage,
    language: str | None,
) -> Manifest:
    blobs = {
        "clauses": _put(store, extraction.canonical, "application/json"),
        "lineage": _put(store, clause_lineage.to_bytes(), "application/json"),
        **_evidence(store, capture),
    }
    info = ExtractionInfo(
        method=extraction.method,
        extractor=EXTRACTOR,
        select=tuple(target.select),
        remove=tuple(target.remove),
        clause_count=len(extraction.clauses),
        part=fragment_of(target.ref.url),
    )
    return Manifest(
        document=target.ref,
        version=head.version + 1 if head else 1,
        previous=head.manifest if head else None,
        captured_at=capture.captured_at,
        source=capture.source,
        request_url=capture.url,
        final_url=capture.final_url,
        http_status=capture.status,
        http_headers=capture.headers,
        browser=capture.browser,
        timings_ms=capture.timings_ms,
        blobs=blobs,
        content_hash=extraction.content_hash,
        substance_hash=extraction.substance_hash,
        change_class=change_class,
        settled=capture.settled,
        extraction=info,
        language=language,
    )


def _evidence(store: Store, capture: Capture) -> dict[str, BlobRef]:
    """The capture's own blobs: HTTP body, rendered DOM and screenshot (when it has them)."""
    blobs = {"response": _put(store, capture.body, capture.content_type or "text/html")}
    if capture.dom is not None:
        blobs["dom"] = _put(store, capture.dom, DOM_CONTENT_TYPE)
    if capture.screenshot is not None:
        blobs["screenshot"] = _put(store, capture.screenshot, "image/png")
    return blobs


def _put(store: Store, data: bytes, media_type: str) -> BlobRef:
    return BlobRef(sha256=store.put_blob(data), size=len(data), media_type=media_type)
