"""Times as clausewatch writes them: ISO 8601 in UTC, with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_z(value: datetime, timespec: str = "auto") -> str:
    """``2026-01-01T09:30:00.250000Z`` (``timespec="seconds"``: ``2026-01-01T09:30:00Z``).

    An aware time is converted to UTC first; a naive one is written as it is, without a zone."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat(timespec=timespec).replace("+00:00", "Z")
