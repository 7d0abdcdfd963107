"""Canonicalisation rules, each on its own, from tests/data/canonical_cases.yaml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from clausewatch.extractors import Clause, normalize_text, substance_hash

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
    from clausewatch.extractors.canonical import _words

    assert _words(text) == re.sub(r"\W+", " ", text).strip()


# letters, digits, marks that compose, Hangul jamo, compatibility forms, case-folding
# specials, punctuation, spaces and list numbering; and any text at all
_FRAGMENTS = [*"aeAZ09 .,;:()§-_\n\t", "\u0301", "\u0308", "\u1100", "\u1161", "\u11a8"]
_FRAGMENTS += ["\ufb01", "\u2460", "\u00bd", "\u0130", "\u03a3", "\u03c2", "\u00df", "\u2019"]
_FRAGMENTS += ["\u00a0", "\u200b", "IV. ", "(a) ", "1.2 ", "§ 4 "]
_CLAUSE_TEXT = st.one_of(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=20).map("".join), st.text(max_size=30)
)


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(st.lists(_CLAUSE_TEXT, max_size=6))
def test_substance_hash_clause_by_clause_equals_the_whole_text(texts: list[str]) -> None:
    """The substance hash, computed (and remembered) clause by clause, is the hash of the whole
    text's tokens: folding never reaches across the break between two clauses."""
    import hashlib

    from clausewatch.extractors.canonical import SUBSTANCE_VERSION, substance_tokens

    clauses = [Clause("paragraph", t) for t in texts]
    whole = " ".join(substance_tokens(clauses))
    expected = hashlib.sha256(f"{SUBSTANCE_VERSION}\n{whole}".encode()).hexdigest()
    assert substance_hash(clauses) == expected
    assert substance_hash(clauses) == expected  # again, from the memo


def test_memo_stays_within_its_bound() -> None:
    from clausewatch.extractors.text import Memo

    memo: Memo[str] = Memo(max_chars=100)
    for n in range(50):
        memo.put(f"key {n:03d}", "value")
        assert memo._chars <= 100
    assert memo.get("key 049") == "value"
    assert memo.get("key 000") is None  # dropped when the memo filled up


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from("we may share your data with partners".split()), max_size=30),
    st.lists(st.sampled_from("we may not share your data with anyone".split()), max_size=30),
)
def test_the_diffs_quick_bound_is_difflibs(a: list[str], b: list[str]) -> None:
    """The clause diff's quick similarity bound, from word counts, is difflib's quick_ratio."""
    from collections import Counter
    from difflib import SequenceMatcher

    from clausewatch.changes.diff import _common

    expected = SequenceMatcher(None, a, b, autojunk=False).quick_ratio()
    length = len(a) + len(b)
    assert (2.0 * _common(Counter(a), Counter(b)) / length if length else 1.0) == expected
