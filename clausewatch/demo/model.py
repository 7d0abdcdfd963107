"""Plain-data content model for the demo policy pages (no HTML here).

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


def section(id: str, heading: str, *blocks: Block) -> Section:
    return Section(id=id, heading=heading, blocks=blocks)


def para(text: str) -> Paragraph:
    return Paragraph(text)


def sub(text: str) -> Subheading:
    return Subheading(text)


def bullets(*items: str) -> Bullets:
    return Bullets(items)


def ordered(sections: dict[str, Section], order: tuple[str, ...]) -> tuple[Section, ...]:
    """Return the sections listed in ``order`` (every section exactly once)."""
    if sorted(order) != sorted(sections):
        raise ValueError(f"section order {order} does not match {sorted(sections)}")
    return tuple(sections[section_id] for section_id in order)
