"""The durable Wayback queue: every new version is submitted to Save Page Now, nothing is lost.

When a version captured by the browser is recorded, an entry is queued in the store
(``wayback/queue/<document>/<manifest>.json``). :func:`process_queue` (``clausewatch archive``,
and a task at the end of each monitor run) works through the entries that are due:

- an entry is claimed by compare-and-swap before anything is sent, so two workers never
  submit it twice; a job id is saved the moment it is known, so a process killed while
  polling resumes the same job instead of submitting again;
- after a timeout or a 5xx on submit (the job may exist) the next attempt reads the CDX API
  first and takes a capture made since the version was queued;
- a 429 pauses every submission (``wayback/paused-until``, read by all workers sharing the
  store) for the server's ``Retry-After`` (at most 6 hours); transient errors back off
  exponentially (:data:`RETRY`, see :mod:`clausewatch.retry`); permanent
  ones (``blocked-url``, ``not-found``, ...) are recorded and not retried;
- a page URL that is not public (not http(s), a loopback name such as ``localhost.`` or
  ``x.localhost``, a reserved name such as ``.internal``, or a host that is or resolves to a
  private, loopback or link-local address) is skipped with the reason and never submitted,
  whatever ``CLAUSEWATCH_ALLOW_PRIVATE_URLS`` says: that switch governs where clausewatch
  connects, not what it asks a public archive to fetch;
- the Wayback API itself is guarded (:mod:`clausewatch.net.outbound`): a pass refuses to start
  when the base URL is not public or would get the keys over plain http.

A success is recorded as an attestation linked to the version's manifest hash
(``wayback/attestations/<manifest>.json``, write-once; the manifest stays immutable) and a
``dev.clausewatch.document.archived`` event. Capture and change events never wait on any of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlparse

from clausewatch.errors import InputError, NotAFile
from clausewatch.events import cloudevents as events
from clausewatch.events.models import ArchivedData
from clausewatch.net import netguard
from clausewatch.net.outbound import OutboundRefused
from clausewatch.retry import Backoff, Policy
from clausewatch.storage import layout
from clausewatch.storage.models import Manifest, dump
from clausewatch.storage.records import Attestation, Entry
from clausewatch.storage.store import Store
from clausewatch.wayback.client import RateLimited, SaveResult, WaybackClient, WaybackSettings

# Longer than the worst case of one attempt (12 polls with backoff, each read up to 30 s).
CLAIM_LEASE = timedelta(minutes=30)
CLAIM_RENEW = timedelta(minutes=5)  # a worker polling renews its claim this often
SNAPSHOT_SLACK = timedelta(minutes=10)  # clock skew allowed between us and the Wayback Machine
RETRY_PENDING = timedelta(minutes=1)  # polling a running job again, not a retry
MAX_BACKOFF = timedelta(hours=6)
# A transient failure is retried by a later pass, without limit: 2 minutes after the first
# attempt, doubling up to MAX_BACKOFF (reached after the 8th), no jitter (the time is stored).
RETRY = Policy(
    attempts=None, backoff=Backoff(first_s=120.0, factor=2.0, max_s=MAX_BACKOFF.total_seconds())
)


@dataclass(frozen=True)
class Done:
    """What one submission came to, for the command line."""

    document: str
    manifest: str
    status: Literal["archived", "pending", "skipped", "failed", "damaged"]
    detail: str

    def as_json(self) -> dict[str, str]:
        return dict(self.__dict__)


def enqueue(store: Store, manifest_hash: str, manifest: Manifest) -> None:
    """Queue a version for the Wayback Machine (idempotent)."""
    now = datetime.now(UTC)
    entry = Entry(
        document=manifest.document.id,
        manifest=manifest_hash,
        url=manifest.final_url or manifest.request_url,
        queued_at=now,
        next_attempt_at=now,
    )
    if store.backend.exists(layout.wayback_done(entry.document, manifest_hash)):
        return  # queued before, and done with
    store.backend.create(layout.wayback_entry(entry.document, manifest_hash), dump(entry))


FINISHED = ("archived", "skipped", "failed")


def _retire(store: Store, key: str, entry: Entry) -> None:
    """Move a finished entry out of the queue (to ``wayback/done/``): a pass lists only what
    may still need work. Written there first, then removed here, so a crash between the two
    leaves a copy that the next pass removes."""
    store.backend.create(layout.wayback_done(entry.document, entry.manifest), dump(entry))
    store.backend.delete(key)


def attestation(store: Store, manifest_hash: str) -> Attestation | None:
    found = store.backend.read_versioned(layout.wayback_attestation(manifest_hash))
    return Attestation.model_validate_json(found[0]) if found else None


# Names that are not on the public Internet by definition (RFC 2606, 6761, 6762; ICANN 2024).
_RESERVED_SUFFIXES = (".local", ".internal", ".test", ".example", ".invalid", ".home.arpa")


def is_public(url: str) -> str | None:
    """None for a URL a public archive may be asked to fetch, else why not: an http(s) URL
    whose host is neither a loopback or reserved name nor (resolving to) a non-public address.
    Independent of ``CLAUSEWATCH_ALLOW_PRIVATE_URLS``."""
    if why := netguard.url_refusal(url):
        return why
    host = (urlparse(url).hostname or "").rstrip(".")
    if ("." + host).endswith(_RESERVED_SUFFIXES):
        return f"{host} is a reserved name, not a public host"
    return None


def process_queue(
    store: Store,
    client: WaybackClient,
    now: datetime | None = None,
    clock: Callable[[], datetime] | None = None,
) -> list[Done]:
    """Work through the due entries; stops early (all left queued) on a 429.

    The clock is read whenever an entry is judged, claimed, renewed or settled (a pass may
    poll for a long time); ``now`` shifts it (the pass starts at ``now``), ``clock`` replaces it."""
    if clock is None:
        offset = now - datetime.now(UTC) if now else timedelta(0)
        clock = lambda: datetime.now(UTC) + offset  # noqa: E731
    now = clock()
    client.check()  # the API itself: a private base URL or keys over http stop the pass here
    paused = store.backend.read_versioned(layout.WAYBACK_PAUSED)
    if paused and datetime.fromisoformat(paused[0].decode()) > now:
        return [Done("*", "*", "pending", f"paused until {paused[0].decode()} (rate limit)")]
    results: list[Done] = [_damaged(key, what) for key, what in _special_entries(store)]
    for key in store.backend.list(layout.WAYBACK_QUEUE):
        try:
            found = store.backend.read_versioned(key)
            if found is None:
                continue
            entry = Entry.model_validate_json(found[0])
            if layout.wayback_entry(entry.document, entry.manifest) != key:
                raise ValueError("the entry names another document or version")
        except (ValueError, InputError, NotAFile):  # one damaged entry must not stop the others
            # reported, never rewritten: the damage stays as evidence for `verify`
            results.append(_damaged(key))
            continue
        if entry.status in FINISHED:  # left by a crash, or by a version before wayback/done/
            _retire(store, key, entry)
            continue
        if not _due(entry, clock()):
            continue
        try:
            work = _Work(entry, found[1])
            results.append(_process(store, client, key, work, clock))
            if work.entry.status in FINISHED:
                _retire(store, key, work.entry)
        except RateLimited as limited:
            until = clock() + timedelta(seconds=limited.retry_after)
            store.backend.overwrite(layout.WAYBACK_PAUSED, until.isoformat().encode())
            results.append(Done(entry.document, entry.manifest, "pending", str(limited)))
            break
    return results


def _names(key: str) -> tuple[str, str]:
    """The document and manifest a queue key names ("?" for what it does not)."""
    if match := layout.WAYBACK_ENTRY.fullmatch(key):
        return match[1], match[2]
    return "?", "?"


def _damaged(key: str, what: str = "damaged") -> Done:
    document, manifest = _names(key)
    return Done(document, manifest, "damaged", f"{key} is {what}; see clausewatch verify")


def _special_entries(store: Store) -> list[tuple[str, str]]:
    """Links and special files (a FIFO, a socket) in the queue of a local store, which its
    listing skips: each is reported as a damaged entry. A store without them (S3) has none."""
    links = getattr(store.backend, "links", None)
    if links is None:
        return []
    return list(links(layout.WAYBACK_QUEUE))  # the queue only, not the whole store


def _due(entry: Entry, now: datetime) -> bool:
    if entry.status == "submitting" and entry.claimed_at and now - entry.claimed_at < CLAIM_LEASE:
        return False  # another worker holds it
    return entry.next_attempt_at <= now or entry.status == "submitting"


@dataclass
class _Work:
    """An entry as this worker last wrote it, and the version token that proves the claim."""

    entry: Entry
    token: str | None


class _LostClaim(Exception):
    """Another worker took the entry over (this one outlived its claim)."""


def _save_work(store: Store, key: str, work: _Work, entry: Entry) -> None:
    token = _save(store, key, entry, work.token)
    if token is None:
        raise _LostClaim
    work.entry, work.token = entry, token


def _process(
    store: Store, client: WaybackClient, key: str, work: _Work, clock: Callable[[], datetime]
) -> Done:
    entry = work.entry
    try:
        if reason := is_public(entry.url):
            _save_work(
                store, key, work, entry.model_copy(update={"status": "skipped", "reason": reason})
            )
            return Done(entry.document, entry.manifest, "skipped", reason)
        _save_work(
            store,
            key,
            work,
            entry.model_copy(
                update={
                    "status": "submitting",
                    "claimed_at": clock(),
                    "attempts": entry.attempts + 1,
                }
            ),
        )
        try:
            result = _attempt(store, client, key, work, _renewer(store, key, work, clock))
        except _LostClaim:
            raise
        except (RateLimited, OutboundRefused, KeyboardInterrupt):
            # back to the queue as stored now: a job id saved during this attempt is kept
            _save_work(
                store,
                key,
                work,
                work.entry.model_copy(
                    update={
                        "status": "queued",
                        "claimed_at": None,
                        "check_first": work.entry.check_first or work.entry.job_id is None,
                    }
                ),
            )
            raise
        except Exception as exc:  # whatever it was, the claim is given back
            result = SaveResult(
                "failed",
                message=f"unexpected error: {type(exc).__name__}: {exc}",
                transient=True,
                ambiguous=True,  # the request may have gone out: read the CDX API first
            )
        if result.message:  # no key is ever stored or printed, whoever wrote the text
            result = dataclasses.replace(result, message=client.redact(result.message)[:500])
        return _settle(store, key, work, result, clock())
    except _LostClaim:
        return Done(entry.document, entry.manifest, "pending", "taken over by another worker")


def _renewer(
    store: Store, key: str, work: _Work, clock: Callable[[], datetime]
) -> Callable[[], None]:
    """Called between polls: renews the claim (by compare-and-swap) well before its lease
    ends, so a long poll is not taken for a dead worker; raises _LostClaim if it was."""

    def renew() -> None:
        claimed = work.entry.claimed_at
        now = clock()
        if claimed is None or now - claimed >= CLAIM_RENEW:
            _save_work(store, key, work, work.entry.model_copy(update={"claimed_at": now}))

    return renew


def _attempt(
    store: Store, client: WaybackClient, key: str, work: _Work, renew: Callable[[], None]
) -> SaveResult:
    entry = work.entry
    if entry.job_id:  # a job submitted earlier (maybe by a process that died): follow it
        return client.poll(entry.job_id, heartbeat=renew)
    since = entry.queued_at - SNAPSHOT_SLACK
    if entry.check_first and (found := client.captured_since(entry.url, since)):
        return found
    if client.available_sessions() == 0:
        return SaveResult(
            "failed",
            message="no free capture session (user-session-limit)",
            status_ext="error:user-session-limit",
            transient=True,
        )
    submitted = client.submit(entry.url, fresh=entry.fresh)
    if submitted.outcome != "pending" or not submitted.job_id:
        return submitted
    _save_work(store, key, work, entry.model_copy(update={"job_id": submitted.job_id}))
    return client.poll(submitted.job_id, heartbeat=renew)


def _predates(entry: Entry, result: SaveResult) -> bool:
    """A snapshot older than the version (SPN2 may answer with a recent existing capture)."""
    if not result.timestamp:
        return False
    try:
        taken = datetime.strptime(result.timestamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return False
    return taken < entry.queued_at - SNAPSHOT_SLACK


def _settle(store: Store, key: str, work: _Work, result: SaveResult, now: datetime) -> Done:
    entry = work.entry
    if result.outcome == "archived" and _predates(entry, result):
        result = SaveResult(
            "failed",
            message=f"snapshot {result.timestamp} predates the version; asking for a fresh capture",
            transient=True,
        )
        entry = entry.model_copy(update={"fresh": True})
    if result.outcome == "archived" and result.archive_url:
        _attest(store, entry, result)
        return _finish(
            store,
            key,
            work,
            entry,
            "archived",
            result.archive_url,
            status="archived",
            archive_url=result.archive_url,
            reason=None,
        )
    if result.outcome == "pending":
        return _finish(
            store,
            key,
            work,
            entry,
            "pending",
            f"job {result.job_id} still running",
            status="pending",
            job_id=result.job_id,
            next_attempt_at=now + RETRY_PENDING,
        )
    reason = " ".join(x for x in (result.status_ext, result.message) if x) or "failed"
    if result.transient:
        backoff = timedelta(seconds=RETRY.delay(entry.attempts))
        return _finish(
            store,
            key,
            work,
            entry,
            "pending",
            f"retry after {backoff}: {reason}",
            status="queued",
            job_id=None,
            reason=reason,
            next_attempt_at=now + backoff,
            check_first=entry.check_first or result.ambiguous,
        )
    return _finish(store, key, work, entry, "failed", reason, status="failed", reason=reason)


def _finish(
    store: Store,
    key: str,
    work: _Work,
    entry: Entry,
    outcome: Literal["archived", "pending", "failed"],
    detail: str,
    **changes: Any,
) -> Done:
    """Release the claim with the entry's new state, and say what came of it."""
    _save_work(store, key, work, entry.model_copy(update={"claimed_at": None, **changes}))
    return Done(entry.document, entry.manifest, outcome, detail)


