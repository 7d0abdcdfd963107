"""Store verification (a scrub): re-hash every object and walk every document's hash chain.

Written once on the :class:`~storage.store.Store` interface, so it checks every backend alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from clausewatch.errors import ClausewatchError, InputError, IntegrityError
from clausewatch.storage import layout
from clausewatch.storage.local import MISPLACED_DIRECTORY
from clausewatch.storage.models import SHA256, CheckRecord, Manifest, load_json, summary
from clausewatch.storage.records import DeliveryState, Entry, HeldCapture
from clausewatch.storage.store import STRAY_HEAD, Store, sha256
from clausewatch.times import utc_z

ProblemKind = Literal["missing", "corrupt", "invalid", "broken-chain", "link", "not-a-file"]
_CURSOR = re.compile(r"\d{12}")


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
            "checked_at": utc_z(self.checked_at),
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
    docs = store.documents(quiet=True)
    if document is not None:
        if document not in docs:
            raise InputError(f"no document {document!r} in {store.url}: see `clausewatch history`")
        docs = [document]
    report.problems += _links(store, document)
    if document is None:
        report.problems += [Problem("invalid", key, STRAY_HEAD) for key in store.stray_heads()]
    manifests: dict[str, Manifest] = {}
    if document is None:
        report.blobs = _scan(store, layout.BLOBS, report, lambda key: key.rsplit("/", 1)[1])
        report.manifests = _scan(store, layout.MANIFESTS, report, _manifest_hash, manifests)
    reachable: set[str] = set()
    for doc in docs:
        report.documents += 1
        _walk_chain(store, doc, report, manifests, reachable, rehash=document is not None)
    _check_checks(store, report, layout.checks(document) if document else layout.CHECKS)
    if document is None:
        _check_event_log(store, report)
        _check_webhook_states(store, report)
        _check_dead_letters(store, report)
        _check_wayback_queue(store, report)
        _check_held(store, report)
        report.unreferenced_manifests = len(set(manifests) - reachable)
        from clausewatch.storage.seals import check as check_seals  # seals sit on top of the chains

        report.problems += [Problem("broken-chain", key, what) for key, what in check_seals(store)]
    return report


def _links(store: Store, document: str | None = None) -> list[Problem]:
    """Every symbolic link or special file in a local store: the backend never follows or reads
    one (a read meeting it fails, a listing skips it), so each is a problem until removed.
    For one document, only in its own folders (a link among its blobs fails its chain's
    reads, named): walking the whole store would cost the store's size, not the document's."""
    links = getattr(store.backend, "links", None)
    if links is None:
        return []  # S3 has no links
    found = (
        links()
        if document is None
        else [
            link
            for under in (
                layout.checks(document),
                f"{layout.REEXTRACTS}{document}/",
                f"{layout.WAYBACK_QUEUE}{document}/",
                f"{layout.WAYBACK_DONE}{document}/",
            )
            for link in links(under)
        ]
    )
    return [
        Problem("not-a-file", key, f"{what}: readers skip it; remove it")
        if what == MISPLACED_DIRECTORY
        else Problem(
            "link",
            key,
            f"{what}; clausewatch never follows links or reads special files in a store: remove it",
        )
        for key, what in found
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
                report.problems.append(Problem("invalid", key, f"not a manifest: {summary(exc)}"))
    return count


def _read_all(
    store: Store, prefix: str, report: Report, wanted: Callable[[str], bool] | None = None
) -> Iterator[tuple[str, bytes]]:
    for key in store.backend.list(prefix):
        if key.rsplit("/", 1)[1].startswith(".") or (wanted is not None and not wanted(key)):
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
        report.problems.append(Problem("invalid", layout.head(doc), str(exc)))
        return
    if head is None:
        return
    h: str | None = head.manifest
    expected = head.version
    while h is not None:
        manifest = _load(store, h, known, report)
        if manifest is None:
            return
        key = layout.manifest(h)
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
                layout.head(doc),
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
        report.problems.append(Problem(kind, layout.manifest(h), str(exc)))
        return None
    return known[h]


def _check_blobs(store: Store, manifest: Manifest, report: Report, rehash: bool) -> None:
    """Every blob a manifest names exists (and, when ``rehash``, still hashes to its name)."""
    for name, ref in manifest.blobs.items():
        key = layout.blob(ref.sha256)
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


def _check_checks(store: Store, report: Report, prefix: str) -> None:
    """Every check record is a valid check of its folder's document, named by its hash."""
    for key, data in _read_all(store, prefix, report):
        parts = key.split("/")
        name = layout.CHECK_NAME.fullmatch(parts[-1])
        if len(parts) != 3 or name is None:
            report.problems.append(
                Problem("invalid", key, "not a check record name (<UTC time>-<hash>.json)")
            )
            continue
        try:
            check = CheckRecord.model_validate_json(data)
        except ValueError as exc:
            what = (
                f"not a check record (truncated or damaged; history and cite skip it): {_why(exc)}"
            )
            report.problems.append(Problem("invalid", key, what[:300]))
            continue
        if sha256(data)[:8] != name[2]:
            report.problems.append(
                Problem("corrupt", key, f"bytes hash to {sha256(data)}, not the {name[2]} named")
            )
        elif check.document != parts[1]:
            report.problems.append(
                Problem("invalid", key, f"a check of {check.document!r} filed under {parts[1]!r}")
            )


