"""Citation records: what a document said at a time, with the proof an auditor needs.

A record names the document (entity, title, type, source URL), the version (a stable record
id, the captured time in UTC, the manifest hash), the SHA-256 of the snapshot (the rendered
DOM, else the HTTP body) and of the extracted text (the content hash), the Wayback copy when
there is one, and when the hashes were verified. Per clause: a stable clause record id (the
clause's lineage id), when it was first and last seen, months monitored, how many times its
text changed, and its stability.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clausewatch.changes.lineage import Lineage, lineage_of
from clausewatch.errors import InputError
from clausewatch.evidence.history import Version, clauses_of, versions
from clausewatch.storage.store import Store
from clausewatch.times import utc_z
from clausewatch.urls import bad_character, percent_encode_unsafe
from clausewatch.wayback.archive import attestation

VOLATILE_CHANGES = 3  # a clause changed this often is "volatile"


@dataclass
class _ClauseLife:
    text: str
    first_seen: datetime
    last_seen: datetime
    changes: int = 0


def pick(store: Store, document: str, at: str | None) -> Version:
    """The version named by number or manifest-hash prefix, or in force at an ISO time."""
    chain = versions(store, document)
    if at is None:
        return chain[0]
    for h, m in chain:
        if (at.isdigit() and m.version == int(at)) or (len(at) >= 6 and h.startswith(at.lower())):
            return h, m
    try:
        when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"--at {at!r}: give a version number, a manifest hash prefix or an ISO time"
        ) from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    for h, m in chain:  # newest first: the first one captured by then was in force
        if m.captured_at <= when:
            return h, m
    raise InputError(
        f"{document} was first captured at {chain[-1][1].captured_at.isoformat()}, after {at}"
    )


def citation(store: Store, document: str, at: str | None = None) -> dict[str, Any]:
    chain = versions(store, document)
    h, m = pick(store, document, at)
    lives = _clause_lives(store, list(reversed(chain)), stop_at=h)
    checks = [c.checked_at for c in store.checks(document) if c.manifest == h]
    snapshot = m.blobs.get("dom") or m.blobs["response"]
    store.get_blob(snapshot.sha256)  # raises IntegrityError if the bytes changed
    store.get_blob(m.content_hash)
    verified_at = datetime.now(UTC)
    wayback = attestation(store, h)
    ids = lineage_of(store, m)
    clauses = clauses_of(store, m)
    last_seen = max([m.captured_at, *checks])
    return {
        "record_id": f"{document}@{h[:16]}",
        "entity": m.document.entity,
        "document": {"id": document, "title": m.document.title, "type": m.document.type},
        "source_url": m.document.url,
        "captured_at": utc_z(m.captured_at, "seconds"),
        "accessed_at": utc_z(m.captured_at, "seconds"),
        "version": m.version,
        "manifest_sha256": h,
        "snapshot_sha256": snapshot.sha256,
        "text_sha256": m.content_hash,
        "hash_verified": True,
        "verified_at": utc_z(verified_at, "seconds"),
        "wayback_url": wayback.archive_url if wayback else None,
        "last_seen": utc_z(last_seen, "seconds"),
        "clauses": [
            _clause_record(document, ids, i, c.text, lives, last_seen if h == chain[0][0] else None)
            for i, c in enumerate(clauses)
        ],
    }


def _clause_lives(
    store: Store, oldest_first: list[Version], stop_at: str
) -> dict[str, _ClauseLife]:
    lives: dict[str, _ClauseLife] = {}
    for h, m in oldest_first:
        ids = lineage_of(store, m)
        for i, clause in enumerate(clauses_of(store, m)):
            ident = ids.ids[i] if ids and i < len(ids.ids) else f"#{i}"
            life = lives.get(ident)
            if life is None:
                lives[ident] = _ClauseLife(clause.text, m.captured_at, m.captured_at)
                continue
            if life.text != clause.text:
                life.changes += 1
                life.text = clause.text
            life.last_seen = m.captured_at
        if h == stop_at:
            break
    return lives


def _clause_record(
    document: str,
    ids: Lineage | None,
    index: int,
    text: str,
    lives: dict[str, _ClauseLife],
    head_seen: datetime | None,
) -> dict[str, Any]:
    ident = ids.ids[index] if ids and index < len(ids.ids) else f"#{index}"
    life = lives[ident]
    last = head_seen or life.last_seen
    months = (last.year - life.first_seen.year) * 12 + last.month - life.first_seen.month
    stability = (
        "stable"
        if life.changes == 0
        else ("volatile" if life.changes >= VOLATILE_CHANGES else "changed")
    )
    return {
        "clause_record_id": f"{document}#{ident}",
        "text": text,
        "first_seen": utc_z(life.first_seen, "seconds"),
        "last_seen": utc_z(last, "seconds"),
        "months_monitored": max(0, months),
        "changes": life.changes,
        "stability": stability,
    }


_LINKABLE = re.compile(r"https?://[^\s<>`\\\x00-\x1f\x7f]+")


def _autolink(url: str) -> str:
    """An http(s) URL as a Markdown autolink; anything else (a ``javascript:`` URL stored by an
    older import, a URL with spaces or angle brackets) shown literally, never as a link."""
    from clausewatch.markdown import code

    safe = _LINKABLE.fullmatch(url) and bad_character(url) is None  # no C1 control, no bidi
    return f"<{url}>" if safe else code(url)


def markdown(record: dict[str, Any]) -> str:
    from clausewatch.markdown import md

    doc = record["document"]
    lines = [
        f"**{md(record['entity'])}, {md(doc['title'] or doc['id'])}** ({md(doc['type'])})",
        "",
        f"- Record: `{record['record_id']}` (version {record['version']})",
        f"- Source: {_autolink(record['source_url'])}",
        f"- Captured: {record['captured_at']} (UTC)",
        f"- SHA-256 of the snapshot: `{record['snapshot_sha256']}`",
        f"- SHA-256 of the extracted text: `{record['text_sha256']}`",
        f"- Hash verified: {'yes' if record['hash_verified'] else 'NO'} at {record['verified_at']}",
        f"- Wayback Machine: {_autolink(record['wayback_url']) if record['wayback_url'] else 'not archived'}",
        f"- Last seen: {record['last_seen']}",
        "",
        "| clause | first seen | last seen | months | changes | stability |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{c['clause_record_id']}` | {c['first_seen'][:10]} | {c['last_seen'][:10]} | "
        f"{c['months_monitored']} | {c['changes']} | {c['stability']} |"
        for c in record["clauses"]
    ]
    return "\n".join(lines) + "\n"


# BibTeX counts every brace, escaped or not, to find where a field ends: `\{` would still
# close it, so braces and backslashes become brace-free commands (`\textbraceleft{}`)
_BIBTEX_SPECIAL = re.compile(r"[{}\\%&$#_^~]")
_BIBTEX_ESCAPE = {
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "\\": r"\textbackslash{}",
    "^": r"\^{}",
    "~": r"\~{}",
}


def _bibtex_text(value: str) -> str:
    """Untrusted text as a BibTeX field value: printable, its braces balanced whatever it holds."""
    from clausewatch.markdown import printable

    return _BIBTEX_SPECIAL.sub(
        lambda m: _BIBTEX_ESCAPE.get(m.group(), "\\" + m.group()), printable(value)
    )


def bibtex(record: dict[str, Any]) -> str:
    key = re.sub(r"[^A-Za-z0-9]+", "-", record["record_id"]).strip("-")
    doc = record["document"]
    note = f"SHA-256 {record['snapshot_sha256']}; text SHA-256 {record['text_sha256']}"
    if record["wayback_url"]:
        note += f"; archived at {record['wayback_url']}"
    # a URL is percent-encoded where it could break out of \url{...} or the field: braces,
    # backslashes, control characters and spaces (an older import stored such URLs)
    url = percent_encode_unsafe(record["source_url"])
    return (
        f"@misc{{{key},\n"
        f"  author = {{{_bibtex_text(record['entity'])}}},\n"
        f"  title = {{{_bibtex_text(doc['title'] or doc['id'])}}},\n"
        f"  howpublished = {{\\url{{{url}}}}},\n"
        f"  year = {{{record['captured_at'][:4]}}},\n"
        f"  urldate = {{{record['captured_at'][:10]}}},\n"
        f"  note = {{{_bibtex_text(note)}}}\n"
        "}\n"
    )


def render(record: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    if fmt == "bibtex":
        return bibtex(record)
    if fmt == "md":
        return markdown(record)
    raise InputError(f"--format {fmt!r}: use md, json or bibtex")