def _attest(store: Store, entry: Entry, result: SaveResult) -> None:
    manifest = store.get_manifest(entry.manifest)
    record = Attestation(
        document=entry.document,
        manifest=entry.manifest,
        content_hash=manifest.content_hash,
        url=entry.url,
        archive_url=result.archive_url or "",
        timestamp=result.timestamp,
        job_id=result.job_id or entry.job_id,
        recorded_at=datetime.now(UTC),
    )
    store.backend.create(layout.wayback_attestation(entry.manifest), dump(record))
    event = archived_event(manifest, record)
    events.append(store, event)


def archived_event(manifest: Manifest, record: Attestation) -> dict[str, Any]:
    data = ArchivedData(
        document=events.event_document(manifest.document),
        manifest=record.manifest,
        content_hash=record.content_hash,
        url=record.url,
        archive_url=record.archive_url,
        timestamp=record.timestamp,
    )
    ident = events.event_id(events.ARCHIVED, record.document, record.manifest)
    return events.cloudevent(events.ARCHIVED, ident, record.document, record.recorded_at, data)


def _save(store: Store, key: str, entry: Entry, token: str | None) -> str | None:
    """Replace an entry if it is still the one read; the new version token, or None."""
    return store.backend.swap(key, dump(entry), token)


def client_from_env() -> WaybackClient:
    return WaybackClient(WaybackSettings.from_env())
