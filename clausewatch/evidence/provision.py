"""A provision's timeline: one clause of a document followed through every version.

A clause keeps its lineage id (``c12``: :mod:`changes.lineage`) however the document around it
is edited or reordered. The timeline lists each wording the clause had, oldest first: the
version and capture it first appeared in (with that version's text and snapshot hashes,
verified by reading them back), the versions it lasted through, and the word diff from the
wording before. Then what a reader of the seed record expects of a provision: first and last
seen, months monitored, number of changes, stability, and whether it is still in the latest
version (or in which version it was removed).

Every version's text is read from the store (its hash checked on read), so the timeline is
evidence, not a cache.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clausewatch.changes.diff import marked_text, ops_json, word_ops
from clausewatch.changes.lineage import lineage_of
from clausewatch.errors import InputError
from clausewatch.evidence.cite import VOLATILE_CHANGES
from clausewatch.evidence.history import Version, clauses_of, versions
from clausewatch.markdown import md as md_escape
from clausewatch.markdown import printable
from clausewatch.storage.store import Store
from clausewatch.times import utc_z


@dataclass
class _Wording:
    text: str
    kind: str
    path: tuple[str, ...]
    first: Version
    last: Version
    versions: int = 1


@dataclass
class _Walk:
    wordings: list[_Wording] = field(default_factory=list)
    removed_in: Version | None = None  # the version after its last one, when it is gone
    restored: int = 0  # times it came back after a removal


def normalise_clause_id(document: str, clause: str) -> str:
    """``c12`` from ``c12`` or from the clause record id ``DOCUMENT#c12`` that ``cite`` prints.

    >>> normalise_clause_id("acme-terms", "acme-terms#c12")
    'c12'
    """
    given = clause.strip()
    prefix = f"{document}#"
    if given.startswith(prefix):
        given = given[len(prefix) :]
    if not given:
        raise InputError(f"no clause id given for {document}: ids look like c1, c2, ...")
    return given


def timeline(store: Store, document: str, clause: str) -> dict[str, Any]:
    """The timeline record of one clause (see the module's docstring); InputError naming the
    document and the clause when the document has no such clause in any version."""
    ident = normalise_clause_id(document, clause)
    chain = versions(store, document)  # newest first
    walk = _walk(store, list(reversed(chain)), ident)
    if not walk.wordings:
        raise InputError(
            f"{document} has no clause {ident!r} in any of its {len(chain)} version(s): clause "
            f"ids are c1, c2, ... (`clausewatch cite {document} --format json` lists the "
            "current ones, the viewer's diff pages name every changed one)"
        )
    head_hash = chain[0][0]
    last_holder = walk.wordings[-1].last
    last_seen = _last_seen(store, document, last_holder)
    first_seen = walk.wordings[0].first[1].captured_at
    changes = len(walk.wordings) - 1
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
        "versions_seen": sum(w.versions for w in walk.wordings),
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
        if present and walk.wordings[-1].text == c.text:
            walk.wordings[-1].last = (h, m)
            walk.wordings[-1].versions += 1
        else:
            if not present and walk.wordings:
                walk.restored += 1
            walk.wordings.append(_Wording(c.text, c.kind, c.path, (h, m), (h, m)))
        walk.removed_in = None
        present = True
    return walk


def _last_seen(store: Store, document: str, holder: Version) -> datetime:
    h, m = holder
    checks = [c.checked_at for c in store.checks(document) if c.manifest == h]
    return max([m.captured_at, *checks])


def stability(changes: int) -> str:
    if changes == 0:
        return "stable"
    return "volatile" if changes >= VOLATILE_CHANGES else "changed"


def _wording_record(store: Store, wordings: list[_Wording], i: int) -> dict[str, Any]:
    w = wordings[i]
    h, m = w.first
    snapshot = m.blobs.get("dom") or m.blobs["response"]
    store.get_blob(snapshot.sha256)  # raises IntegrityError if the snapshot's bytes changed
    ops = word_ops(wordings[i - 1].text, w.text) if i else None
    return {
        "version": m.version,
        "until_version": w.last[1].version,
        "versions": w.versions,
        "captured_at": utc_z(m.captured_at, "seconds"),
        "manifest_sha256": h,
        "text_sha256": m.content_hash,
        "snapshot_sha256": snapshot.sha256,
        "hash_verified": True,
        "kind": w.kind,
        "path": list(w.path),
        "text": w.text,
        "word_diff": ops_json(ops),
        "marked": marked_text(ops) if ops is not None else None,
    }


def render(record: dict[str, Any], fmt: str) -> str:
    """The record as ``json``, ``md`` (Markdown) or ``text``."""
    if fmt == "json":
        return json.dumps(record, indent=2, ensure_ascii=False) + "\n"
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
            f"{_span(w)}  captured {w['captured_at']}  text {w['text_sha256'][:16]}  "
            f"snapshot {w['snapshot_sha256'][:16]}  verified"
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
        out.append(f"## {_span(w)}, captured {w['captured_at']}")
        out.append("")
        out.append(
            f"text `{w['text_sha256']}`, snapshot `{w['snapshot_sha256']}`, manifest "
            f"`{w['manifest_sha256']}` (verified)"
        )
        if w["path"]:
            out.append("")
            out.append("in " + md_escape(" > ".join(w["path"])))
        out.append("")
        out.append(md_escape(w["marked"] if w["marked"] is not None else w["text"]))
        out.append("")
    return "\n".join(out)
