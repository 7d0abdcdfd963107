"""Plain-data content model for the demo policy pages (no HTML here).

:mod:`clausewatch.demo.pages` builds it from the data files in ``data/``.

Paragraph text and bullet items may contain inline links written as
``[label](/path)``; the renderer turns them into ``<a>`` elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Subheading:
    """An ``<h3>`` inside a section."""

    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block: TypeAlias = Paragraph | Subheading | Bullets | Table


@dataclass(frozen=True)
class Section:
    """An ``<h2>`` section of a policy."""

    id: str
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Policy:
    """One version of one policy page.

    ``sections`` are in the served HTML. ``deferred`` is NOT in the served
    HTML: a script inserts it before the section ``deferred_before`` after load.
    """

    heading: str
    last_updated: str
    intro: tuple[Block, ...]
    sections: tuple[Section, ...]
    deferred: Section
    deferred_before: str
