"""One document among several on a page, named by the URL's fragment. Pure.

A provider's legal page often holds its terms, privacy policy and data processing agreement one
after the other, and the catalog names each with the same URL and a ``#fragment``
(``https://x.example/legal#privacy``). The fragment names an element (``id``, or an anchor's
``name``); the document is then:

- a **container** (``section``, ``article``, ``div``...) holding at least
  :data:`PART_MIN_CHARS` characters of text: that element, located and cleaned as usual;
- a **heading** (or an anchor inside one, or an empty anchor right before one): the heading and
  the clauses under it, up to the next heading of the same or a higher level.

A fragment that names nothing leaves the whole page as the document (``explain`` says so).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import lxml.html

from clausewatch.extractors.clean import size
from clausewatch.extractors.model import Clause
from clausewatch.extractors.text import normalize_text

PART_MIN_CHARS = 200
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_LOOKAHEAD = 20  # elements after an empty anchor in which its heading is looked for


def fragment_of(url: str) -> str | None:
    """The fragment of a URL, percent-decoded, or None.

    >>> fragment_of("https://x.example/legal#data%20processing")
    'data processing'
    """
    try:
        fragment = urlsplit(url).fragment
    except ValueError:
        return None
    return unquote(fragment) or None


def find_part(doc: lxml.html.HtmlElement, fragment: str) -> lxml.html.HtmlElement | None:
    """The element a fragment names: a container or a heading (None when it names neither)."""
    found = [el for el in doc.iter() if isinstance(el.tag, str) and el.get("id") == fragment]
    if not found:
        found = [el for el in doc.iter("a") if el.get("name") == fragment]
    if not found:
        return None
    el = found[0]
    heading = next((a for a in el.iterancestors() if a.tag in _HEADINGS), None)
    if el.tag in _HEADINGS or heading is not None:
        return el if el.tag in _HEADINGS else heading
    if size(el) >= PART_MIN_CHARS:
        return el
    if size(el) == 0:  # an empty anchor: the heading right after it
        for i, later in enumerate(el.itersiblings()):
            if i >= _LOOKAHEAD:
                break
            if later.tag in _HEADINGS:
                return later
            inner = next(later.iter(*_HEADINGS), None) if isinstance(later.tag, str) else None
            if inner is not None:
                return inner
    return None


def is_heading(el: lxml.html.HtmlElement) -> bool:
    return el.tag in _HEADINGS


def heading_text(heading: lxml.html.HtmlElement) -> str:
    return normalize_text(heading.text_content())


def occurrence(doc: lxml.html.HtmlElement, heading: lxml.html.HtmlElement) -> int:
    """How many headings with the same text come before ``heading`` in the page (a legal page
    has a "Definitions" in each of its documents)."""
    text = heading_text(heading)
    count = 0
    for el in doc.iter(*_HEADINGS):
        if el is heading:
            return count
        count += heading_text(el) == text
    return count


def choose(
    fragment: str,
    wanted: lxml.html.HtmlElement | None,
    nth: int,
    clauses: tuple[Clause, ...],
    kept: bool,
) -> tuple[tuple[Clause, ...], str]:
    """The clauses of the part ``wanted`` (found by :func:`find_part`, ``nth`` heading of its
    text; ``kept`` whether it is still in the cleaned page) and a note saying what was chosen."""
    if wanted is None:
        return (
            clauses,
            f"#{fragment} names no heading or section of the page: the whole page is the document",
        )
    text = " ".join(wanted.text_content().split())[:80]
    if not kept:
        return (
            clauses,
            f"#{fragment} names hidden or dropped content ({text[:60]!r}): the whole page is the document",
        )
    if not is_heading(wanted):
        return clauses, f"#{fragment}: the <{wanted.tag}> it names ({text[:60]!r}...)"
    sliced = under_heading(clauses, wanted, nth)
    if sliced is None:
        return (
            clauses,
            f"#{fragment}: its heading {text!r} is not a heading of the located text; the whole text kept",
        )
    return sliced, f"#{fragment}: the clauses under the heading {text!r}"


def under_heading(
    clauses: tuple[Clause, ...], heading: lxml.html.HtmlElement, nth: int = 0
) -> tuple[Clause, ...] | None:
    """The ``nth`` heading clause with the heading's text and the clauses under it, up to the
    next heading of the same or a higher level; None when there is no such clause."""
    text = heading_text(heading)
    level = _HEADINGS[str(heading.tag)]
    starts = [i for i, c in enumerate(clauses) if c.kind == "heading" and c.text == text]
    if not starts:
        return None
    start = starts[min(nth, len(starts) - 1)]
    end = start + 1
    while end < len(clauses) and not (
        clauses[end].kind == "heading" and clauses[end].level <= level
    ):
        end += 1
    return clauses[start:end]