def _check_event_log(store: Store, report: Report) -> None:
    """Every log entry is a JSON event named by its cursor; the cursor hint names an entry."""
    cursors: set[int] = set()
    for key, data in _read_all(store, layout.EVENT_LOG, report):
        name = key.rsplit("/", 1)[1].removesuffix(".json")
        if key.count("/") != 2 or not key.endswith(".json") or not _CURSOR.fullmatch(name):
            report.problems.append(Problem("invalid", key, "not an event log entry name"))
            continue
        cursors.add(int(name))
        try:
            event = load_json(data)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            report.problems.append(
                Problem(
                    "invalid",
                    key,
                    "not a JSON event (truncated or damaged): events, digest and deliver skip it",
                )
            )
        elif not all(isinstance(event.get(a), str) for a in ("id", "type", "time")) or not (
            _is_time(event["time"])
        ):
            report.problems.append(
                Problem("invalid", key, "not an event: no id, type or time (digest skips it)")
            )
    _check_day_marks(store, report, cursors)
    try:
        hint = store.backend.read_versioned(layout.EVENT_CURSOR)
    except ClausewatchError as exc:
        report.problems.append(Problem("missing", layout.EVENT_CURSOR, str(exc)))
        return
    if hint is None:
        return
    value = hint[0].strip()
    if not value.isdigit() or len(value) > 12:
        what = f"not a cursor: {value[:40]!r}"
    elif int(value) != 0 and int(value) not in cursors:
        last = max(cursors, default=0)
        what = f"cursor {int(value)} names no log entry (the last is {last})"
    else:
        return
    report.problems.append(
        Problem(
            "invalid",
            layout.EVENT_CURSOR,
            f"{what}; writers ignore it and read the log (the next event logged rewrites it)",
        )
    )


def _check_day_marks(store: Store, report: Report, cursors: set[int]) -> None:
    """Each ``events/days/<day>`` names a log entry, later days later ones: a digest starts
    reading at a mark, so one naming a cursor too high would hide events from it."""
    previous = 0
    for key, data in _read_all(store, layout.EVENT_DAYS, report):
        value = data.strip()
        if not layout.EVENT_DAY_NAME.fullmatch(key) or not value.isdigit() or len(value) > 12:
            what = "not a day mark (events/days/<YYYYMMDD> holding a cursor)"
        elif int(value) not in cursors:
            what = f"names cursor {int(value)}, which is not in the log"
        elif int(value) < previous:
            what = f"names cursor {int(value)}, before the {previous} an earlier day names"
        else:
            previous = int(value)
            continue
        report.problems.append(
            Problem(
                "invalid",
                key,
                f"{what}; digests start reading the log at day marks: remove it (they then "
                "start at an earlier day's)",
            )
        )


