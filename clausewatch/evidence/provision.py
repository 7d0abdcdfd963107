"""A provision's timeline: one clause of a document followed through every version.

A clause keeps its lineage id (``c12``: :mod:`changes.lineage`) however the document around it
is edited or reordered. The timeline lists each wording the clause had, oldest first: the
version and capture it first appeared in (with that version's text and snapshot hashes,
verified by reading them back), the versions it lasted through, and the word diff from the
wording before. Then what a reader of the seed record expects of a provision: first and last
seen, months monitored, number of changes, stability, and whether it is still in the latest
version (or in which version it was removed). A new entry starts when the words change
(``reworded``, counted as a change), when only their form does (``cosmetic``: case,
punctuation; not counted) or when the clause moves under other headings (``moved``).

Every version's text and snapshot are read from the store (their hashes checked on read), and
the check records that make "last seen" are re-hashed too, so the timeline is evidence, not a
cache.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clausewatch.changes.diff import marked_text, ops_json, word_ops
from clausewatch.changes.lineage import lineage_of
from clausewatch.errors import InputError
from clausewatch.evidence.cite import VOLATILE_CHANGES
from clausewatch.evidence.history import Version, clauses_of, versions
from clausewatch.extractors import Clause, substance_tokens
from clausewatch.markdown import md as md_escape
from clausewatch.markdown import printable
from clausewatch.storage.store import Store
from clausewatch.times import utc_z


@dataclass
class _Wording:
    text: str
    kind: str
    path: tuple[str, ...]
    change: str  # first, reworded, cosmetic (same words, other form), moved (other headings)
    held: list[Version]  # every version with this wording at this place, oldest first


@dataclass
class _Walk:
    wordings: list[_Wording] = field(default_factory=list)
    removed_in: Version | None = None  # the version after its last one, when it is gone


def normalise_clause_id(document: str, clause: str) -> str:
    """``c12`` from ``c12``, ``C12``, ``c012`` or the clause record id ``DOCUMENT#c12`` that
    ``cite`` prints.

    >>> normalise_clause_id("acme-terms", "acme-terms#C012")
    'c12'
    """
    given = clause.strip()
    prefix = f"{document}#"
    if given.startswith(prefix):
        given = given[len(prefix) :]
    if not given:
        raise InputError(f"no clause id given for {document}: ids look like c1, c2, ...")
    lineage = _LINEAGE_ID.fullmatch(given)
    return f"c{int(lineage[1])}" if lineage else given


_LINEAGE_ID = re.compile(r"[cC]0*(\d{1,9})")
SHOWN_ID_CHARS = 80  # an id longer than this is cut in messages


def timeline(store: Store, document: str, clause: str) -> dict[str, Any]:
    """The timeline record of one clause (see the module's docstring); InputError naming the
    document and the clause when the document has no such clause in any version."""
    ident = normalise_clause_id(document, clause)
    chain = versions(store, document)  # newest first
    walk = _walk(store, list(reversed(chain)), ident)
    if not walk.wordings:
        shown = ident if len(ident) <= SHOWN_ID_CHARS else ident[:SHOWN_ID_CHARS] + "..."
        raise InputError(
            f"{document} has no clause {shown!r} in any of its {len(chain)} version(s): clause "
            f"ids are c1, c2, ... (`clausewatch cite {document} --store {store.url} --format "
            "json` lists the current ones, the viewer's diff pages name every changed one)"
        )
    head_hash = chain[0][0]
    last_holder = walk.wordings[-1].held[-1]
    last_seen = _last_seen(store, document, last_holder)
    first_seen = walk.wordings[0].held[0][1].captured_at
    changes = sum(1 for w in walk.wordings if w.change == "reworded")
    months = (last_seen.year - first_seen.year) * 12 + last_seen.month - first_seen.month
    latest = chain[0][1]
    return {
        "record_id": f"{document}#{ident}",
        "document": {
            "id": document,
            "title": latest.document.title,
            "entity": latest.document.entity,
            "type": latest.document.type,
        },
        "source_url": latest.document.url,
        "clause_id": ident,
        "present": last_holder[0] == head_hash,
        "removed_in_version": walk.removed_in[1].version if walk.removed_in else None,
        "first_seen": utc_z(first_seen, "seconds"),
        "last_seen": utc_z(last_seen, "seconds"),
        "months_monitored": max(0, months),
        "changes": changes,
        "stability": stability(changes),
        "versions_seen": sum(len(w.held) for w in walk.wordings),
        "wordings": [_wording_record(store, walk.wordings, i) for i in range(len(walk.wordings))],
    }


def _walk(store: Store, oldest_first: list[Version], ident: str) -> _Walk:
    walk = _Walk()
    present = False
    for h, m in oldest_first:
        ids = lineage_of(store, m)
        clauses = clauses_of(store, m)  # read back: the text's hash is checked
        index = ids.ids.index(ident) if ids is not None and ident in ids.ids else None
        if index is None or index >= len(clauses):
            if present:
                walk.removed_in = (h, m)
            present = False
            continue
        c = clauses[index]
        last = walk.wordings[-1] if walk.wordings else None
        if present and last is not None and (last.text, last.path) == (c.text, c.path):
            last.held.append((h, m))
        else:
            walk.wordings.append(_Wording(c.text, c.kind, c.path, _change(last, c), [(h, m)]))
        walk.removed_in = None
        present = True
    return walk


def _change(last: _Wording | None, clause: Clause) -> str:
    """What a new entry of the timeline is: the first wording, a rewording, the same words in
    another form (:func:`extractors.substance_tokens` equal), or the same text moved."""
    if last is None:
        return "first"
    if last.text == clause.text:
        return "moved"
    before = substance_tokens([Clause("paragraph", last.text)])
    if before == substance_tokens([Clause("paragraph", clause.text)]):
        return "cosmetic"
    return "reworded"


def _last_seen(store: Store, document: str, holder: Version) -> datetime:
    h, m = holder
    checks = [c.checked_at for c in store.verified_checks(document) if c.manifest == h]
    return max([m.captured_at, *checks])


def stability(changes: int) -> str:
    if changes == 0:
        return "stable"
    return "volatile" if changes >= VOLATILE_CHANGES else "changed"


def _wording_record(store: Store, wordings: list[_Wording], i: int) -> dict[str, Any]:
    w = wordings[i]
    held = []
    for h, m in w.held:
        snapshot = m.blobs.get("dom") or m.blobs["response"]
        store.get_blob(snapshot.sha256)  # raises IntegrityError if the snapshot's bytes changed
        held.append(
            {
                "version": m.version,
                "captured_at": utc_z(m.captured_at, "seconds"),
                "manifest_sha256": h,
                "text_sha256": m.content_hash,  # re-hashed when the version's text was read
                "snapshot_sha256": snapshot.sha256,
            }
        )
    ops = word_ops(wordings[i - 1].text, w.text) if i and w.change != "moved" else None
    first = held[0]
    return {
        "change": w.change,
        "version": first["version"],
        "until_version": held[-1]["version"],
        "version_count": len(held),
        "captured_at": first["captured_at"],
        "manifest_sha256": first["manifest_sha256"],
        "text_sha256": first["text_sha256"],
        "snapshot_sha256": first["snapshot_sha256"],
        "hash_verified": True,  # the text and snapshot of every version held (below)
        "versions": held,
        "kind": w.kind,
        "path": list(w.path),
        "text": w.text,
        "word_diff": ops_json(ops),
        "marked": marked_text(ops) if ops is not None else None,
    }


def render(record: dict[str, Any], fmt: str) -> str:
    """The record as ``json``, ``md`` (Markdown) or ``text``."""
    if fmt == "json":
        # \u escapes for everything outside ASCII: a bidi override or a control character in
        # a page's text or a catalog title never reaches a terminal that shows the JSON
        return json.dumps(record, indent=2, ensure_ascii=True) + "\n"
    if fmt == "md":
        return _markdown(record)
    return _text(record)


def _summary(record: dict[str, Any]) -> str:
    where = (
        "in the latest version"
        if record["present"]
        else f"removed in version {record['removed_in_version']}"
    )
    return (
        f"{record['changes']} change(s), {record['stability']}, first seen "
        f"{record['first_seen']}, last seen {record['last_seen']}, "
        f"{record['months_monitored']} month(s) monitored, {where}"
    )


def _span(w: dict[str, Any]) -> str:
    if w["until_version"] == w["version"]:
        return f"version {w['version']}"
    return f"versions {w['version']}-{w['until_version']}"


def _text(record: dict[str, Any]) -> str:
    doc = record["document"]
    lines = [
        f"{record['record_id']}  {doc['title'] or doc['id']} ({doc['entity'] or 'no entity'})",
        _summary(record),
        "",
    ]
    # page text is untrusted: no control character reaches the terminal
    for w in record["wordings"]:
        lines.append(
            f"{_span(w)}  {w['change']}  captured {w['captured_at']}  text "
            f"{w['text_sha256'][:16]}  snapshot {w['snapshot_sha256'][:16]}  "
            f"({w['version_count']} version(s), each re-hashed)"
        )
        if w["path"]:
            lines.append("  in " + " > ".join(w["path"]))
        lines.append("  " + (w["marked"] if w["marked"] is not None else w["text"]))
        lines.append("")
    return "\n".join(printable(line) for line in lines) + "\n"


def _markdown(record: dict[str, Any]) -> str:
    doc = record["document"]
    out = [
        f"# {md_escape(record['record_id'])}",
        "",
        f"{md_escape(doc['title'] or doc['id'])} ({md_escape(doc['entity'] or 'no entity')}): "
        f"{md_escape(_summary(record))}",
        "",
    ]
    for w in record["wordings"]:
        out.append(f"## {_span(w)}, {w['change']}, captured {w['captured_at']}")
        out.append("")
        out.append(
            f"text `{w['text_sha256']}`, snapshot `{w['snapshot_sha256']}`, manifest "
            f"`{w['manifest_sha256']}` (the text and snapshot of each of its {w['version_count']} "
            "version(s) re-hashed)"
        )
        if w["path"]:
            out.append("")
            out.append("in " + md_escape(" > ".join(w["path"])))
        out.append("")
        out.append(md_escape(w["marked"] if w["marked"] is not None else w["text"]))
        out.append("")
    return "\n".join(out)
