"""Times as clausewatch writes them: ISO 8601 in UTC, with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime

from clausewatch.errors import InputError


def utc_z(value: datetime, timespec: str = "auto") -> str:
    """``2026-01-01T09:30:00.250000Z`` (``timespec="seconds"``: ``2026-01-01T09:30:00Z``).

    An aware time is converted to UTC first; a naive one is written as it is, without a zone."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat(timespec=timespec).replace("+00:00", "Z")


def parse_instant(value: str, name: str) -> datetime:
    """An ISO date or time given by a user (``name`` says where: ``--at``), in UTC; one
    without a zone is UTC. InputError naming ``name`` when it is not one, or out of range.

    >>> parse_instant("2026-05-01", "--at").isoformat()
    '2026-05-01T00:00:00+00:00'
    """
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise InputError(f"{name} {value[:40]!r}: give an ISO date or time (2026-05-01)") from None
