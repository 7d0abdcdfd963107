"""Reading a document's history from the store: versions, checks, diffs between versions."""

from __future__ import annotations

from typing import Any

from clausewatch.changes.diff import ClauseDiff, diff_clauses
from clausewatch.changes.lineage import Lineage, lineage_of
from clausewatch.errors import InputError
from clausewatch.extractors import Clause, parse_canonical
from clausewatch.storage.models import Manifest
from clausewatch.storage.store import Store
from clausewatch.times import utc_z
from clausewatch.wayback.archive import attestation

Version = tuple[str, Manifest]


def versions(store: Store, document: str) -> list[Version]:
    """(manifest hash, manifest), newest first; InputError if the document is unknown."""
    chain = list(store.chain(document))
    if not chain:
        known = ", ".join(store.documents()[:10]) or "none"
        raise InputError(f"no document {document!r} in {store.url} (documents: {known})")
    return chain


def find_version(store: Store, document: str, ref: str | None) -> Version:
    """The version named by number or manifest-hash prefix; the latest when ``ref`` is None."""
    chain = versions(store, document)
    if ref is None:
        return chain[0]
    for h, m in chain:
        if (ref.isdigit() and m.version == int(ref)) or (
            len(ref) >= 6 and h.startswith(ref.lower())
        ):
            return h, m
    raise InputError(f"{document} has no version {ref!r}: see `clausewatch history {document}`")


def clauses_of(store: Store, manifest: Manifest) -> tuple[Clause, ...]:
    return parse_canonical(store.get_blob(manifest.content_hash))


def diff_versions(
    store: Store, document: str, old: str | None, new: str | None
) -> tuple[Version, Version, ClauseDiff, tuple[Lineage | None, Lineage | None]]:
    chain = versions(store, document)
    newer = find_version(store, document, new)
    if old is None:
        index = [h for h, _ in chain].index(newer[0])
        if index + 1 >= len(chain):
            raise InputError(
                f"{document} version {newer[1].version} is the first: name two versions"
            )
        older = chain[index + 1]
    else:
        older = find_version(store, document, old)
    diff = diff_clauses(clauses_of(store, older[1]), clauses_of(store, newer[1]))
    return older, newer, diff, (lineage_of(store, older[1]), lineage_of(store, newer[1]))


def document_history(store: Store, document: str) -> dict[str, Any]:
    chain = versions(store, document)
    checks = list(store.checks(document))
    seen = [m.captured_at for _, m in chain] + [c.checked_at for c in checks]
    return {
        "document": chain[0][1].document.model_dump(mode="json"),
        "first_seen": utc_z(min(seen), "seconds"),
        "last_seen": utc_z(max(seen), "seconds"),
        "versions": [
            {
                "version": m.version,
                "captured_at": utc_z(m.captured_at, "seconds"),
                "manifest": h,
                "content_hash": m.content_hash,
                "clauses": m.extraction.clause_count,
                "checks": sum(1 for c in checks if c.manifest == h),
                "archive_url": (att.archive_url if (att := attestation(store, h)) else None),
            }
            for h, m in chain
        ],
        "changes": len(chain) - 1,
        "checks": len(checks),
    }


def history_text(document: str, data: dict[str, Any]) -> str:
    lines = [
        f"{document}: {data['document'].get('title') or ''} <{data['document']['url']}>",
        f"first seen {data['first_seen']}, last seen {data['last_seen']}, "
        f"{data['changes']} change(s), {data['checks']} unchanged check(s)",
        "",
        f"{'version':>7}  {'captured at (UTC)':20s}  {'manifest':12s}  {'content':12s}  clauses  checks"
        "  Wayback",
    ]
    for v in data["versions"]:
        lines.append(
            f"{v['version']:>7}  {v['captured_at']:20s}  {v['manifest'][:12]}  {v['content_hash'][:12]}"
            f"  {v['clauses']:>7}  {v['checks']:>6}  {v['archive_url'] or ''}"
        )
    return "\n".join(lines)


def describe(h: str, m: Manifest) -> str:
    doc = m.document
    lines = [
        f"{doc.id}: {doc.title} ({doc.entity}, {doc.type})".replace(" (, )", ""),
        f"  url           {doc.url}",
        f"  version       {m.version}, captured {utc_z(m.captured_at, 'seconds')} ({m.source})",
        f"  manifest      {h}",
        f"  content hash  {m.content_hash} ({m.extraction.clause_count} clauses, {m.extraction.method})",
    ]
    lines += [
        f"  {name:13s} {ref.sha256} ({ref.size} bytes, {ref.media_type})"
        for name, ref in m.blobs.items()
    ]
    return "\n".join(lines)
