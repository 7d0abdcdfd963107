"""Catalog validation: every bad input gets an error naming the file, document and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clausewatch.errors import CatalogError
from clausewatch.events import cloudevents as events
from clausewatch.pipeline.catalog import load_catalog
from clausewatch.schemas import SCHEMA_DIR, event_schema_path, schema_text, write_model_schemas

GOOD = """documents:
  - id: acme-privacy
    entity: Acme
    title: Acme Privacy Policy
    type: privacy policy
    url: https://acme.example/privacy
    select: main article
    remove: [".share", "nav"]
    wait_for: "#loaded"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    return path


def test_good_catalog(tmp_path: Path) -> None:
    [doc] = load_catalog(write(tmp_path, GOOD)).documents
    assert doc.select == ("main article",) and doc.remove == (".share", "nav")
    assert doc.ref().entity == "Acme"


ENTRY = "  - {{id: {id}, entity: Acme, title: T, type: privacy policy, url: '{url}'{extra}}}\n"


def entry(id: str = "acme", url: str = "https://acme.example/", extra: str = "") -> str:
    return ENTRY.format(id=id, url=url, extra=extra)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("documents: [unclosed", ["not valid YAML"]),
        ("- just a list", ["a mapping with a `documents:` list"]),
        (
            "documents:\n" + entry(extra=", colour: red"),
            ["document 'acme'", "'colour'", "Extra inputs"],
        ),
        ("documents:\n" + entry() + entry(), ["duplicate document id 'acme'"]),
        ("documents:\n" + entry(id="../etc"), ["document '../etc'", "field 'id'"]),
        ("documents:\n" + entry(id="a/b"), ["field 'id'"]),
        (
            "documents:\n" + entry(url="file:///etc/passwd"),
            ["document 'acme'", "field 'url'", "http"],
        ),
        ("documents:\n" + entry(url="javascript:alert(1)"), ["field 'url'"]),
        ("documents:\n" + entry(url="not a url"), ["field 'url'"]),
        ("documents: []", ["at least 1"]),
        (
            "documents:\n  - {id: acme, url: 'https://a.example/'}",
            ["field 'entity'", "Field required"],
        ),
    ],
)
def test_bad_catalogs_are_named(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_missing_catalog_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read the catalog"):
        load_catalog(tmp_path / "nope.yaml")


@pytest.mark.parametrize("name", ["catalog", "manifest", "head", "check"])
def test_published_schemas_are_current(name: str) -> None:
    """schemas/*.json are generated from the models: run `make schemas` after changing them."""
    published = (SCHEMA_DIR / f"{name}.schema.json").read_text()
    assert json.loads(published) == json.loads(schema_text(name))


@pytest.mark.parametrize("type_", events.EVENT_TYPES)
def test_published_event_schemas_are_current(type_: str) -> None:
    """schema_files/events/*.json are generated from clausewatch.events.models: run `make
    schemas` after changing them (byte for byte: the files are exactly what it writes)."""
    assert event_schema_path(type_).read_text() == schema_text(type_)


def test_make_schemas_writes_every_published_file(tmp_path: Path) -> None:
    written = {p.relative_to(tmp_path) for p in write_model_schemas(tmp_path)}
    published = {p.relative_to(SCHEMA_DIR) for p in SCHEMA_DIR.rglob("*.schema.json")}
    assert written == published
    for path in written:
        assert (tmp_path / path).read_text() == (SCHEMA_DIR / path).read_text(), path
