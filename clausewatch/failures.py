"""Fetch-failure streaks: one alert after N failures in a row, one when the document is back.

A document's streak lives in the store (``failures/<document>.json``): how many checks in a
row failed to capture it, since when, and the last error. ``fetch_failed`` is raised when the
streak reaches ``CLAUSEWATCH_FETCH_FAILURES`` (default 2: one bad check in a flaky network is
not news), and ``recovered`` when a capture succeeds after such an alert.
"""

from __future__ import annotations

import os
from datetime import datetime

from storage.models import Record, dump
from storage.store import Store, check_document_id

DEFAULT_THRESHOLD = 2


class Streak(Record):
    document: str
    count: int
    since: datetime
    last_error: str


def threshold() -> int:
    return max(1, int(os.environ.get("CLAUSEWATCH_FETCH_FAILURES", DEFAULT_THRESHOLD)))


def _key(document: str) -> str:
    return f"failures/{check_document_id(document)}.json"


def failed(store: Store, document: str, at: datetime, error: str) -> Streak:
    """Add a failure to the document's streak and return it."""
    found = store.backend.read_versioned(_key(document))
    current = Streak.model_validate_json(found[0]) if found else None
    if current is None or current.count == 0:
        streak = Streak(document=document, count=1, since=at, last_error=error)
    else:
        streak = current.model_copy(update={"count": current.count + 1, "last_error": error})
    store.backend.overwrite(_key(document), dump(streak))
    return streak


def succeeded(store: Store, document: str) -> Streak | None:
    """End the document's streak; returns the streak that ended, if there was one."""
    found = store.backend.read_versioned(_key(document))
    if found is None:
        return None
    streak = Streak.model_validate_json(found[0])
    if streak.count == 0:
        return None
    store.backend.overwrite(_key(document), dump(streak.model_copy(update={"count": 0})))
    return streak
