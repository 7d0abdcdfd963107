"""What the pipeline passes around: a capture, the document it is recorded into, what a check
found. Plain data, so every stage (capture, import, record, monitor, reports) shares it without
importing the recorder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from clausewatch.changes.diff import ClauseDiff
from clausewatch.changes.lineage import Lineage
from clausewatch.storage.models import ChangeClass, DocumentRef

Status = Literal["first", "changed", "unchanged", "error", "not-due"]


@dataclass(frozen=True)
class Capture:
    """The evidence of one visit to a page (from the browser, or a saved file)."""

    url: str
    captured_at: datetime
    source: Literal["browser", "import"]
    body: bytes
    dom: bytes | None = None
    screenshot: bytes | None = None
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    browser: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    settled: bool | None = None  # False: the DOM was still changing when capture stopped waiting

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


@dataclass(frozen=True)
class Outcome:
    """What a check of one document found."""

    document: str
    status: Status
    changed: bool = False
    content_hash: str | None = None
    manifest: str | None = None
    previous_manifest: str | None = None
    version: int | None = None
    change_class: ChangeClass | None = None
    event: dict[str, Any] | None = None
    diff: ClauseDiff | None = None
    lineages: tuple[Lineage | None, Lineage | None] = (None, None)
    error: str | None = None
    error_type: str | None = None
    counts: dict[str, int] | None = None  # the diff's counts, kept when the diff is dropped

    def as_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "status": self.status,
            "changed": self.changed,
            "change_class": self.change_class,
            "content_hash": self.content_hash,
            "manifest": self.manifest,
            "previous_manifest": self.previous_manifest,
            "version": self.version,
            "event_id": self.event["id"] if self.event else None,
            "summary": dict(self.diff.counts) if self.diff else self.counts,
            "error": self.error,
            "error_type": self.error_type,
        }


@dataclass(frozen=True)
class Target:
    """A document to record into: its catalog facts and extraction settings."""

    ref: DocumentRef
    select: Sequence[str] = ()
    remove: Sequence[str] = ()
