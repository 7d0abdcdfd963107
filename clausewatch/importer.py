"""Recording saved pages without rendering them (back-fill from existing archives).

A batch is JSON Lines, one capture a line::

    {"document": "acme-privacy", "url": "https://acme.example/privacy",
     "file": "/path/to/saved.html", "captured_at": "2024-05-01T12:00:00Z"}

Optional keys: ``entity``, ``title``, ``type``. A document that is in the catalog given with
``--catalog`` takes its facts and selectors from there; one that is not is allowed (back-fill
without a catalog). One result per line, in order; an error on a line is reported on that line
and the batch goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from clausewatch.catalog import Catalog
from clausewatch.errors import ClausewatchError, InputError
from clausewatch.monitor import target_of
from clausewatch.record import Capture, Outcome, Target, record_capture
from storage.models import DocumentRef
from storage.store import Store, check_document_id

_REQUIRED = ("document", "url", "file", "captured_at")


def import_batch(
    store: Store, lines: Iterable[str], catalog: Catalog | None = None, source: str = "<batch>"
) -> Iterator[Outcome]:
    """Record every line of a batch; yields one outcome per non-blank line, in order."""
    known = {d.id: d for d in catalog.documents} if catalog else {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source} line {number}"
        try:
            spec = _parse(line, where)
        except InputError as exc:
            yield Outcome(_document_of(line), "error", error=str(exc), error_type="input")
            continue
        try:
            doc = known.get(spec["document"])
            target = target_of(doc) if doc else _target(spec)
            yield record_capture(store, target, _capture(spec, where))
        except ClausewatchError as exc:
            yield Outcome(
                spec["document"], "error", error=f"{where}: {exc}", error_type=type(exc).__name__
            )


def _parse(line: str, where: str) -> dict[str, Any]:
    try:
        spec = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON ({exc.msg}, column {exc.colno})") from None
    if not isinstance(spec, dict):
        raise InputError(f"{where}: expected a JSON object with keys {', '.join(_REQUIRED)}")
    missing = [k for k in _REQUIRED if not isinstance(spec.get(k), str) or not spec[k]]
    if missing:
        raise InputError(f"{where}: missing or empty {', '.join(missing)}")
    check_document_id(spec["document"])
    return spec


def _document_of(line: str) -> str:
    try:
        value = json.loads(line).get("document")
    except (json.JSONDecodeError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def _target(spec: dict[str, Any]) -> Target:
    ref = DocumentRef(
        id=spec["document"],
        url=spec["url"],
        entity=str(spec.get("entity", "")),
        title=str(spec.get("title", "")),
        type=str(spec.get("type", "")),
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
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{where}: cannot read {path}: {exc.strerror}") from None
    return Capture(url=spec["url"], captured_at=captured_at, source="import", body=body)
