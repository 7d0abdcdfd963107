"""Store verification (a scrub): re-hash every object and walk every document's hash chain.

Written once on the :class:`~storage.store.Store` interface, so it checks every backend alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from clausewatch.errors import ClausewatchError, InputError, IntegrityError
from storage.models import Manifest
from storage.store import Store, sha256

ProblemKind = Literal["missing", "corrupt", "invalid", "broken-chain", "link"]


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    key: str
    detail: str


@dataclass
class Report:
    checked_at: datetime
    store: str
    blobs: int = 0
    manifests: int = 0
    documents: int = 0
    versions: int = 0
    unreferenced_manifests: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked_at": self.checked_at.isoformat().replace("+00:00", "Z"),
            "store": self.store,
            "blobs": self.blobs,
            "manifests": self.manifests,
            "documents": self.documents,
            "versions": self.versions,
            "unreferenced_manifests": self.unreferenced_manifests,
            "problems": [p.__dict__ for p in self.problems],
        }


def verify_store(store: Store, document: str | None = None) -> Report:
    """Check every blob and manifest (or only one document's) and every hash chain."""
    report = Report(checked_at=datetime.now(UTC), store=store.url)
    docs = store.documents()
    if document is not None:
        if document not in docs:
            raise InputError(f"no document {document!r} in {store.url}: see `clausewatch history`")
        docs = [document]
    report.problems += _links(store)
    manifests: dict[str, Manifest] = {}
    if document is None:
        report.blobs = _scan(store, "blobs/", report, lambda key: key.rsplit("/", 1)[1])
        report.manifests = _scan(store, "manifests/", report, _manifest_hash, manifests)
    reachable: set[str] = set()
    for doc in docs:
        report.documents += 1
        _walk_chain(store, doc, report, manifests, reachable, rehash=document is not None)
    if document is None:
        report.unreferenced_manifests = len(set(manifests) - reachable)
        from clausewatch.seal import check as check_seals  # seals sit on top of the chains

        report.problems += [Problem("broken-chain", key, what) for key, what in check_seals(store)]
    return report


def _links(store: Store) -> list[Problem]:
    """Every symbolic link in a local store: the backend never follows one (a read meeting it
    fails, a listing skips it), so each is a problem until someone removes it."""
    links = getattr(store.backend, "links", None)
    if links is None:
        return []  # S3 has no links
    return [
        Problem(
            "link",
            key,
            f"a symbolic link (to {target!r}); clausewatch never follows links in a store: "
            "remove it",
        )
        for key, target in links()
    ]


def _manifest_hash(key: str) -> str:
    return key.rsplit("/", 1)[1].removesuffix(".json")


def _scan(
    store: Store,
    prefix: str,
    report: Report,
    name_of: object,
    manifests: dict[str, Manifest] | None = None,
) -> int:
    count = 0
    for key, data in _read_all(store, prefix, report):
        count += 1
        expected = name_of(key)  # type: ignore[operator]
        if sha256(data) != expected:
            report.problems.append(Problem("corrupt", key, f"bytes hash to {sha256(data)}"))
            continue
        if manifests is not None:
            try:
                manifests[expected] = Manifest.model_validate_json(data)
            except ValueError as exc:
                report.problems.append(Problem("invalid", key, f"not a manifest: {exc}"[:300]))
    return count


def _read_all(store: Store, prefix: str, report: Report) -> Iterator[tuple[str, bytes]]:
    for key in store.backend.list(prefix):
        if key.rsplit("/", 1)[1].startswith("."):
            continue
        try:
            yield key, store.backend.read(key)
        except ClausewatchError as exc:
            report.problems.append(Problem("missing", key, str(exc)))


def _walk_chain(
    store: Store,
    doc: str,
    report: Report,
    known: dict[str, Manifest],
    reachable: set[str],
    rehash: bool,
) -> None:
    try:
        head, _ = store.head(doc)
    except ClausewatchError as exc:
        report.problems.append(Problem("invalid", f"heads/{doc}.json", str(exc)))
        return
    if head is None:
        return
    h: str | None = head.manifest
    expected = head.version
    while h is not None:
        manifest = _load(store, h, known, report)
        if manifest is None:
            return
        key = f"manifests/{h[:2]}/{h}.json"
        if h == head.manifest and manifest.content_hash != head.content_hash:
            report.problems.append(
                Problem("broken-chain", key, f"{doc}: head names another content hash")
            )
        if manifest.version != expected or manifest.document.id != doc:
            report.problems.append(
                Problem(
                    "broken-chain",
                    key,
                    f"{doc}: expected version {expected} of {doc}, found "
                    f"version {manifest.version} of {manifest.document.id}",
                )
            )
        reachable.add(h)
        report.versions += 1
        _check_blobs(store, manifest, report, rehash)
        h, expected = manifest.previous, manifest.version - 1
    if expected != 0:
        report.problems.append(
            Problem(
                "broken-chain",
                f"heads/{doc}.json",
                f"{doc}: history ends at version {expected + 1}, not 1",
            )
        )


def _load(store: Store, h: str, known: dict[str, Manifest], report: Report) -> Manifest | None:
    if h in known:
        return known[h]
    try:
        known[h] = store.get_manifest(h)
    except ClausewatchError as exc:
        kind: ProblemKind = "corrupt" if isinstance(exc, IntegrityError) else "missing"
        report.problems.append(Problem(kind, f"manifests/{h[:2]}/{h}.json", str(exc)))
        return None
    return known[h]


def _check_blobs(store: Store, manifest: Manifest, report: Report, rehash: bool) -> None:
    """Every blob a manifest names exists (and, when ``rehash``, still hashes to its name)."""
    for name, ref in manifest.blobs.items():
        key = f"blobs/{ref.sha256[:2]}/{ref.sha256}"
        what = f"{manifest.document.id} version {manifest.version} {name}"
        if rehash:
            report.blobs += 1
            try:
                store.get_blob(ref.sha256)
            except ClausewatchError as exc:
                kind: ProblemKind = "corrupt" if isinstance(exc, IntegrityError) else "missing"
                report.problems.append(Problem(kind, key, f"{what}: {exc}"))
        elif not store.backend.exists(key):
            report.problems.append(Problem("missing", key, what))


def report_text(report: Report) -> str:
    lines = [
        f"store {report.store} checked at {report.checked_at.isoformat(timespec='seconds')}",
        f"{report.blobs} blobs, {report.manifests} manifests, {report.documents} documents, "
        f"{report.versions} versions ({report.unreferenced_manifests} unreferenced manifests)",
    ]
    lines += [f"{p.kind.upper()}: {p.key}: {p.detail}" for p in report.problems]
    lines.append("OK: hash verified" if report.ok else f"FAILED: {len(report.problems)} problem(s)")
    return "\n".join(lines)


def dumps(report: Report) -> str:
    return json.dumps(report.as_json(), indent=2)
