"""Typed records kept in the store: manifests, head pointers and check records.

Each has one serialiser (:func:`dump`) producing canonical JSON, so a manifest's bytes, and so
its hash, are a pure function of its fields. JSON Schemas are published in ``schemas/``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MANIFEST_FORMAT: Final = "clausewatch.manifest/1"
HEAD_FORMAT: Final = "clausewatch.head/1"
CHECK_FORMAT: Final = "clausewatch.check/1"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
ChangeClass = Literal["first", "substantive", "cosmetic", "reverted", "flapping", "language"]
RECENT_VERSIONS = 8  # how many earlier substances a head remembers, to recognise reverts
MAX_FLIPS = 256  # how many word replacements a head remembers, to recognise flip-flops
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
DOCUMENT_ID = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?$")


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must carry a timezone")
    return value.astimezone(UTC)


class DocumentRef(Record):
    """The catalog facts about a document, copied into each of its manifests."""

    id: str = Field(pattern=DOCUMENT_ID.pattern)
    entity: str = ""
    title: str = ""
    type: str = ""
    url: str


class BlobRef(Record):
    """A blob named by its SHA-256, with its size and media type."""

    sha256: str = Field(pattern=SHA256.pattern)
    size: int = Field(ge=0)
    media_type: str


class ExtractionInfo(Record):
    method: Literal["auto", "select"]
    extractor: str
    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    clause_count: int = Field(ge=0)
    part: str | None = Field(
        default=None,
        description="The URL fragment naming the part of the page that is the document.",
    )


class Manifest(Record):
    """One version of a document: what was captured, when, from where, and its blobs.

    ``previous`` is the hash of the previous version's manifest, so a document's history is a
    hash chain from its head back to its first version.
    """

    format: Literal["clausewatch.manifest/1"] = MANIFEST_FORMAT
    document: DocumentRef
    version: int = Field(ge=1)
    previous: str | None = Field(default=None, pattern=SHA256.pattern)
    captured_at: datetime
    source: Literal["browser", "import", "reextract"]
    request_url: str
    final_url: str | None = None
    http_status: int | None = None
    http_headers: dict[str, str] = Field(default_factory=dict)
    browser: str | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)
    blobs: dict[str, BlobRef]
    content_hash: str = Field(pattern=SHA256.pattern)
    substance_hash: str = Field(pattern=SHA256.pattern)
    change_class: ChangeClass
    settled: bool | None = Field(
        default=None, description="False when capture stopped waiting for the DOM to go quiet."
    )
    reextracted_from: str | None = Field(default=None, pattern=SHA256.pattern)
    language: str | None = Field(
        default=None,
        pattern=LANGUAGE.pattern,
        description="The language the text is written in (ISO 639-1), when it can be told.",
    )
    extraction: ExtractionInfo

    _check_time = field_validator("captured_at")(_utc)


class Head(Record):
    """The pointer to a document's latest version; moved only by compare-and-swap."""

    format: Literal["clausewatch.head/1"] = HEAD_FORMAT
    document: str
    manifest: str = Field(pattern=SHA256.pattern)
    content_hash: str = Field(pattern=SHA256.pattern)
    substance_hash: str = Field(pattern=SHA256.pattern)
    change_class: ChangeClass
    recent: tuple[str, ...] = Field(
        default=(),
        max_length=RECENT_VERSIONS,
        description="Earlier substance hashes, newest first.",
    )
    version: int = Field(ge=1)
    captured_at: datetime
    event_id: str | None
    language: str | None = Field(default=None, pattern=LANGUAGE.pattern)
    languages: dict[str, str] = Field(
        default_factory=dict,
        max_length=RECENT_VERSIONS,
        description="The substance hash of the latest version in each language seen.",
    )
    flips: tuple[tuple[str, str, str], ...] = Field(
        default=(),
        max_length=MAX_FLIPS,
        description=(
            "Word replacements seen in recent versions, newest first: (the clause, as a hash "
            "of its other words; the old word; the new word)."
        ),
    )

    _check_time = field_validator("captured_at")(_utc)


class CheckRecord(Record):
    """An unchanged check: a few hundred bytes saying the head was still current."""

    format: Literal["clausewatch.check/1"] = CHECK_FORMAT
    document: str
    checked_at: datetime
    manifest: str = Field(pattern=SHA256.pattern)
    content_hash: str = Field(pattern=SHA256.pattern)
    page_sha256: str | None = None

    _check_time = field_validator("checked_at")(_utc)


def dump(record: BaseModel) -> bytes:
    """Canonical JSON bytes of a record: sorted keys, compact, UTF-8."""
    data = record.model_dump(mode="json", exclude_none=False)
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def load_json(data: bytes | str) -> Any:
    """``json.loads`` for bytes read from a store: nesting too deep for the parser (a damaged or
    hostile file of ``[[[[...``) raises ValueError like any other bad JSON, not RecursionError,
    so every reader skips it with its usual warning and ``verify`` names it."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("not JSON: nested too deeply") from None


def summary(exc: BaseException) -> str:
    """Why a record did not parse, on one line and without the input bytes: a pydantic error
    gives its first error's location, type and message (and how many more), anything else its
    text with newlines folded."""
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_url=False, include_input=False)
        if errors:
            first = errors[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            text = f"{where + ': ' if where else ''}{first.get('msg', '')} [{first.get('type')}]"
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            return " ".join(f"{text}{more}".split())[:300]
    return " ".join(str(exc).split())[:300]
