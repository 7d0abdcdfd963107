"""Split a cleaned HTML subtree into clauses: headings, paragraphs, list items, table rows.

Walks the tree with ``iterwalk`` (no recursion, so deep pages cannot overflow the stack), but
only as deep as it must: an element with no block element inside it is read whole with
``text_content()`` (in C) and its subtree skipped. Inline text between blocks accumulates until
a block starts or ends; each flushed block becomes a clause whose ``path`` is the chain of
headings above it.
"""

from __future__ import annotations

from collections.abc import Iterator

import lxml.etree as etree
import lxml.html

from clausewatch.extractors.model import Clause, ClauseKind
from clausewatch.extractors.text import normalize_text

_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_BLOCKS = frozenset(
    "address article aside blockquote body caption dd details div dl dt fieldset figcaption "
    "figure footer form header hgroup hr li main nav ol p pre section summary table tbody td "
    "tfoot th thead tr ul".split()
) | frozenset(_HEADINGS)
_ITEMS = frozenset({"li", "dd", "dt"})
_CELLS = frozenset({"td", "th"})
_CELL_SEPARATOR = " | "


def _prepare(root: lxml.html.HtmlElement) -> set[lxml.html.HtmlElement]:
    """Space out line breaks and blocks inside table rows; return the elements that contain
    block elements (the only ones the walk must enter)."""
    for br in root.iter("br"):
        br.tail = " " + (br.tail or "")
    for row in root.iter("tr"):
        for block in row.iter(*_BLOCKS):
            block.text = " " + (block.text or "")
            block.tail = " " + (block.tail or "")
    containers: set[lxml.html.HtmlElement] = set()
    for block in root.iter(*_BLOCKS):
        parent = block.getparent()
        while parent is not None and parent not in containers:
            containers.add(parent)
            if parent is root:
                break
            parent = parent.getparent()
    return containers


class _Splitter:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.headings: list[tuple[int, str]] = []  # (level, text) of the open sections
        self.path: tuple[str, ...] = ()  # their texts: the path of the clauses that follow
        self.kinds: list[ClauseKind] = ["paragraph"]  # kind of each open block element

    def clause(self, text: str, kind: ClauseKind) -> Clause | None:
        text = normalize_text(text)
        if not text:
            return None
        return Clause(kind, text, self.path)

    def flush(self) -> Clause | None:
        if not self.parts:
            return None
        clause = self.clause("".join(self.parts), self.kinds[-1])
        self.parts.clear()
        return clause

    def heading(self, text: str, level: int) -> Clause | None:
        text = normalize_text(text)
        if not text:
            return None
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        clause = Clause("heading", text, tuple(h for _, h in self.headings), level)
        self.headings.append((level, text))
        self.path = (*clause.path, text)
        return clause

    def kind_of(self, tag: str) -> ClauseKind:
        if tag in _HEADINGS:
            return "heading"
        if tag in _ITEMS or self.kinds[-1] == "item":
            return "item"
        return "paragraph"

    def leaf(self, el: lxml.html.HtmlElement) -> Clause | None:
        """A block with no block inside: one clause from its whole text."""
        if el.tag in _HEADINGS:
            return self.heading(el.text_content(), _HEADINGS[el.tag])
        return self.clause(el.text_content(), self.kind_of(el.tag))

    def row(self, el: lxml.html.HtmlElement) -> Clause | None:
        cells = [c.text_content() for c in el if c.tag in _CELLS]
        return self.clause(_CELL_SEPARATOR.join(cells), "row")

    def close(self, el: lxml.html.HtmlElement) -> Clause | None:
        """The end of a block that contains blocks: flush its trailing inline text."""
        clause = self.flush()
        self.kinds.pop()
        if el.tag in _HEADINGS and clause is not None:
            return self.heading(clause.text, _HEADINGS[el.tag])
        return clause


def split_blocks(root: lxml.html.HtmlElement) -> Iterator[Clause]:
    """Yield the clauses under ``root`` in document order."""
    containers = _prepare(root)
    splitter = _Splitter()
    parts = splitter.parts
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if event == "start":
            if tag == "tr" or el not in containers:
                walker.skip_subtree()
                if tag in _BLOCKS:
                    if (clause := splitter.flush()) is not None:
                        yield clause
                    found = splitter.row(el) if tag == "tr" else splitter.leaf(el)
                    if found is not None:
                        yield found
                else:
                    parts.append(el.text_content())
            else:
                if tag in _BLOCKS:
                    if (clause := splitter.flush()) is not None:
                        yield clause
                    splitter.kinds.append(splitter.kind_of(tag))
                if el.text:
                    parts.append(el.text)
        else:
            closing = tag in _BLOCKS and tag != "tr" and el in containers
            if closing and (clause := splitter.close(el)) is not None:
                yield clause
            if el.tail and el is not root:
                parts.append(el.tail)
    last = splitter.flush()
    if last is not None:
        yield last
