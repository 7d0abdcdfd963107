"""Recording saved pages without rendering them (back-fill from existing archives).

A batch is JSON Lines, one capture a line::

    {"document": "acme-privacy", "url": "https://acme.example/privacy",
     "file": "/path/to/saved.html", "captured_at": "2024-05-01T12:00:00Z"}

Optional keys: ``entity``, ``title``, ``type``. A document that is in the catalog given with
``--catalog`` takes its facts and selectors from there; one that is not is allowed (back-fill
without a catalog). One result per line, in order; an error on a line is reported on that line
and the batch goes on.

Extraction is pure, so with ``workers > 1`` it runs ahead in a pool of processes while this
process records the results strictly in input order (a bounded window: memory stays flat
whatever the batch size).

On a store in a local directory the captures are recorded in groups (``group`` lines, or
what was recorded within ``GROUP_SECONDS``) made durable by one sync each
(:mod:`storage.group`); a group's results are yielded only once it is durable, so a line that
was printed is on disk. On S3 every write is durable when it returns and lines are yielded one
by one.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import stat
import sys
import time
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clausewatch.errors import ClausewatchError, ExtractionError, InputError
from clausewatch.extractors import Extraction
from clausewatch.pipeline.catalog import Catalog
from clausewatch.pipeline.model import Capture, Outcome, Target
from clausewatch.pipeline.record import extract_capture, record_capture
from clausewatch.storage import layout
from clausewatch.storage.group import GroupCommit, GroupConflict
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.models import DOCUMENT_ID, DocumentRef
from clausewatch.storage.store import Store
from clausewatch.urls import url_problem

log = logging.getLogger(__name__)
_WORKER_DIED = "%s: an extraction worker died; extracting this line in the main process"
_REQUIRED = ("document", "url", "file", "captured_at")
_TEXT_FIELDS = ("entity", "title", "type")  # optional; a string, or null for none
Job = tuple[Target, Capture, str]  # what to record, and where the line came from
Extracted = Extraction | ExtractionError
MAX_FILE_BYTES = 64 * 1024 * 1024  # a saved page larger than this is refused, not read
MAX_CLOCK_SKEW = timedelta(minutes=5)  # captured_at may be this far ahead of the clock
GROUP_LINES = 64  # lines recorded per durable sync on a local store (1: a sync per write)
GROUP_SECONDS = 1.0  # a group is committed once it has been open this long, however small


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def import_batch(
    store: Store,
    lines: Iterable[str | bytes],
    catalog: Catalog | None = None,
    source: str = "<batch>",
    workers: int = 1,
    group: int = GROUP_LINES,
) -> Generator[Outcome, None, None]:
    """Record every line of a batch; yields one outcome per non-blank line, in order, each
    once it is durable."""
    known = {d.id: d for d in catalog.documents} if catalog else {}
    jobs = (
        _job(number, line, known, source)
        for number, line in enumerate(lines, start=1)
        if line.strip()
    )
    paired = _extracted(jobs, workers)
    if group <= 1 or not isinstance(store.backend, LocalBackend):
        for job, extracted in paired:
            yield _record(store, job, extracted)
        return
    with GroupCommit(store.backend) as grouped:
        view = Store(grouped, claim_lease_s=store.claim_lease_s, clock=store.clock)
        held: list[Outcome] = []
        opened = time.monotonic()
        for job, extracted in paired:
            held.append(_record(view, job, extracted))
            if len(held) >= group or time.monotonic() - opened >= GROUP_SECONDS:
                try:
                    grouped.commit()
                except GroupConflict as exc:
                    yield from _not_recorded(held, paired, exc)
                    return
                yield from held
                held = []
                opened = time.monotonic()
        try:
            grouped.commit()
        except GroupConflict as exc:
            yield from _not_recorded(held, iter(()), exc)
            return
        yield from held


def _record(store: Store, job: Job | Outcome, extracted: Extracted | None) -> Outcome:
    if isinstance(job, Outcome):
        return job
    target, capture, where = job
    try:
        return record_capture(store, target, capture, extracted)
    except ClausewatchError as exc:
        return Outcome(
            target.ref.id, "error", error=f"{where}: {exc}", error_type=type(exc).__name__
        )


def _not_recorded(
    held: list[Outcome],
    rest: Iterator[tuple[Job | Outcome, Extracted | None]],
    exc: GroupConflict,
) -> Iterator[Outcome]:
    """After a conflict the import stops: the group's lines and every line after it are
    errors (nothing of them is acknowledged), each still reported on its line."""
    for outcome in held:
        if outcome.status == "error":
            yield outcome  # its own error stands
        else:
            yield Outcome(outcome.document, "error", error=str(exc), error_type="GroupConflict")
    for job, _ in rest:
        if isinstance(job, Outcome):
            yield job
        else:
            yield Outcome(
                job[0].ref.id,
                "error",
                error=f"{job[2]}: not recorded: the import stopped at a conflict ({exc})",
                error_type="GroupConflict",
            )


def _extracted(
    jobs: Iterator[Job | Outcome], workers: int
) -> Iterator[tuple[Job | Outcome, Extracted | None]]:
    """Pair each job with its extraction, computed ``workers`` processes ahead."""
    if workers <= 1:
        for job in jobs:
            yield job, _extract_here(job)
        return
    window: deque[tuple[Job | Outcome, Future[Extraction] | None]] = deque()
    context = multiprocessing.get_context("forkserver")
    # imported once, before the workers fork (extract_capture is what they run)
    context.set_forkserver_preload(["clausewatch.pipeline.record"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for job in jobs:
            window.append((job, _submit(pool, job)))
            if len(window) >= 4 * workers:
                yield _settle(*window.popleft())
        while window:
            yield _settle(*window.popleft())


def _extract_here(job: Job | Outcome) -> Extracted | None:
    if isinstance(job, Outcome):
        return None
    try:
        return extract_capture(job[0], job[1])
    except ExtractionError as exc:
        return exc


def _submit(pool: ProcessPoolExecutor, job: Job | Outcome) -> Future[Extraction] | None:
    if isinstance(job, Outcome):
        return None
    target, capture, where = job
    try:
        # the very extraction recording runs (selectors, the URL's fragment, content type)
        return pool.submit(extract_capture, target, capture)
    except BrokenProcessPool:  # a worker died earlier: extract in this process from now on
        log.warning(_WORKER_DIED, where)
        return None


def _settle(
    job: Job | Outcome, future: Future[Extraction] | None
) -> tuple[Job | Outcome, Extracted | None]:
    if future is None:
        return job, None
    try:
        return job, future.result()
    except ExtractionError as exc:
        return job, exc
    except BrokenProcessPool:  # the worker died (out of memory, killed): extract it here instead
        log.warning(_WORKER_DIED, job.error if isinstance(job, Outcome) else job[2])
        return job, None


def _job(number: int, raw: str | bytes, known: dict[str, Any], source: str) -> Job | Outcome:
    where = f"{source} line {number}"
    line = ""
    try:
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{where}: not UTF-8 (byte {exc.start + 1}): save the batch as UTF-8"
                ) from None
        else:
            line = raw
        spec = _parse(line, where)
        doc = known.get(spec["document"])
        target = (
            Target(ref=doc.ref(), select=doc.select, remove=doc.remove) if doc else _target(spec)
        )
        return target, _capture(spec, where), where
    except InputError as exc:
        return Outcome(_document_of(line), "error", error=str(exc), error_type="input")


def _loads(line: str, where: str) -> Any:
    """The line's JSON value; anything the decoder refuses is an error for this line only."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON ({exc.msg}, column {exc.colno})") from None
    except RecursionError:
        raise InputError(f"{where}: nested too deeply to be an import line") from None
    except ValueError as exc:  # e.g. an integer longer than Python's 4300-digit limit
        if "digits" in str(exc):
            raise InputError(
                f"{where}: holds a number of more than {sys.get_int_max_str_digits()} digits, "
                "which cannot be read: fix the line"
            ) from None
        raise InputError(f"{where}: not a usable JSON line ({exc})") from None