def _check_webhook_states(store: Store, report: Report) -> None:
    """Every webhook endpoint's delivery state (``webhooks/<endpoint>/state.json``) is valid."""
    keys = [k for k in store.backend.list(layout.WEBHOOKS) if k.count("/") == 2]
    states = [k for k in keys if k.endswith("/state.json")]
    if not states:
        return

    for key in states:
        try:
            DeliveryState.model_validate_json(store.backend.read(key))
        except ClausewatchError as exc:
            report.problems.append(Problem("missing", key, str(exc)))
        except ValueError as exc:
            what = f"not a webhook delivery state (truncated or damaged): {_why(exc)}"
            report.problems.append(Problem("invalid", key, what[:300]))


def _check_held(store: Store, report: Report) -> None:
    """Every capture the collapse guard held back (``held/<document>.json``) is a valid record
    whose blobs are in the store (they are re-hashed with the other blobs)."""
    keys = list(store.backend.list(layout.HELD))
    if not keys:
        return

    for key in keys:
        try:
            held = HeldCapture.model_validate(load_json(store.backend.read(key)))
        except ClausewatchError as exc:
            report.problems.append(Problem("missing", key, str(exc)))
            continue
        except ValueError as exc:
            what = f"not a held capture record (truncated or damaged): {_why(exc)}"
            report.problems.append(Problem("invalid", key, what[:300]))
            continue
        for name, ref in held.blobs.items():
            blob = layout.blob(ref.sha256)
            if not store.backend.exists(blob):
                what = f"{held.document.id} held capture of {held.captured_at.isoformat()} {name}"
                report.problems.append(Problem("missing", blob, what))


def _check_dead_letters(store: Store, report: Report) -> None:
    """Every dead letter (``webhooks/<endpoint>/dead/<cursor>.json``, written by
    :meth:`clausewatch.events.webhooks.Deliverer._dead_letter`) is a JSON object naming its cursor, its
    event id, and when it was given up."""
    for key, data in _read_all(store, layout.WEBHOOKS, report, lambda k: k.count("/") == 3):
        parts = key.split("/")
        name = parts[3].removesuffix(".json")
        if parts[2] != "dead":
            continue
        if not parts[3].endswith(".json") or not _CURSOR.fullmatch(name):
            report.problems.append(Problem("invalid", key, "not a dead letter name"))
            continue
        try:
            letter = load_json(data)
        except ValueError:
            letter = None
        if not isinstance(letter, dict):
            what = "not a dead letter (truncated or damaged): `deliver --list` shows it unreadable"
        elif letter.get("cursor") != int(name) or isinstance(letter.get("cursor"), bool):
            what = f"a dead letter of cursor {letter.get('cursor')!r}, filed as {int(name)}"
        elif not isinstance(letter.get("event_id"), str) or not (
            isinstance(letter.get("dead_at"), str) and _is_time(letter["dead_at"])
        ):
            what = "not a dead letter: no event_id or dead_at time"
        else:
            continue
        report.problems.append(Problem("invalid", key, what[:300]))


def _check_wayback_queue(store: Store, report: Report) -> None:
    """Every Wayback queue entry (``wayback/queue/<document>/<manifest>.json``) is an entry of
    :class:`storage.records.Entry` for the document and manifest it is filed under."""
    keys = [*store.backend.list(layout.WAYBACK_QUEUE), *store.backend.list(layout.WAYBACK_DONE)]
    if not keys:
        return

    for key in keys:
        parts = key.split("/")
        name = parts[-1].removesuffix(".json")
        if len(parts) != 4 or not parts[-1].endswith(".json") or not SHA256.fullmatch(name):
            report.problems.append(
                Problem("invalid", key, "not a Wayback queue entry name (<document>/<hash>.json)")
            )
            continue
        try:
            entry = Entry.model_validate_json(store.backend.read(key))
        except ClausewatchError as exc:
            report.problems.append(Problem("missing", key, str(exc)))
            continue
        except ValueError as exc:
            what = (
                "not a Wayback queue entry (truncated or damaged; `archive` skips it): "
                f"{summary(exc)}"
            )
            report.problems.append(Problem("invalid", key, what[:300]))
            continue
        if entry.document != parts[2] or entry.manifest != name:
            report.problems.append(
                Problem(
                    "invalid",
                    key,
                    f"a queue entry for {entry.document!r} {entry.manifest[:12]!r}, filed under "
                    f"{parts[2]!r} {name[:12]!r}",
                )
            )


def _is_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _why(exc: ValueError) -> str:
    """One line saying why a record did not validate."""
    return summary(exc)


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
