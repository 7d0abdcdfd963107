"""The records kept in a store's evidence areas (:mod:`storage.layout` says where): Wayback
queue entries and attestations, captures the content-collapse guard held back, webhook delivery
states. They are defined here, below every module that writes them, so that
:mod:`storage.verify` can check them without importing those modules."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clausewatch.storage.models import BlobRef, DocumentRef, Record

EntryStatus = Literal["queued", "submitting", "pending", "archived", "skipped", "failed"]


class Entry(Record):
    """One version waiting for (or done with) its Wayback capture."""

    format: Literal["clausewatch.wayback-queue/1"] = "clausewatch.wayback-queue/1"
    document: str
    manifest: str
    url: str
    queued_at: datetime
    status: EntryStatus = "queued"
    attempts: int = 0
    next_attempt_at: datetime
    claimed_at: datetime | None = None
    job_id: str | None = None
    check_first: bool = False
    fresh: bool = False  # submit without if_not_archived_within: an older snapshot came back
    archive_url: str | None = None
    reason: str | None = None


class Attestation(Record):
    format: Literal["clausewatch.wayback-attestation/1"] = "clausewatch.wayback-attestation/1"
    document: str
    manifest: str
    content_hash: str
    url: str
    archive_url: str
    timestamp: str | None
    job_id: str | None
    recorded_at: datetime


class HeldCapture(Record):
    """A capture the guard held back, with what it takes to record it later."""

    document: DocumentRef
    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    reason: str
    head: str  # the manifest that was the head when the capture was held back
    url: str
    captured_at: datetime
    source: str
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    browser: str | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)
    settled: bool | None = None
    blobs: dict[str, BlobRef]
    accepted: str | None = None  # the manifest it became, once accepted


class DeliveryState(BaseModel):
    """An endpoint's delivery state (``webhooks/<endpoint>/state.json``), with its lease."""

    model_config = ConfigDict(extra="forbid")
    cursor: int = 0
    waiting: dict[str, list[int]] = Field(default_factory=dict)
    attempts: dict[str, int] = Field(default_factory=dict)
    next_attempt_at: dict[str, datetime] = Field(default_factory=dict)
    last_error: dict[str, str] = Field(default_factory=dict)
    delivered: int = 0
    dead: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None