def _parse(line: str, where: str) -> dict[str, Any]:
    spec = _loads(line, where)
    if not isinstance(spec, dict):
        raise InputError(f"{where}: expected a JSON object with keys {', '.join(_REQUIRED)}")
    missing = [k for k in _REQUIRED if not isinstance(spec.get(k), str) or not spec[k]]
    if missing:
        raise InputError(f"{where}: missing or empty {', '.join(missing)}")
    for key, value in spec.items():
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                bad = ord(value[exc.start])
                raise InputError(
                    f"{where}: {key} holds a lone surrogate (\\u{bad:04x}), which is not text: "
                    "fix the line"
                ) from None
    try:
        layout.document_id(spec["document"])
        if not DOCUMENT_ID.fullmatch(spec["document"]):  # `$` alone lets a trailing newline in
            raise InputError(f"invalid document id {spec['document']!r}: no newlines")
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    for key in _TEXT_FIELDS:  # stored as given: a list or a number is not a title
        value = spec.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(
                f"{where}: document {spec['document']!r}: {key} must be a string or null, "
                f"not {_json_type(value)}"
            )
    if "\x00" in spec["file"]:
        raise InputError(
            f"{where}: document {spec['document']!r}: file holds a NUL byte (\\x00), which no "
            "path can contain: fix the line"
        )
    problem = url_problem(spec["url"])
    if problem:
        raise InputError(f"{where}: document {spec['document']!r}: {problem}")
    return spec


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


def _document_of(line: str) -> str:
    try:
        value = json.loads(line).get("document")
    except (ValueError, RecursionError, AttributeError):  # JSONDecodeError is a ValueError
        return ""
    # echoed as given when it is printable (the contract names the bad id, e.g. "../evil");
    # newlines, control characters and lone surrogates are never echoed
    if not isinstance(value, str) or len(value) > 200 or not value.isprintable():
        return ""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return ""
    return value


def _target(spec: dict[str, Any]) -> Target:
    ref = DocumentRef(
        id=spec["document"],
        url=spec["url"],
        entity=spec.get("entity") or "",
        title=spec.get("title") or "",
        type=spec.get("type") or "",
    )
    return Target(ref=ref)


def _capture(spec: dict[str, Any], where: str) -> Capture:
    path = Path(spec["file"])
    try:
        captured_at = datetime.fromisoformat(spec["captured_at"].replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{where}: captured_at {spec['captured_at']!r} is not ISO 8601") from None
    if captured_at.tzinfo is None:
        raise InputError(f"{where}: captured_at {spec['captured_at']!r} needs a timezone (e.g. Z)")
    if captured_at > datetime.now(UTC) + MAX_CLOCK_SKEW:
        raise InputError(
            f"{where}: document {spec['document']!r}: captured_at {spec['captured_at']!r} is in "
            "the future (more than 5 minutes ahead of this clock): fix the time"
        )
    body = read_saved_page(path, where)
    return Capture(url=spec["url"], captured_at=captured_at, source="import", body=body)


def read_saved_page(path: Path, where: str) -> bytes:
    """A regular file's bytes, at most MAX_FILE_BYTES (a FIFO or device is refused, not read)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"{where}: cannot read {path}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(f"{where}: {path} is not a regular file: give a saved page")
        chunks = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"{where}: {path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, the limit "
                "for one saved page"
            )
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"{where}: cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
