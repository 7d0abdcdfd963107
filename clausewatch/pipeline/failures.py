"""Fetch-failure streaks: one alert after N failures in a row, one when the document is back.

A document's streak lives in the store (``failures/<document>.json``): how many checks in a
row failed to capture it, since when, and the last error. ``fetch_failed`` is raised when the
streak reaches ``CLAUSEWATCH_FETCH_FAILURES`` (default 2: one bad check in a flaky network is
not news), and ``recovered`` when a capture succeeds after such an alert.

Both are idempotent, so a task retried after a transient store error counts nothing twice
and still raises its alert: a failure is counted once per check (``last_at``, the time of the
check that failed), and the streak remembers whether its alert is logged (``alerted``, set
only after the event is), so the alert fires once when the streak reaches or passes the
threshold, whatever happened in between.
"""

from __future__ import annotations

import logging
from datetime import datetime

from clausewatch.settings import settings
from clausewatch.storage import layout
from clausewatch.storage.models import Record, dump
from clausewatch.storage.store import Store

log = logging.getLogger(__name__)


class Streak(Record):
    document: str
    count: int
    since: datetime
    last_error: str
    last_at: datetime | None = None  # the check last counted (None: written before 0.x)
    alerted: bool | None = None  # fetch_failed logged for this streak (None: not recorded)

    @property
    def alert_logged(self) -> bool:
        if self.alerted is None:  # a streak written before ``alerted``: it fired at the threshold
            return self.count >= threshold()
        return self.alerted


def threshold() -> int:
    return max(1, settings().fetch_failures)


def _read(store: Store, document: str) -> Streak | None:
    found = store.backend.read_versioned(layout.failure(document))
    if found is None:
        return None
    try:
        return Streak.model_validate_json(found[0])
    except ValueError:  # a damaged streak starts again rather than stop every check
        log.warning(
            "%s: unreadable failure streak %s; starting a new one",
            document,
            layout.failure(document),
        )
        return None


def failed(store: Store, document: str, at: datetime, error: str) -> Streak:
    """Add the failure of the check at ``at`` to the document's streak (once, however often
    it is retried) and return the streak."""
    current = _read(store, document)
    if current is not None and current.count > 0 and current.last_at == at:
        return current  # this check was counted already (a retried task)
    if current is None or current.count == 0:
        streak = Streak(
            document=document, count=1, since=at, last_error=error, last_at=at, alerted=False
        )
    else:
        streak = current.model_copy(
            update={"count": current.count + 1, "last_error": error, "last_at": at}
        )
    store.backend.overwrite(layout.failure(document), dump(streak))
    return streak


def alerted(store: Store, streak: Streak) -> None:
    """Remember that the streak's ``fetch_failed`` event is logged."""
    store.backend.overwrite(
        layout.failure(streak.document), dump(streak.model_copy(update={"alerted": True}))
    )


def ending(store: Store, document: str) -> Streak | None:
    """The document's open streak, if any (a capture succeeded: it is about to end)."""
    streak = _read(store, document)
    return streak if streak is not None and streak.count > 0 else None


def succeeded(store: Store, document: str) -> Streak | None:
    """End the document's streak; returns the streak that ended, if there was one."""
    streak = ending(store, document)
    if streak is None:
        return None
    store.backend.overwrite(layout.failure(document), dump(streak.model_copy(update={"count": 0})))
    return streak
