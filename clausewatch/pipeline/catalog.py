"""The catalog: which documents to monitor, as YAML validated by pydantic.

    documents:
      - id: northwind-privacy          # unique slug; names the document in the store
        entity: Northwind AI
        title: Northwind AI Privacy Policy
        type: privacy policy
        url: https://northwind.example/privacy
        select: ["main article"]       # optional CSS selectors holding the legal text
        remove: [".share-buttons"]     # optional CSS selectors to drop inside them
        wait_for: "#policy-loaded"     # optional selector to wait for before capture
        priority: 10                   # optional: higher is checked first (default 0)
        every: 6h                      # optional: check at most this often (30m, 6h, 2d)

The JSON Schema is published as ``clausewatch/schema_files/catalog.schema.json`` (``clausewatch schema``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from clausewatch.errors import CatalogError
from clausewatch.storage.models import DOCUMENT_ID, DocumentRef
from clausewatch.urls import url_problem

MAX_CATALOG_BYTES = 64 * 1024 * 1024  # a catalog larger than this is refused, not parsed
MAX_EVERY = timedelta(days=3650)


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Selectors = Annotated[tuple[str, ...], BeforeValidator(_as_list)]


class CatalogDocument(BaseModel):
    """One monitored document."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(
        pattern=DOCUMENT_ID.pattern,
        description="Unique slug: lower-case letters, digits, '.', '-', '_'.",
    )
    entity: str = Field(min_length=1, description="Who publishes the document, e.g. 'Anthropic'.")
    title: str = Field(min_length=1)
    type: str = Field(min_length=1, description="e.g. 'privacy policy', 'terms of service'.")
    url: str = Field(description="http(s) URL of the page.")
    select: Selectors = Field(default=(), description="CSS selectors holding the legal text.")
    remove: Selectors = Field(default=(), description="CSS selectors to drop from the text.")
    wait_for: str | None = Field(default=None, description="CSS selector to wait for.")
    priority: int = Field(
        default=0, description="Documents with a higher priority are checked first in a run."
    )
    every: str | None = Field(
        default=None,
        pattern=r"^\d+[mhd]$",
        description="Check at most this often, e.g. '30m', '6h', '2d'; runs skip the document "
        "until its last check is that old (default: every run).",
    )

    def interval(self) -> timedelta | None:
        """``every`` as a duration (None: every run)."""
        if self.every is None:
            return None
        unit = {"m": "minutes", "h": "hours", "d": "days"}[self.every[-1]]
        return timedelta(**{unit: int(self.every[:-1])})

    @field_validator("every")
    @classmethod
    def _bounded_every(cls, value: str | None) -> str | None:
        if value is not None and value[:-1].isdigit():
            unit = {"m": "minutes", "h": "hours", "d": "days"}.get(value[-1])
            try:
                if unit and timedelta(**{unit: int(value[:-1])}) > MAX_EVERY:
                    raise ValueError
            except (OverflowError, ValueError):
                raise ValueError(f"{value!r} is too long: at most 3650d (ten years)") from None
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        problem = url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    def ref(self) -> DocumentRef:
        return DocumentRef(
            id=self.id, entity=self.entity, title=self.title, type=self.type, url=self.url
        )


class Catalog(BaseModel):
    """A list of documents with unique ids."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    documents: tuple[CatalogDocument, ...] = Field(min_length=1)

    @field_validator("documents")
    @classmethod
    def _unique_ids(cls, docs: tuple[CatalogDocument, ...]) -> tuple[CatalogDocument, ...]:
        seen: set[str] = set()
        for doc in docs:
            if doc.id in seen:
                raise ValueError(f"duplicate document id {doc.id!r}: ids must be unique")
            seen.add(doc.id)
        return docs


def load_catalog(path: str | Path) -> Catalog:
    """Read and validate a catalog; errors name the file, the document and the field."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_CATALOG_BYTES + 1)
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the catalog: {exc.strerror}") from exc
    if len(data) > MAX_CATALOG_BYTES:
        raise CatalogError(f"{path}: larger than {MAX_CATALOG_BYTES // 2**20} MB: not a catalog")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"{path}: not UTF-8 (byte {exc.start + 1}): save the catalog as UTF-8"
        ) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML: {exc}") from exc
    except RecursionError:
        raise CatalogError(f"{path}: nested too deeply to be a catalog") from None
    return parse_catalog(raw, str(path))


def parse_catalog(raw: Any, source: str = "<catalog>") -> Catalog:
    if not isinstance(raw, dict):
        raise CatalogError(f"{source}: a catalog is a mapping with a `documents:` list")
    try:
        return Catalog.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(_explain(exc, raw, source)) from None
    except RecursionError:
        raise CatalogError(f"{source}: nested too deeply to be a catalog") from None


def _explain(exc: ValidationError, raw: dict[str, Any], source: str) -> str:
    lines = []
    listed = raw.get("documents")
    docs: list[Any] = listed if isinstance(listed, list) else []
    errors = exc.errors()
    if len(errors) > 1:  # an empty list after failed entries is a consequence, not a cause
        errors = [e for e in errors if e["type"] != "too_short"]
    for err in errors:
        loc = list(err["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "documents" and isinstance(loc[1], int):
            entry = docs[loc[1]] if loc[1] < len(docs) else None
            ident = entry.get("id") if isinstance(entry, dict) else None
            where = f"document {ident!r} (entry {loc[1] + 1})" if ident else f"entry {loc[1] + 1}"
            loc = loc[2:]
        field = ".".join(str(p) for p in loc) or "documents"
        lines.append(f"{source}: {where + ': ' if where else ''}field {field!r}: {err['msg']}")
    return (
        "\n".join(lines) + "\nFix the catalog and run again (schema: clausewatch schema catalog)."
    )
