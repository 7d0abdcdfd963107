"""Canonicalisation rules, each on its own, from tests/data/canonical_cases.yaml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors import Clause, normalize_text, substance_hash

CASES = yaml.safe_load((Path(__file__).parent / "data" / "canonical_cases.yaml").read_text())


@pytest.mark.parametrize(
    ("rule", "text", "folded"), CASES["fold"], ids=[c[0] for c in CASES["fold"]]
)
def test_fold(rule: str, text: str, folded: str) -> None:
    assert normalize_text(text) == folded


def substance(text: str) -> str:
    return substance_hash([Clause("paragraph", normalize_text(text))])


@pytest.mark.parametrize(("rule", "a", "b"), CASES["same"], ids=[c[0] for c in CASES["same"]])
def test_cosmetic_differences_keep_the_substance(rule: str, a: str, b: str) -> None:
    assert substance(a) == substance(b)


@pytest.mark.parametrize(("rule", "a", "b"), CASES["differ"], ids=[c[0] for c in CASES["differ"]])
def test_word_changes_change_the_substance(rule: str, a: str, b: str) -> None:
    assert substance(a) != substance(b)


def test_clause_boundaries_and_heading_levels_are_form() -> None:
    one = [Clause("heading", "Data", level=2), Clause("paragraph", "We keep it. We share it.")]
    two = [
        Clause("heading", "Data", level=3),
        Clause("paragraph", "We keep it."),
        Clause("item", "We share it."),
    ]
    assert substance_hash(one) == substance_hash(two)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_fast_word_split_equals_the_regular_expression(text: str) -> None:
    """The substance hash's word split is exactly ``\\W+`` to one space, on any text."""
    from extractors.canonical import _words

    assert _words(text) == re.sub(r"\W+", " ", text).strip()
