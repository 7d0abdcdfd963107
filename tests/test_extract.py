"""Extraction rules, one case each, from tests/data/extract_cases.yaml."""

from __future__ import annotations

import doctest
from pathlib import Path
from typing import Any

import pytest
import yaml

import clausewatch.changes.diff
import clausewatch.extractors.decode
import clausewatch.extractors.text
from clausewatch.errors import ExtractionError
from clausewatch.extractors import canonical_bytes, content_hash, extract, parse_canonical

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "extract_cases.yaml").read_text()
)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_extraction_case(case: dict[str, Any]) -> None:
    kwargs = {"select": case.get("select", ()), "remove": case.get("remove", ())}
    if "error" in case:
        with pytest.raises(ExtractionError, match=case["error"].replace("[", r"\[")):
            extract(case["html"], **kwargs)
        return
    got = [[c.kind, c.text] for c in extract(case["html"], **kwargs).clauses]
    assert got == case["expect"]


def test_heading_paths() -> None:
    html = "<main><h1>A</h1><h2>B</h2><p>x</p><h3>C</h3><p>y</p><h2>D</h2><p>z</p></main>"
    paths = {c.text: c.path for c in extract(html).clauses}
    assert paths == {
        "A": (),
        "B": ("A",),
        "x": ("A", "B"),
        "C": ("A", "B"),
        "y": ("A", "B", "C"),
        "D": ("A",),
        "z": ("A", "D"),
    }


def test_bytes_are_decoded_by_declared_charset() -> None:
    page = '<html><head><meta charset="windows-1252"></head><body><main><p>café</p></main></body></html>'
    assert extract(page.encode("cp1252")).clauses[0].text == "café"


def test_undeclared_non_utf8_page_falls_back_to_cp1252() -> None:
    assert extract("<main><p>naïve</p></main>".encode("cp1252")).clauses[0].text == "naïve"


def test_canonical_serialisation_round_trips_and_ignores_markup() -> None:
    a = extract("<main><p>One <b>bold</b>  clause.</p></main>").clauses
    b = extract('<main><p>One <a href="/x?n=1">bold</a> clause.</p></main>').clauses
    assert content_hash(a) == content_hash(b)
    assert parse_canonical(canonical_bytes(a)) == a


def test_content_hash_changes_with_a_word() -> None:
    a = extract("<main><p>We keep data for 30 days.</p></main>").clauses
    b = extract("<main><p>We keep data for 14 days.</p></main>").clauses
    assert content_hash(a) != content_hash(b)


def test_deeply_nested_page_does_not_overflow() -> None:
    # libxml2 drops text nested deeper than 2048 levels even with huge_tree; 1,500 is kept
    html = "<main>" + "<div>" * 1500 + "<p>Deep clause.</p>" + "</div>" * 1500 + "</main>"
    assert [c.text for c in extract(html).clauses] == ["Deep clause."]


@pytest.mark.parametrize(
    "module", [clausewatch.extractors.text, clausewatch.extractors.decode, clausewatch.changes.diff]
)
def test_doctests(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0
