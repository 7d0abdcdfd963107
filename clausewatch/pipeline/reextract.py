"""Re-extraction: rebuild a document's history with today's extractors, from stored captures.

Every version keeps its raw evidence (HTTP body, rendered DOM), so an improvement to
extraction can be applied to the past without capturing again. For each version, oldest
first, the stored DOM (else the HTTP body) is extracted again with the selectors recorded in
its manifest. Versions whose new text equals the version before them are merged into it; the
others become a new hash chain whose manifests name the version they were re-extracted from
(``reextracted_from``). The head then moves to the new chain by compare-and-swap.

Nothing is deleted: the old manifests stay in the store (``verify`` counts them as
unreferenced), and no change event is raised for re-extracted versions. Before the head moves,
a write-once record ``reextracts/<document>/<new head>.json`` names the head it replaces, so
that a seal made before the re-extraction still verifies (see :mod:`clausewatch.evidence.seal`).
"""

from __future__ import annotations

from dataclasses import dataclass

from clausewatch.changes import lineage
from clausewatch.changes.classify import Verdict, judge, remembered
from clausewatch.changes.diff import diff_clauses
from clausewatch.changes.lineage import lineage_of
from clausewatch.errors import ConflictError, ExtractionError, InputError
from clausewatch.evidence.seal import record_reextract
from clausewatch.extractors import Extraction, extract, parse_canonical
from clausewatch.extractors.part import fragment_of
from clausewatch.pipeline.record import DOM_CONTENT_TYPE, EXTRACTOR, ensure_head_event
from clausewatch.storage.models import BlobRef, ExtractionInfo, Head, Manifest
from clausewatch.storage.store import Store


@dataclass(frozen=True)
class Rebuilt:
    document: str
    versions_before: int
    versions_after: int
    merged: int
    failed: int
    head: str | None

    def as_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def reextract(store: Store, document: str) -> Rebuilt:
    """Rebuild one document's history; raises ConflictError if its head moved meanwhile."""
    head, token = store.head(document)
    if head is None:
        raise InputError(f"no document {document!r} in {store.url}")
    ensure_head_event(store, head)  # the new head names no event: log the old one's first
    old_chain = list(reversed(list(store.chain(document))))
    new_head: Head | None = None
    new_manifest: Manifest | None = None
    merged = failed = 0
    for old_hash, old in old_chain:
        try:
            extraction = _extract(store, old)
        except ExtractionError:
            failed += 1  # keep going: the version's evidence stays in the old chain
            continue
        if new_head is not None and extraction.content_hash == new_head.content_hash:
            merged += 1
            continue
        new_hash, new_manifest, verdict = _version(
            store, old_hash, old, extraction, new_head, new_manifest
        )
        new_head = Head(
            document=document,
            manifest=new_hash,
            content_hash=extraction.content_hash,
            substance_hash=extraction.substance_hash,
            change_class=new_manifest.change_class,
            version=new_manifest.version,
            captured_at=old.captured_at,
            event_id=None,
            **remembered(new_head, verdict, extraction.substance_hash),
        )
    if new_head is None:
        raise ExtractionError(f"{document}: no stored version could be re-extracted")
    record_reextract(store, document, new_head.manifest, head.manifest)  # seals follow it
    if not store.swap_head(new_head, token):
        raise ConflictError(f"{document}: the head moved while re-extracting; run again")
    versions_after = new_head.version
    return Rebuilt(document, len(old_chain), versions_after, merged, failed, new_head.manifest)


def _extract(store: Store, manifest: Manifest) -> Extraction:
    page, content_type = stored_page(store, manifest)
    info = manifest.extraction
    return extract(
        page,
        select=info.select,
        remove=info.remove,
        content_type=content_type,
        part=fragment_of(manifest.document.url),
    )


def stored_page(store: Store, manifest: Manifest) -> tuple[bytes, str | None]:
    """The page a version was extracted from (its rendered DOM, else its HTTP body), read
    and verified from the store, and its content type."""
    if "dom" in manifest.blobs:
        return store.get_blob(manifest.blobs["dom"].sha256), DOM_CONTENT_TYPE
    page = store.get_blob(manifest.blobs["response"].sha256)
    return page, manifest.http_headers.get("content-type")


def _version(
    store: Store,
    old_hash: str,
    old: Manifest,
    extraction: Extraction,
    head: Head | None,
    previous: Manifest | None,
) -> tuple[str, Manifest, Verdict]:
    old_clauses = diff = None
    if previous is not None and head is not None:
        old_clauses = parse_canonical(store.get_blob(previous.content_hash))
        diff = diff_clauses(old_clauses, extraction.clauses)
        ids = lineage.follow(lineage_of(store, previous), diff, len(extraction.clauses))
    else:
        ids = lineage.first(len(extraction.clauses))
    verdict = judge(head, old_clauses, extraction.clauses, extraction.substance_hash, diff)
    blobs = dict(old.blobs)
    blobs["clauses"] = _put(store, extraction.canonical)
    blobs["lineage"] = _put(store, ids.to_bytes())
    manifest = old.model_copy(
        update={
            "version": head.version + 1 if head else 1,
            "previous": head.manifest if head else None,
            "blobs": blobs,
            "content_hash": extraction.content_hash,
            "substance_hash": extraction.substance_hash,
            "change_class": verdict.change_class,
            "language": verdict.language,
            "reextracted_from": old_hash,
            "extraction": ExtractionInfo(
                method=extraction.method,
                extractor=EXTRACTOR,
                select=old.extraction.select,
                remove=old.extraction.remove,
                clause_count=len(extraction.clauses),
                part=fragment_of(old.document.url),
            ),
        }
    )
    manifest = Manifest.model_validate(manifest.model_dump())  # re-validate the copy
    return store.put_manifest(manifest), manifest, verdict


def _put(store: Store, data: bytes) -> BlobRef:
    return BlobRef(sha256=store.put_blob(data), size=len(data), media_type="application/json")
