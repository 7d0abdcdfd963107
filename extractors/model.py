"""Typed results of extraction: clauses and the extraction that holds them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ClauseKind = Literal["heading", "paragraph", "item", "row"]


@dataclass(frozen=True, slots=True)
class Clause:
    """One unit of legal text: a heading, a paragraph, a list item or a table row.

    ``path`` is the chain of headings above the clause (for a heading, the headings above it),
    ``level`` the heading level (1-6) for headings and 0 otherwise.
    """

    kind: ClauseKind
    text: str
    path: tuple[str, ...] = ()
    level: int = 0

    def __reduce__(self) -> tuple[type[Clause], tuple[ClauseKind, str, tuple[str, ...], int]]:
        # Extraction workers send clauses back by the thousand: pickling them as constructor
        # arguments halves the cost of the default for slotted dataclasses.
        return (Clause, (self.kind, self.text, self.path, self.level))


@dataclass(frozen=True, slots=True)
class Extraction:
    """What one page yielded: its clauses in document order, the page title, how the legal
    text was located (``auto`` or ``select``), and the clauses' canonical bytes, content hash
    and substance hash (computed where the extraction runs, so a worker process pays for
    them; see :mod:`extractors.canonical`)."""

    clauses: tuple[Clause, ...]
    title: str
    method: Literal["auto", "select"]
    canonical: bytes
    content_hash: str
    substance_hash: str

    @property
    def text(self) -> str:
        """The legal text: headings and clauses in order, separated by blank lines."""
        return "\n\n".join(c.text for c in self.clauses)
