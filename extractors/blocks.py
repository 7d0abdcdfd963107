"""Split a cleaned HTML subtree into clauses: headings, paragraphs, list items, table rows.

Walks the tree with ``iterwalk`` (no recursion, so deep pages cannot overflow the stack).
Inline text accumulates until a block element starts or ends; each flushed block becomes a
clause whose ``path`` is the chain of headings above it.
"""

from __future__ import annotations

from collections.abc import Iterator

import lxml.etree as etree
import lxml.html

from extractors.model import Clause, ClauseKind
from extractors.text import normalize_text

_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_BLOCKS = frozenset(
    "address article aside blockquote body caption dd details div dl dt fieldset figcaption "
    "figure footer form header hgroup hr li main nav ol p pre section summary table tbody td "
    "tfoot th thead tr ul".split()
) | frozenset(_HEADINGS)
_CELLS = frozenset({"td", "th"})
_CELL_SEPARATOR = " | "


class _Splitter:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.headings: list[tuple[int, str]] = []  # (level, text) of the open sections
        self.kinds: list[ClauseKind] = []  # kind of each open block element
        self.row_depth = 0  # > 0 inside a table row: nested blocks are cells' inline text
        self.cells = 0

    def flush(self) -> Clause | None:
        text = normalize_text("".join(self.parts))
        self.parts.clear()
        if not text:
            return None
        kind: ClauseKind = self.kinds[-1] if self.kinds else "paragraph"
        return Clause(kind=kind, text=text, path=tuple(h for _, h in self.headings))

    def start(self, el: lxml.html.HtmlElement) -> Clause | None:
        tag = el.tag
        if self.row_depth:
            if tag in _CELLS:
                if self.cells:
                    self.parts.append(_CELL_SEPARATOR)
                self.cells += 1
            elif tag == "br" or tag in _BLOCKS:
                self.parts.append(" ")
            return None
        clause = self.flush() if tag in _BLOCKS else None
        if tag == "br":
            self.parts.append(" ")
        elif tag == "tr":
            self.row_depth, self.cells = 1, 0
            self.kinds.append("row")
        elif tag in _HEADINGS:
            self.kinds.append("heading")
        elif tag == "li" or tag == "dd" or tag == "dt":
            self.kinds.append("item")
        elif tag in _BLOCKS:
            self.kinds.append(
                self.kinds[-1] if self.kinds and self.kinds[-1] == "item" else "paragraph"
            )
        return clause

    def end(self, el: lxml.html.HtmlElement) -> Clause | None:
        tag = el.tag
        if self.row_depth:
            if tag != "tr":
                return None
            self.row_depth = 0
        if tag not in _BLOCKS:
            return None
        clause = self.flush()
        self.kinds.pop()
        if tag in _HEADINGS and clause is not None:
            level = _HEADINGS[tag]
            while self.headings and self.headings[-1][0] >= level:
                self.headings.pop()
            path = tuple(h for _, h in self.headings)
            clause = Clause(kind="heading", text=clause.text, path=path, level=level)
            self.headings.append((level, clause.text))
        return clause


def split_blocks(root: lxml.html.HtmlElement) -> Iterator[Clause]:
    """Yield the clauses under ``root`` in document order."""
    splitter = _Splitter()
    splitter.kinds.append("paragraph")
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(el.tag, str):
            continue
        if event == "start":
            clause = splitter.start(el)
            splitter.parts.append(el.text or "")
        else:
            clause = splitter.end(el)
            if el is not root:
                splitter.parts.append(el.tail or "")
        if clause is not None:
            yield clause
    last = splitter.flush()
    if last is not None:
        yield last
