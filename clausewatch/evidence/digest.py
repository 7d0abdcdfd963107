"""The digest: what happened in a period, per entity and document, read from the event log.

Only document events (``dev.clausewatch.document.*``) count towards documents; the others
(a ``store.sealed`` event, say) are listed apart, under ``other_events``. Every string from the
log is untrusted: the Markdown escapes it (no control characters, no Markdown or HTML), the HTML
escapes it.
"""

from __future__ import annotations

import html
import re
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from clausewatch.errors import InputError
from clausewatch.events import cloudevents as events
from clausewatch.events.models import DigestCounts, DigestData
from clausewatch.markdown import code, md, printable
from clausewatch.storage.store import Store
from clausewatch.times import utc_z

_PERIOD = re.compile(r"^(\d+)\s*([hdw])$")
_FAILURES = (events.FETCH_FAILED, events.EXTRACTION_FAILED)


def parse_since(value: str, now: datetime) -> datetime:
    """``7d``, ``24h``, ``2w`` before ``now``, or an ISO 8601 date or time."""
    if m := _PERIOD.match(value.strip().lower()):
        unit = {"h": "hours", "d": "days", "w": "weeks"}[m[2]]
        try:
            return now - timedelta(**{unit: int(m[1])})
        except OverflowError:  # more days than a C int holds, or a start before year 1
            raise InputError(
                f"--since {value!r} reaches back before year 1: use a shorter period "
                "or an ISO 8601 date"
            ) from None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--since {value!r}: use 7d, 24h, 2w or an ISO 8601 date") from None
    try:  # in UTC now: an offset at the calendar's edge (0001-01-01T00:00+01:00) is out of range
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except OverflowError:
        raise InputError(
            f"--since {value!r} is outside years 1 to 9999 in UTC: use a date inside them"
        ) from None


def build(store: Store, since: datetime, until: datetime) -> dict[str, Any]:
    """Per entity and document: changes (by class), clauses touched, failures, archived; and
    the events about no document (a seal), apart."""
    docs: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"changes": [], "clauses_touched": 0, "failures": 0, "archived": 0, "captured": 0}
    )
    other: list[dict[str, Any]] = []
    for cursor, event in store.events(store.cursor_before(since)):
        at = _event_time(event)
        if at is None or not isinstance(event.get("type"), str):
            print(
                f"warning: skipping event log entry events/log/{cursor:012d}.json in "
                f"{store.url}: no type or time; see `clausewatch verify`",
                file=sys.stderr,
            )
            continue
        if not since <= at < until or event["type"] == events.DIGEST:
            continue
        if not str(event["type"]).startswith(events.PREFIX):
            other.append(
                {"time": event["time"], "type": event["type"], "subject": event.get("subject")}
            )
            continue
        data = event.get("data") or {}
        document = data.get("document") or {}
        row = docs[(document.get("entity") or "(no entity)", str(event.get("subject")))]
        row["title"] = document.get("title") or row.get("title") or ""
        kind = event["type"]
        if kind in (events.CHANGED, events.COSMETIC, events.FLAPPING):
            row["changes"].append(
                {
                    "time": event["time"],
                    "type": kind.rsplit(".", 1)[1],
                    "change_class": data.get("change_class"),
                    "summary": data.get("summary", {}),
                }
            )
            row["clauses_touched"] += len(data.get("clauses", []))
        elif kind in _FAILURES:
            row["failures"] += 1
        elif kind == events.ARCHIVED:
            row["archived"] += 1
        elif kind == events.CAPTURED:
            row["captured"] += 1
    entities: dict[str, dict[str, Any]] = defaultdict(dict)
    for (entity, document), row in sorted(docs.items()):
        entities[entity][document] = row
    return {
        "since": utc_z(since, "seconds"),
        "until": utc_z(until, "seconds"),
        "documents": len(docs),
        "changes": sum(len(r["changes"]) for r in docs.values()),
        "failures": sum(r["failures"] for r in docs.values()),
        "entities": entities,
        "other_events": other,
    }


def _event_time(event: dict[str, Any]) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(event.get("time")).replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def markdown(digest: dict[str, Any]) -> str:
    lines = [
        f"# clausewatch digest, {digest['since']} to {digest['until']}",
        "",
        f"{digest['changes']} change(s) and {digest['failures']} failure(s) "
        f"across {digest['documents']} document(s).",
        "",
    ]
    for entity, docs in digest["entities"].items():
        lines.append(f"## {md(entity)}")
        lines.append("")
        for document, row in docs.items():
            lines.append(
                f"- **{md(str(row['title'] or document))}** ({code(document)}): "
                f"{len(row['changes'])} change(s), {row['clauses_touched']} clause(s) touched, "
                f"{row['failures']} failure(s), {row['archived']} archived"
            )
            for change in row["changes"]:
                counts = ", ".join(
                    f"{md(str(n))} {md(str(k))}" for k, n in change["summary"].items() if n
                )
                lines.append(
                    f"  - {change['time']}: "
                    f"{md(str(change['change_class'] or change['type']))}"
                    + (f" ({counts})" if counts else "")
                )
        lines.append("")
    if digest.get("other_events"):
        lines += ["## Other events", ""]
        lines += [
            f"- {e['time']}: {md(str(e['type']))} ({code(str(e['subject']))})"
            for e in digest["other_events"]
        ]
        lines.append("")
    return "\n".join(lines)


def to_html(digest: dict[str, Any]) -> str:
    """A standalone HTML page; every captured or configured string is escaped (and has no
    control characters, so the page printed to a terminal cannot drive it)."""

    def e(text: Any) -> str:
        return html.escape(printable(str(text)))

    parts = [
        f"<!doctype html><meta charset=utf-8><title>clausewatch digest</title>"
        f"<h1>clausewatch digest, {e(digest['since'])} to {e(digest['until'])}</h1>",
        f"<p>{digest['changes']} change(s) and {digest['failures']} failure(s) across "
        f"{digest['documents']} document(s).</p>",
    ]
    for entity, docs in digest["entities"].items():
        parts.append(
            f"<h2>{e(entity)}</h2><table><tr><th>document</th><th>changes</th>"
            "<th>clauses touched</th><th>failures</th><th>archived</th></tr>"
        )
        for document, row in docs.items():
            parts.append(
                f"<tr><td>{e(row['title'] or document)} ({e(document)})</td>"
                f"<td>{len(row['changes'])}</td><td>{row['clauses_touched']}</td>"
                f"<td>{row['failures']}</td><td>{row['archived']}</td></tr>"
            )
        parts.append("</table>")
    if digest.get("other_events"):
        parts.append("<h2>Other events</h2><ul>")
        parts += [
            f"<li>{e(o['time'])}: {e(o['type'])} ({e(o['subject'])})</li>"
            for o in digest["other_events"]
        ]
        parts.append("</ul>")
    return "".join(parts) + "\n"


def digest_event(digest: dict[str, Any], now: datetime) -> dict[str, Any]:
    data = DigestData(
        **{k: digest[k] for k in ("since", "until", "documents", "changes", "failures")},
        entities={
            entity: {
                doc: DigestCounts(changes=len(row["changes"]), failures=row["failures"])
                for doc, row in docs.items()
            }
            for entity, docs in digest["entities"].items()
        },
    )
    ident = events.event_id(events.DIGEST, digest["since"], digest["until"])
    return events.cloudevent(events.DIGEST, ident, "digest", now, data)
