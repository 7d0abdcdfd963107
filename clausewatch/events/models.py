"""The events as pydantic models: the CloudEvent envelope and each type's ``data``.

The events are built through these models (``clausewatch.events.cloudevents``) and the published JSON
Schemas in ``clausewatch/schema_files/events/`` are generated from them (``make schemas``), so
the schemas cannot drift from what is emitted. A field declared :data:`Omitted` is left out of
the JSON when it is None (it is not in the schema's ``required``, and not nullable); every other
field is always present, null or not. Fields are declared in the order the JSON gives them.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    model_serializer,
)
from pydantic.json_schema import SkipJsonSchema

from clausewatch.changes.diff import ChangeKind, OpKind
from clausewatch.storage.models import DOCUMENT_ID

T = TypeVar("T")

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Link = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
Timestamp = Annotated[str, WithJsonSchema({"format": "date-time", "type": "string"})]
Count = Annotated[int, Field(ge=0)]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class _Model(BaseModel):
    """No other keys; :data:`Omitted` fields named in ``_omitted`` dropped when None."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    _omitted: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _drop_omitted(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        dumped: dict[str, Any] = handler(self)
        for name in self._omitted:
            if dumped.get(name, 0) is None:
                del dumped[name]
        return dumped


def _extensions_allowed(schema: dict[str, Any]) -> None:
    schema.pop("additionalProperties", None)


def omitted(description: str | None = None) -> Any:
    """A field left out of the JSON (and not required by the schema) when None."""
    return Field(default=None, description=description, json_schema_extra=_no_default)


class Document(_Model):
    # the catalog facts about the document (storage.models.DocumentRef, every field present)
    id: str = Field(pattern=DOCUMENT_ID.pattern)
    entity: str
    title: str
    type: str
    url: str


class Version(_Model):
    manifest: Sha256
    content_hash: Sha256
    version: int = Field(ge=1)
    captured_at: Timestamp


class Links(_Model):
    content: Link
    manifest: Link


class WordOp(_Model):
    op: OpKind
    text: str


class Clause(_Model):
    clause: str | None = Field(
        description="Stable clause id across versions (c1, c2, ...): the lineage of the clause."
    )
    change: ChangeKind
    path: list[str]
    before: str | None
    after: str | None
    word_ops: list[WordOp] | None = Field(
        description="For a modified clause, the word diff as operations in order (the words "
        "kept, removed and added, each run's words joined by single spaces); null for other "
        "changes. Rendering it with markers is the consumer's: the text may contain anything, "
        "markers included."
    )


MAX_CLAUSES = 50  # clauses listed in a change event at most (the rest: ``truncated``)
Clauses = Annotated[list[Clause], Field(max_length=MAX_CLAUSES)]
Summary = dict[ChangeKind, Count]


class EventData(_Model):
    """The ``data`` of an event."""


class CapturedData(EventData):
    document: Document
    current: Version
    links: Links
    clause_count: Count


class FlappingData(EventData):
    document: Document
    current: Version
    links: Links
    previous: Version


class ChangedData(FlappingData):
    change_class: Literal["substantive", "reverted"] = Field(
        description="substantive: the words changed; reverted: they returned to a recent version's."
    )
    summary: Summary
    clauses: Clauses
    truncated: bool


class CosmeticData(FlappingData):
    change_class: Literal["cosmetic"]
    summary: Summary
    clauses: Clauses
    truncated: bool


class RecoveredData(EventData):
    document: Document
    failed_since: Timestamp
    consecutive_failures: int = Field(ge=1)


class FetchFailedData(EventData):
    _omitted = ("consecutive_failures",)
    document: Document
    error: str
    http_status: int | None
    consecutive_failures: Annotated[int, Field(ge=1)] | SkipJsonSchema[None] = omitted()


class ExtractionFailedData(EventData):
    _omitted = ("reason",)
    document: Document
    error: str
    http_status: int | None
    reason: Literal["suspect"] | SkipJsonSchema[None] = omitted(
        'Why, when more than "no text": "suspect" for a page held back as not the document '
        "(retried at the next capture)."
    )


class ArchivedData(EventData):
    document: Document
    manifest: Sha256
    content_hash: Sha256
    url: str
    archive_url: str = Field(min_length=1)
    timestamp: str | None


class DigestCounts(_Model):
    changes: Count
    failures: Count


class DigestData(EventData):
    since: Timestamp
    until: Timestamp
    documents: Count
    changes: Count
    failures: Count
    entities: dict[str, dict[str, DigestCounts]] = Field(
        description="Per entity, per document: the changes and failures in the period."
    )


class SealedData(EventData):
    seal: str
    seal_sha256: Sha256
    merkle_root: Sha256
    documents: Count
    previous: Sha256 | None


