"""The content-addressed store: blobs and manifests by SHA-256, heads, checks and the event log.

The layout of its keys is :mod:`storage.layout`.

Every read of a blob or manifest is re-hashed and raises :class:`IntegrityError` on mismatch.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from clausewatch.errors import (
    ConflictError,
    InputError,
    IntegrityError,
    NotAFile,
    ObjectNotFound,
    StoreError,
)
from clausewatch.storage import layout
from clausewatch.storage.backend import Backend
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.models import (
    SHA256,
    CheckRecord,
    Head,
    Manifest,
    dump,
    load_json,
    summary,
)

log = logging.getLogger(__name__)
HASH_PREFIX_LEN = 6  # shortest hash prefix accepted by lookups


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Store:
    """Typed operations over a :class:`Backend`; written once, shared by every backend."""

    def __init__(
        self,
        backend: Backend,
        claim_lease_s: float = 120.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.backend = backend
        self.claim_lease_s = claim_lease_s
        self.clock = clock  # when an event is logged (its day mark); benchmarks replay a year
        self._warned: set[str] = set()
        self._days_marked: set[str] = set()

    @property
    def url(self) -> str:
        return self.backend.url

    # -- blobs and manifests -------------------------------------------------------------
    def put_blob(self, data: bytes) -> str:
        h = sha256(data)
        self.backend.create(layout.blob(h), data, sha256=h)
        return h

    def get_blob(self, h: str) -> bytes:
        return self._verified(layout.blob(layout.sha256_name(h)), h)

    def put_manifest(self, manifest: Manifest) -> str:
        data = dump(manifest)
        h = sha256(data)
        self.backend.create(layout.manifest(h), data, sha256=h)
        return h

    def get_manifest(self, h: str) -> Manifest:
        data = self._verified(layout.manifest(layout.sha256_name(h)), h)
        try:
            return Manifest.model_validate_json(data)
        except ValueError as exc:
            raise IntegrityError(
                f"manifest {h} in {self.url} is not a valid manifest: {summary(exc)}; run "
                "`clausewatch verify`"
            ) from exc

    def get_object(self, h: str) -> tuple[str, bytes]:
        """A blob or manifest by full hash: ("blob" | "manifest", verified bytes)."""
        layout.sha256_name(h)
        for kind, key in (("blob", layout.blob(h)), ("manifest", layout.manifest(h))):
            if self.backend.exists(key):
                return kind, self._verified(key, h)
        raise ObjectNotFound(
            f"no blob or manifest {h} in {self.url}: check the hash (see `clausewatch history`)"
        )

    def resolve(self, prefix: str) -> str:
        """The full hash of the one blob or manifest starting with ``prefix``."""
        prefix = prefix.lower()
        if SHA256.fullmatch(prefix):
            return prefix
        if len(prefix) < HASH_PREFIX_LEN or not all(c in "0123456789abcdef" for c in prefix):
            raise InputError(
                f"{prefix!r} is not a hash: give a SHA-256 or at least {HASH_PREFIX_LEN} of its "
                "leading hex digits"
            )
        found = {
            key.rsplit("/", 1)[1].removesuffix(".json")
            for area in ("blobs", "manifests")
            for key in self.backend.list(f"{area}/{prefix[:2]}/{prefix}")
        }
        if len(found) != 1:
            what = "no object" if not found else f"{len(found)} objects"
            raise InputError(f"{what} in {self.url} with a hash starting {prefix!r}")
        return found.pop()

    def _verified(self, key: str, h: str) -> bytes:
        data = self.backend.read(key)
        actual = sha256(data)
        if actual != h:
            raise IntegrityError(
                f"object {h} in {self.url} is corrupt: its bytes hash to {actual}. Do not use it; "
                "restore it from a replica or the Wayback copy, and run `clausewatch verify`"
            )
        return data

    # -- heads and checks ----------------------------------------------------------------
    def head(self, document: str) -> tuple[Head | None, str | None]:
        """The document's head and its version token (both None for a new document)."""
        found = self.backend.read_versioned(layout.head(document))
        if found is None:
            return None, None
        try:
            return Head.model_validate_json(found[0]), found[1]
        except ValueError as exc:
            raise StoreError(
                f"head of {document!r} in {self.url} is unreadable ({summary(exc)}): restore "
                f"heads/{document}.json or run `clausewatch verify`"
            ) from exc

    def swap_head(self, head: Head, expected: str | None) -> bool:
        key = layout.head(head.document)
        return self.backend.swap(key, dump(head), expected) is not None

    def documents(self, quiet: bool = False) -> list[str]:
        """The documents with a head, in order of id.

        A key under ``heads/`` that is not ``heads/<document id>.json`` (a stray file such as
        ``heads/Bad Name.json``, an S3 key ``heads/../x.json``) is skipped with a warning on
        stderr naming it, once per key (``quiet``: silently), so one stray entry does not stop
        ``seal`` or ``reextract`` for the whole store; ``clausewatch verify`` names it
        (:meth:`stray_heads`)."""
        found = []
        for key in self.backend.list(layout.HEADS):
            document = layout.head_document(key)
            if document is not None:
                found.append(document)
            elif not quiet and key not in self._warned:
                self._warned.add(key)
                _warn(f"skipping {key!r} in {self.url}: {STRAY_HEAD}; see `clausewatch verify`")
        return found

    def stray_heads(self) -> list[str]:
        """The keys under ``heads/`` that are not the head of a valid document id."""
        return [k for k in self.backend.list(layout.HEADS) if layout.head_document(k) is None]

    def add_check(self, check: CheckRecord) -> str:
        data = dump(check)
        key = layout.check(check.document, check.checked_at, sha256(data))
        self.backend.create(key, data)
        self.backend.overwrite(layout.latest_check(check.document), key.rsplit("/", 1)[1].encode())
        return key

    def last_checked(self, document: str) -> datetime | None:
        """When the document was last read successfully: its head version or latest check.

        Reads key names only (check keys start with their UTC time), and only from the latest
        check on: ``latest-checks/<document>`` names it, and the listing starts at that name,
        so it both confirms the hint and finds any check written after it (a lagging hint,
        as two writers may leave, costs nothing more). A hint that is missing, damaged, or
        names no record (a store from before hints, or a forged one) means a full listing."""
        head, _ = self.head(document)
        prefix = layout.checks(document)
        hint = self._latest_check_hint(document)
        stamps: list[str] = []
        if hint is not None:
            after = prefix + hint[: len("YYYYmmddTHHMMSSffffffZ")]
            names = [key.rsplit("/", 1)[1] for key in self.backend.list(prefix, start_after=after)]
            if hint in names:
                stamps = [m[1] for name in names if (m := layout.CHECK_NAME.fullmatch(name))]
            else:
                hint = None
        if hint is None:
            stamps = [
                m[1]
                for key in self.backend.list(prefix)
                if (m := layout.CHECK_NAME.fullmatch(key.rsplit("/", 1)[-1]))
            ]
        latest = max(stamps, default=None)
        times = [head.captured_at] if head else []
        if latest:
            times.append(datetime.strptime(latest, layout.TIME_NAME).replace(tzinfo=UTC))
        return max(times, default=None)

    def _latest_check_hint(self, document: str) -> str | None:
        found = self.backend.read_versioned(layout.latest_check(document))
        if found is None:
            return None
        name = found[0].decode("ascii", "replace").strip()
        return name if layout.CHECK_NAME.fullmatch(name) else None

    def checks(self, document: str, quiet: bool = False) -> Iterator[CheckRecord]:
        """The document's check records, oldest first.

        A record that is not a valid check (truncated, garbage) is skipped with a warning on
        stderr naming its key (``quiet``: silently); ``clausewatch verify`` names it too."""
        for key in self.backend.list(layout.checks(document)):
            try:
                check = CheckRecord.model_validate_json(self.backend.read(key))
            except (ValueError, ObjectNotFound):
                if not quiet:
                    _warn(
                        f"skipping check record {key} in {self.url}: not a check record "
                        "(truncated or damaged); see `clausewatch verify`"
                    )
                continue
            yield check

    def verified_checks(self, document: str) -> Iterator[CheckRecord]:
        """The document's check records, oldest first, each re-hashed against the hash its name
        carries (``<time>-<SHA-256[:8]>.json``) and read as a check of this document: what
        evidence built on them ("last seen") may trust. A record that fails raises
        :class:`IntegrityError` naming its key (``clausewatch verify`` lists them all)."""
        for key in self.backend.list(layout.checks(document)):
            name = layout.CHECK_NAME.fullmatch(key.rsplit("/", 1)[-1])
            data = self.backend.read(key)
            try:
                check = CheckRecord.model_validate_json(data)
            except ValueError:
                check = None
            if (
                name is None
                or sha256(data)[:8] != name[2]
                or check is None
                or check.document != document
            ):
                raise IntegrityError(
                    f"check record {key} in {self.url} does not verify (its bytes do not hash to "
                    "its name, or it is not a check of this document): do not use it; restore "
                    "it from a replica, and run `clausewatch verify`"
                )
            yield check

    def chain(self, document: str) -> Iterator[tuple[str, Manifest]]:
        """(manifest hash, manifest) from the head back to the first version."""
        head, _ = self.head(document)
        h = head.manifest if head else None
        while h is not None:
            manifest = self.get_manifest(h)
            yield h, manifest
            h = manifest.previous

    # -- event log -----------------------------------------------------------------------
    def append_event(
        self, event_id: str, build: Callable[[int], bytes], wait: bool = False
    ) -> int | None:
        """Append an event once; returns its cursor, or None while another writer appends it.

        ``build(cursor)`` returns the event's bytes for that cursor. A writer first claims the
        id (``events/ids/<id>`` created if absent, naming the writer and the cursor the log had
        then), then writes the log entry, then replaces the claim with the cursor. A claim is
        taken over at once when its writer is known to be dead (a process of this machine that
        is gone), else when it is older than ``claim_lease_s``; the new writer first looks in
        the log after the claim's cursor, so an entry written just before a crash is indexed,
        not logged twice. With ``wait``, a claim held by a live writer is waited for (at most
        about two leases) instead of returning None.
        """
        delay = 0.02
        deadline = time.monotonic() + 2 * self.claim_lease_s + 5
        while True:
            cursor = self._append_once(event_id, build)
            if cursor is not None or not wait:
                return cursor
            if time.monotonic() > deadline:
                raise ConflictError(
                    f"event {event_id} in {self.url} stays claimed by another writer; run again"
                )
            time.sleep(delay)
            delay = min(1.0, delay * 2)

    def _append_once(self, event_id: str, build: Callable[[int], bytes]) -> int | None:
        id_key = layout.event_id(event_id)
        after = self._cursor_hint()
        nonce = uuid.uuid4().hex
        claim = json.dumps({"claimed_at": time.time(), "after": after, "owner": _owner(nonce)})
        while not self.backend.create(id_key, claim.encode()):
            found = self.backend.read_versioned(id_key)
            if found is None:
                continue  # vanished between the two calls: try to claim again
            state = _claim_state(found[0])
            if isinstance(state, int):
                return state
            if not self._abandoned(state):
                return None  # another writer is appending it now
            after = min(after, _int(state.get("after"), 0))
            claim = json.dumps({"claimed_at": time.time(), "after": after, "owner": _owner(nonce)})
            if self.backend.swap(id_key, claim.encode(), found[1]):
                logged = self._find_logged(event_id, after)
                if logged is not None:  # the crashed writer logged it, then died: index it
                    self.backend.overwrite(id_key, str(logged).encode())
                    return logged
                break  # took over an abandoned claim
        try:
            cursor = after
            while True:
                cursor += 1
                if not self._still_ours(id_key, nonce):
                    return None  # we outlived our claim: its new writer logs the event
                if self.backend.create(layout.event(cursor), build(cursor)):
                    break
                cursor = max(cursor, self.last_cursor())  # the hint lagged: look at the log
        except BaseException:
            self._release(id_key, nonce)  # let the next writer take over at once
            raise
        self.backend.overwrite(id_key, str(cursor).encode())
        self.backend.overwrite(layout.EVENT_CURSOR, str(cursor).encode())
        self._mark_day(cursor)
        return cursor

    def _mark_day(self, cursor: int) -> None:
        """``events/days/<today>`` names a cursor logged today (the first writer's: created
        once). Whatever logged after the mark of a day was logged no earlier than that day."""
        day = layout.event_day(self.clock().astimezone(UTC).date())
        if day not in self._days_marked:
            self.backend.create(day, str(cursor).encode())
            self._days_marked.add(day)

    def cursor_before(self, at: datetime, margin: timedelta = timedelta(days=2)) -> int:
        """A cursor that every event logged at ``at`` or later comes after: the mark of the
        latest day at least ``margin`` before ``at`` (the margin covers clocks of different
        hosts and an event's time up to a few minutes after its logging), or 0 (the whole
        log) when no day that early is marked, as in a store from before day marks.

        An event's ``time`` is never after its logging (a capture is logged once taken;
        an import's ``captured_at`` is at most 5 minutes ahead of the clock), so a digest of
        the period from ``at`` on loses nothing by reading the log after this cursor."""
        try:
            limit = layout.event_day((at - margin).astimezone(UTC).date())
        except OverflowError:  # a period from year 1
            return 0
        days = [
            key
            for key in self.backend.list(layout.EVENT_DAYS)  # names only: one a day logged
            if layout.EVENT_DAY_NAME.fullmatch(key) and key <= limit
        ]
        for key in reversed(days):  # the latest readable mark at or before the limit
            try:
                value = self.backend.read(key).strip()
            except (ObjectNotFound, NotAFile):
                continue
            if value.isdigit() and len(value) <= 12:
                return max(int(value) - 1, 0)
        return 0

    def _abandoned(self, state: dict[str, Any]) -> bool:
        if state.get("released") or _dead(state.get("owner")):
            return True
        return time.time() - _float(state.get("claimed_at"), 0.0) >= self.claim_lease_s

    def _still_ours(self, id_key: str, nonce: str) -> bool:
        found = self.backend.read_versioned(id_key)
        if found is None:
            return False
        state = _claim_state(found[0])
        return isinstance(state, dict) and (state.get("owner") or {}).get("nonce") == nonce

    def _release(self, id_key: str, nonce: str) -> None:
        """Mark our claim abandoned after an error (best effort: else it expires)."""
        try:
            found = self.backend.read_versioned(id_key)
            if found is None:
                return
            state = _claim_state(found[0])
            if isinstance(state, dict) and (state.get("owner") or {}).get("nonce") == nonce:
                released = json.dumps({**state, "released": True}).encode()
                self.backend.swap(id_key, released, found[1])
        except Exception:  # the store is failing: the claim expires after its lease
            log.warning("could not release the claim %s in %s", id_key, self.url)

    def _find_logged(self, event_id: str, after: int) -> int | None:
        """The cursor of a log entry after ``after`` holding this event id, if any."""
        for cursor, event in self.events(after, quiet=True):
            if event.get("id") == event_id:
                return cursor
        return None

    def has_event(self, event_id: str) -> bool:
        """Whether an event is in the log (a writer's claim on it does not count: a claim
        whose writer died is taken over by the next :meth:`append_event`)."""
        found = self.backend.read_versioned(layout.event_id(event_id))
        return found is not None and found[0].strip().isdigit()

    def events(
        self, since: int = 0, quiet: bool = False, skipped: list[int] | None = None
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """(cursor, event) for every logged event after ``since``, in order.

        An entry that is not a JSON object (truncated, garbage) is skipped with a warning on
        stderr naming its key (``quiet``: silently), and its cursor added to ``skipped``;
        ``clausewatch verify`` names it too."""
        for key in self.backend.list(layout.EVENT_LOG, start_after=layout.event(since)):
            cursor = layout.event_cursor(key)
            if cursor is None:
                continue
            try:
                event = load_json(self.backend.read(key))
            except (ValueError, ObjectNotFound, NotAFile) as exc:
                event = exc
            if not isinstance(event, dict):
                if not quiet:
                    _warn(
                        f"skipping event log entry {key} in {self.url}: not a JSON event "
                        "(truncated or damaged); see `clausewatch verify`"
                    )
                if skipped is not None:
                    skipped.append(cursor)
                continue
            yield cursor, event

    def _cursor_hint(self) -> int:
        hint = self.backend.read_versioned(layout.EVENT_CURSOR)
        if not hint:
            return 0
        value = hint[0].strip()
        if (
            value.isdigit()
            and len(value) <= 12  # cursors have 12 digits (int() refuses over 4300)
            and self.backend.exists(layout.event(int(value)))
        ):
            return int(value)  # the hint is written after its entry: it names one that exists
        if value == b"0":
            return 0
        log.warning(
            "events/cursor in %s is not the cursor of a log entry: reading the log instead",
            self.url,
        )
        return 0  # a damaged hint (garbage, or ahead of the log): last_cursor reads the log

    def last_cursor(self) -> int:
        """The highest cursor in the log (0 for an empty log): from the hint
        (``events/cursor``), then a listing of what was logged after it, so the cost is that
        of the entries the hint lags by, not of the log."""
        last = self._cursor_hint()
        for key in self.backend.list(layout.EVENT_LOG, start_after=layout.event(last)):
            last = max(last, layout.event_cursor(key) or 0)
        return last


STRAY_HEAD = (
    "not the head of a document (heads/<document id>.json, the id in lower-case letters, "
    "digits, '.', '-' and '_'): move or remove it"
)


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _claim_state(data: bytes) -> int | dict[str, Any]:
    """A finished id (its cursor) or a claim; a damaged claim counts as abandoned."""
    text = data.strip()
    if text.isdigit():
        return int(text)
    try:
        state = load_json(text)
    except ValueError:
        return {"released": True}
    return state if isinstance(state, dict) else {"released": True}


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and value >= 0 else default


def _float(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) else default


@functools.cache
def _machine() -> tuple[str, str | None]:
    """This machine's name and boot id (a pid names one process only within one boot)."""
    try:
        boot: str | None = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = None
    return socket.gethostname(), boot


def _started(pid: int) -> int | None:
    """When a live process started (clock ticks since boot); None if it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def _owner(nonce: str) -> dict[str, Any]:
    host, boot = _machine()
    pid = os.getpid()
    return {"host": host, "boot": boot, "pid": pid, "started": _started(pid), "nonce": nonce}


def _dead(owner: Any) -> bool:
    """Whether a claim's writer is known to be dead: a process of this machine and boot that
    is gone (or whose pid now names another process). Unknown means alive: the lease decides."""
    if not isinstance(owner, dict):
        return False
    host, boot = _machine()
    if boot is None or owner.get("host") != host or owner.get("boot") != boot:
        return False
    pid, started = owner.get("pid"), owner.get("started")
    if not isinstance(pid, int) or not isinstance(started, int):
        return False
    return _started(pid) != started


def open_store(url: str) -> Store:
    """Open a store from a URL: ``file:///path``, a plain path, or ``s3://bucket/prefix``.

    An empty URL, ``file:`` without a path and an S3 prefix with an empty, ``.`` or ``..``
    segment are refused: each would silently pick another place (the current directory, the
    bucket root, literal ``..`` keys) than the one meant."""
    if not url.strip():
        raise InputError(
            "the store URL is empty: give --store PATH, file:///PATH or s3://BUCKET/PREFIX "
            "(or set CLAUSEWATCH_STORE)"
        )
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise InputError(f"store URL {url!r} names no bucket: use s3://BUCKET/PREFIX")
        prefix = parsed.path.removeprefix("/").removesuffix("/")
        if prefix and any(seg in ("", ".", "..") for seg in prefix.split("/")):
            raise InputError(
                f"store URL {url!r}: the prefix has an empty, '.' or '..' segment "
                "(S3 keeps them literally): use s3://BUCKET/PREFIX with plain segments"
            )
        from clausewatch.storage.s3 import (
            S3Backend,  # boto3 costs 0.4 s to import: only for S3 stores
        )

        return Store(S3Backend(parsed.netloc, prefix))
    if parsed.scheme == "file":
        if not parsed.path:
            raise InputError(f"store URL {url!r} names no path: use file:///ABSOLUTE/PATH")
        return Store(LocalBackend(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:
        raise InputError(
            f"unsupported store URL {url!r}: use file:///PATH, a path, or s3://BUCKET/PREFIX"
        )
    return Store(LocalBackend(url))
