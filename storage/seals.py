"""Verifying seals, and the records seals and re-extraction keep in a store.

A seal (made by :mod:`clausewatch.evidence.seal`) lists every document with the manifest its head
named at sealing time, and a Merkle root over those leaves (RFC 6962 style: leaf =
SHA-256(0x00 || document 0x1f manifest), node = SHA-256(0x01 || left || right)); it names the
previous seal's hash. :func:`check` (run by ``clausewatch verify``) checks that the seals form
an unbroken chain, that each root matches its leaves, and that every document of the latest
seal still exists and still reaches the sealed manifest from its head.

Re-extraction is the one legitimate way a head leaves its history: it moves the head to a new
chain whose manifests name the versions they were re-extracted from (``reextracted_from``),
after writing a write-once record naming the head it replaces. From a history whose versions
were re-extracted, the check goes on to the replaced head's history (named by the record, else
by the newest re-extracted version's ``reextracted_from``), but only if the new chain is
derived from it: every new version names a version of that history, in order, and keeps its
evidence (captured time, URLs, HTTP status and headers, and every blob but the extracted
clauses and their lineage). A head moved for any other reason, or a record the manifests do
not bear out, still fails.
"""

from __future__ import annotations

import hashlib
from typing import Any

from clausewatch.errors import ClausewatchError, StoreError
from clausewatch.storage import layout
from clausewatch.storage.models import SHA256, Manifest, load_json
from clausewatch.storage.store import Store, sha256

SEAL_FORMAT = "clausewatch.seal/1"
REEXTRACT_FORMAT = "clausewatch.reextract/1"
# what re-extraction replaces in a manifest; every other field is evidence and is kept
_REEXTRACTED_FIELDS = frozenset(
    {
        "version",
        "previous",
        "blobs",
        "content_hash",
        "substance_hash",
        "change_class",
        "reextracted_from",
        "extraction",
    }
)
_REEXTRACTED_BLOBS = frozenset({"clauses", "lineage"})


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
    keys = list(store.backend.list(layout.SEALS))
    if not keys:
        return None
    record = seal_record(store.backend.read(keys[-1]))
    if record is None:
        raise StoreError(
            f"seal {keys[-1]} in {store.url} is not a seal (truncated or damaged): "
            "run `clausewatch verify`"
        )
    return keys[-1], record


def check(store: Store) -> list[tuple[str, str]]:
    """Problems with the seals, as (key, what): a broken chain, a wrong root, lost history."""
    problems: list[tuple[str, str]] = []
    previous_hash: str | None = None
    last: dict[str, Any] | None = None
    for key in store.backend.list(layout.SEALS):
        try:
            data = store.backend.read(key)
        except ClausewatchError as exc:
            problems.append((key, f"cannot read the seal: {exc}"))
            continue
        record = seal_record(data)
        if record is None:
            problems.append((key, "not a seal (truncated or damaged)"))
            previous_hash = sha256(data)
            continue
        if record.get("previous") != previous_hash:
            problems.append(
                (key, "the seal chain is broken: a seal before this one is missing or altered")
            )
        leaves = [(doc, manifest) for doc, manifest in record["leaves"]]
        if merkle_root(leaves) != record.get("merkle_root"):
            problems.append((key, "the Merkle root does not match the sealed documents"))
        previous_hash, last = sha256(data), record
    for document, manifest in (last or {}).get("leaves", []):
        if not _still_sealed(store, document, manifest, problems):
            problems.append(
                (
                    layout.head(document),
                    f"sealed version {manifest[:12]} of {document} is no longer in its history",
                )
            )
    return problems


Chain = list[tuple[str, Manifest]]


def _still_sealed(
    store: Store, document: str, sealed: str, problems: list[tuple[str, str]]
) -> bool:
    """Whether the sealed manifest is in the document's history, or in a history that
    re-extraction replaced (followed back through every re-extraction since the seal)."""
    try:
        head, _ = store.head(document)
    except ClausewatchError:  # reported by verify's own chain walk
        return False
    todo = [head.manifest] if head else []
    seen: set[str] = set()
    while todo:
        top = todo.pop()
        if top in seen:
            continue
        seen.add(top)
        chain = _chain_from(store, document, top)
        if chain is None:
            continue
        if any(h == sealed for h, _ in chain):
            return True
        replaced = _replaced(store, document, chain, problems)
        if replaced is not None:
            todo.append(replaced)
    return False