class CloudEvent(_Model):
    """A CloudEvent 1.0 in structured JSON mode; each type's model fixes ``type`` and
    ``data`` (and ``subject`` for the events about no document)."""

    # extension attributes are allowed (CloudEvents), though none but ``sequence`` is emitted
    model_config = ConfigDict(json_schema_extra=_extensions_allowed)
    _omitted = ("sequence",)
    title: ClassVar[str] = ""
    specversion: Literal["1.0"]
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str
    subject: str
    time: Timestamp
    datacontenttype: Literal["application/json"]
    data: EventData
    sequence: Annotated[str, Field(pattern=r"^[0-9]{12}$")] | SkipJsonSchema[None] = omitted(
        "Event-log cursor (CloudEvents sequence extension); present on logged events."
    )


class CapturedEvent(CloudEvent):
    """The first version of a document was recorded."""

    title = "Document first captured"
    type: Literal["dev.clausewatch.document.captured"]
    data: CapturedData


class ChangedEvent(CloudEvent):
    """The legal text of a document changed (a substantive change)."""

    title = "Document changed"
    type: Literal["dev.clausewatch.document.changed"]
    data: ChangedData


class CosmeticEvent(CloudEvent):
    """Same words, other form (punctuation, casing, typography, layout, numbering). Raised
    only when CLAUSEWATCH_EVENTS_COSMETIC is on."""

    title = "Document changed cosmetically"
    type: Literal["dev.clausewatch.document.cosmetic"]
    data: CosmeticData


class FlappingEvent(CloudEvent):
    """The page started alternating between recent versions (a revert right after a revert);
    further alternations raise no event until the text settles."""

    title = "Document flapping"
    type: Literal["dev.clausewatch.document.flapping"]
    data: FlappingData


class ArchivedEvent(CloudEvent):
    """The Wayback Machine holds an independent copy of a recorded version (Save Page Now)."""

    title = "Document archived"
    type: Literal["dev.clausewatch.document.archived"]
    data: ArchivedData


class FetchFailedEvent(CloudEvent):
    """A page could not be captured (after retries) this many checks in a row
    (CLAUSEWATCH_FETCH_FAILURES); raised once per streak."""

    title = "Fetch failed"
    type: Literal["dev.clausewatch.document.fetch_failed"]
    data: FetchFailedData


class RecoveredEvent(CloudEvent):
    """A document that raised fetch_failed could be captured again."""

    title = "Document recovered"
    type: Literal["dev.clausewatch.document.recovered"]
    data: RecoveredData


class ExtractionFailedEvent(CloudEvent):
    """A captured page gave no legal text (a selector matched nothing, the page is empty), or
    was held back as not the document (reason "suspect": an error, challenge, sign-in or
    redirect page, or a collapse of the text)."""

    title = "Extraction failed"
    type: Literal["dev.clausewatch.document.extraction_failed"]
    data: ExtractionFailedData


class DigestEvent(CloudEvent):
    """A periodic summary of the event log (clausewatch digest, weekly deployment)."""

    title = "Digest"
    type: Literal["dev.clausewatch.digest"]
    subject: Literal["digest"]
    data: DigestData


class SealedEvent(CloudEvent):
    """A Merkle root over every document head, chained to the previous seal (clausewatch
    seal)."""

    title = "Store sealed"
    type: Literal["dev.clausewatch.store.sealed"]
    subject: Literal["store"]
    data: SealedData


EVENT_MODELS: tuple[type[CloudEvent], ...] = (
    CapturedEvent,
    ChangedEvent,
    CosmeticEvent,
    FlappingEvent,
    ArchivedEvent,
    FetchFailedEvent,
    RecoveredEvent,
    ExtractionFailedEvent,
    DigestEvent,
    SealedEvent,
)
BY_TYPE: dict[str, type[CloudEvent]] = {
    m.model_fields["type"].annotation.__args__[0]: m  # type: ignore[union-attr]
    for m in EVENT_MODELS
}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with every ``$ref`` replaced by its definition and no generated titles (the
    models have no recursion, so the published schemas read as one tree each)."""
    if isinstance(node, list):
        return [_inline(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        found = defs[node["$ref"].rsplit("/", 1)[-1]]
        return _inline({**found, **{k: v for k, v in node.items() if k != "$ref"}}, defs)
    out = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: _inline(sub, defs) for name, sub in value.items()}
        elif key != "title":
            out[key] = _inline(value, defs)
    return out


def event_schema(model: type[CloudEvent]) -> dict[str, Any]:
    """The published JSON Schema of one event type."""
    generated = model.model_json_schema()
    name = str(model.model_fields["type"].annotation.__args__[0]).rsplit(".", 1)[-1]  # type: ignore[union-attr]
    inlined: dict[str, Any] = _inline(generated, generated.pop("$defs", {}))
    return {
        "$id": f"https://clausewatch.dev/schemas/events/{name}.schema.json",
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": model.title,
        **inlined,
        "description": " ".join((model.__doc__ or "").split()),
    }
