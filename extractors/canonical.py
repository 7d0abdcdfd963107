"""Canonical forms of clauses: what is hashed, and what counts as substance.

- :func:`canonical_bytes` serialises clauses exactly (compact JSON, sorted keys, UTF-8, one
  array per clause: ``[kind, level, path, text]``); its SHA-256 is a version's *content hash*.
  Link targets and markup never reach it.
- :func:`substance_tokens` reduces clauses to the words of the terms: compatibility forms and
  case folded, punctuation and typographic variants gone, list numbering ("1.", "(a)", "IV.")
  dropped, clause boundaries and heading levels ignored. Its hash, the *substance hash*, tells
  a substantive change (different words) from a cosmetic one (same words, other form).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, cast

from clausewatch.extractors.model import Clause, ClauseKind
from clausewatch.extractors.text import Memo, fold_volatile

CANONICAL_VERSION = "clausewatch.clauses/1"
SUBSTANCE_VERSION = "clausewatch.substance/1"

_WORD = re.compile(r"\w+")
# List and section numbering at the start of a clause: "1.", "1.2.3", "(a)", "a)", "IV.", "§ 4".
_ENUMERATOR = re.compile(
    r"^\s*(?:§+\s*)?(?:\(?\d{1,3}(?:\.\d{1,3})*[.)]?|\(?[a-z][.)]|\([a-z]{1,2}\)|\(?[ivxlc]{1,6}[.)])(?=\s)",
    re.IGNORECASE,
)


def canonical_bytes(clauses: Iterable[Clause]) -> bytes:
    """Serialise clauses canonically: equal clauses give equal bytes."""
    doc = {
        "format": CANONICAL_VERSION,
        "clauses": [[c.kind, c.level, list(c.path), c.text] for c in clauses],
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def content_hash(clauses: Iterable[Clause]) -> str:
    """SHA-256 (hex) of the canonical serialisation."""
    return hashlib.sha256(canonical_bytes(clauses)).hexdigest()


def parse_canonical(data: bytes) -> tuple[Clause, ...]:
    """Read clauses back from their canonical serialisation."""
    doc = json.loads(data)
    if not isinstance(doc, dict) or doc.get("format") != CANONICAL_VERSION:
        raise ValueError(f"not a {CANONICAL_VERSION} document")
    rows = cast(list[list[Any]], doc["clauses"])
    return tuple(
        Clause(kind=cast(ClauseKind, k), level=int(lv), path=tuple(p), text=str(t))
        for k, lv, p, t in rows
    )


def substance_tokens(clauses: Iterable[Clause]) -> list[str]:
    """The words of the terms, in order, in folded form.

    >>> from extractors.model import Clause
    >>> substance_tokens([Clause("item", "2. The “Service” isn’t free—€36,982.92")])
    ['the', 'service', 'isn', 't', 'free', '36', '982', '92']
    """
    return _WORD.findall(_folded(clauses))


def substance_hash(clauses: Iterable[Clause]) -> str:
    """SHA-256 of the substance tokens: equal for versions that differ only in form.

    The tokens are those of :func:`substance_tokens` joined by single spaces. Every step of
    the folding works within a clause (NFKC cannot compose across the line break between two
    clauses), so the words are computed clause by clause and remembered for the clauses that
    recur between versions; ``tests/test_canonical.py`` checks this against the whole-text
    form on arbitrary clauses.
    """
    words = " ".join(w for w in map(_clause_words, clauses) if w)
    return hashlib.sha256(f"{SUBSTANCE_VERSION}\n{words}".encode()).hexdigest()


def _clause_words(clause: Clause) -> str:
    words = _WORDS_OF.get(clause.text)
    if words is None:
        words = _words(_fold(fold_volatile(_unnumbered(clause.text))))
        _WORDS_OF.put(clause.text, words)
    return words


_WORDS_OF: Memo[str] = Memo()


# ASCII bytes that are not word characters become spaces (one C pass over the text).
_ASCII_NON_WORD = bytes(
    b if chr(b).isalnum() or b == ord("_") else ord(" ") for b in range(128)
) + bytes(range(128, 256))


def _words(text: str) -> str:
    """The ``\\w+`` runs of ``text`` joined by single spaces (what ``\\W+`` to a space gives).

    Python's ``\\w`` is ``str.isalnum()`` or ``_``; translating bytes and replacing the few
    distinct non-ASCII non-word characters is several times faster than the regular expression.

    >>> _words("l’accès — aux « données », 2.1_a")
    'l accès aux données 2 1_a'
    """
    others = [ch for ch in set(text) if ch > "\x7f" and not ch.isalnum()]
    data = text.encode("utf-8", "surrogatepass").translate(_ASCII_NON_WORD)
    text = data.decode("utf-8", "surrogatepass")
    for ch in others:
        text = text.replace(ch, " ")
    return " ".join(text.split())


def _unnumbered(text: str) -> str:
    numbering = _ENUMERATOR.match(text)
    return text[numbering.end() :] if numbering else text


def _folded(clauses: Iterable[Clause]) -> str:
    return _fold("\n".join(fold_volatile(_unnumbered(clause.text)) for clause in clauses))


def _fold(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.casefold()