def _chain_from(store: Store, document: str, h: str) -> Chain | None:
    """The history from manifest ``h`` back to version 1; None if a link is missing or wrong
    (verify's own chain walk names what is wrong with the head's history)."""
    chain: Chain = []
    next_hash: str | None = h
    try:
        while next_hash is not None:
            manifest = store.get_manifest(next_hash)
            expected = chain[-1][1].version - 1 if chain else manifest.version
            if manifest.document.id != document or manifest.version != expected:
                return None
            chain.append((next_hash, manifest))
            next_hash = manifest.previous
    except ClausewatchError:
        return None
    return chain if chain and chain[-1][1].version == 1 else None


def _replaced(
    store: Store, document: str, chain: Chain, problems: list[tuple[str, str]]
) -> str | None:
    """The head a re-extraction replaced with this history's re-extracted versions, if the
    history bears it out; a re-extraction record it does not bear out is a problem."""
    top = next((i for i, (_, m) in enumerate(chain) if m.reextracted_from), None)
    new = chain[top:] if top is not None else []
    key = layout.reextract(document, (new or chain)[0][0])
    try:
        found = store.backend.read_versioned(key)
    except ClausewatchError as exc:
        problems.append((key, f"cannot read the re-extraction record: {exc}"))
        return None
    data = found[0] if found else None
    if not new:  # no version of this history was re-extracted
        if data is not None:
            problems.append(
                (key, f"re-extraction record of {document}: its head was not re-extracted")
            )
        return None
    if data is None:  # a re-extraction without its record (made before records were kept)
        replaced = new[0][1].reextracted_from
    else:
        record = reextract_record(data)
        if (
            record is None
            or record.get("document") != document
            or record.get("head") != new[0][0]
            or not isinstance(record.get("replaced"), str)
            or not SHA256.fullmatch(record["replaced"])
        ):
            problems.append((key, "not a re-extraction record of this document and head"))
            return None
        replaced = record["replaced"]
    assert replaced is not None
    old = _chain_from(store, document, replaced)
    why = (
        f"the history of {replaced[:12]} cannot be read" if old is None else _not_derived(new, old)
    )
    if why is None:
        return replaced
    if data is not None:
        problems.append(
            (key, f"re-extraction record of {document} does not match its manifests: {why}")
        )
    return None


def _not_derived(new: Chain, old: Chain) -> str | None:
    """Why the re-extracted history ``new`` was not built from ``old`` (None: it was)."""
    versions = {h: m for h, m in old}
    source_version = 0
    for h, manifest in reversed(new):  # oldest first
        what = f"version {manifest.version} ({h[:12]})"
        source = versions.get(manifest.reextracted_from or "")
        if source is None:
            return f"{what} was not re-extracted from a version of the replaced history"
        if source.version <= source_version:
            return f"{what} was re-extracted from a version out of order"
        source_version = source.version
        kept = {n: r for n, r in manifest.blobs.items() if n not in _REEXTRACTED_BLOBS}
        if kept != {n: r for n, r in source.blobs.items() if n not in _REEXTRACTED_BLOBS}:
            return f"{what} does not keep the captured blobs of version {source.version}"
        for name in type(manifest).model_fields:
            if name not in _REEXTRACTED_FIELDS and getattr(manifest, name) != getattr(source, name):
                return f"{what} does not keep the {name} of version {source.version}"
    return None


def seal_record(data: bytes) -> dict[str, Any] | None:
    """A seal's record, or None if it is not one (truncated, garbage)."""
    try:
        record = load_json(data)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("leaves"), list):
        return None
    if not all(
        isinstance(leaf, list) and len(leaf) == 2 and all(isinstance(x, str) for x in leaf)
        for leaf in record["leaves"]
    ):
        return None
    return record


def reextract_record(data: bytes) -> dict[str, Any] | None:
    try:
        record = load_json(data)
    except ValueError:
        return None
    return record if isinstance(record, dict) and record.get("format") == REEXTRACT_FORMAT else None
