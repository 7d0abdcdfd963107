"""Change classes: what a new version of a document means. Pure functions.

=============  ==================================================================  =========
class          when                                                                 alert
=============  ==================================================================  =========
first          the first version of a document                                      captured
substantive    the words of the terms changed                                       changed
cosmetic       same words, other form: punctuation, casing, typography, layout,     none
               list numbering, links                                                (history)
reverted       the words returned to one of the recent versions                     changed
flapping       a revert right after a revert: the page alternates                   flapping,
                                                                                    once
language       the page now serves the document in another language, with the      none
               same structure, and the text in that language is new or the last     (history)
               one seen in it
=============  ==================================================================  =========

"Words" are the substance tokens of :func:`extractors.substance_tokens`; a head remembers the
substance hashes of its recent versions (:data:`storage.models.RECENT_VERSIONS`).
"""

from __future__ import annotations

from collections.abc import Sequence

from extractors import Clause
from storage.models import RECENT_VERSIONS, ChangeClass, Head

WORD_CHANGES: frozenset[ChangeClass] = frozenset({"substantive", "reverted", "flapping"})
# Two versions have the same structure when their numbers of headings (or, with no headings,
# of clauses) differ by at most this share (or by one), and their clause counts by at most
# half: a translation keeps the headings, though it may split paragraphs differently.
SHAPE_SHARE = 0.1


def classify(
    head: Head | None,
    substance_hash: str,
    language: str | None = None,
    same_shape: bool = False,
) -> ChangeClass:
    """The class of a new version (its content hash differs from the head's); ``language``
    is the new version's, ``same_shape`` whether its structure is the head's
    (:func:`same_shape`).

    >>> classify(None, "a" * 64)
    'first'
    """
    if head is None:
        return "first"
    if substance_hash == head.substance_hash:
        return "cosmetic"
    if (
        language is not None
        and head.language not in (None, language)
        and same_shape
        and head.languages.get(language) in (None, substance_hash)
    ):
        # the same document in another language: news only if the text in that language
        # changed since it was last seen
        return "language"
    if substance_hash in head.recent:
        return "flapping" if head.change_class in ("reverted", "flapping") else "reverted"
    return "substantive"


def recent_after(head: Head | None, substance_hash: str) -> tuple[str, ...]:
    """The recent substances a new head remembers: the old head's first, no repeats, not the
    new version's own."""
    if head is None:
        return ()
    seen: list[str] = []
    for h in (head.substance_hash, *head.recent):
        if h != substance_hash and h not in seen:
            seen.append(h)
    return tuple(seen[:RECENT_VERSIONS])


def languages_after(head: Head | None, language: str | None, substance_hash: str) -> dict[str, str]:
    """The latest substance seen in each language, the new version's included (at most
    :data:`storage.models.RECENT_VERSIONS` languages, the least recently seen dropped)."""
    seen = dict(head.languages) if head is not None else {}
    if language is not None:
        seen.pop(language, None)
        seen[language] = substance_hash
    return dict(list(seen.items())[-RECENT_VERSIONS:])


def same_shape(old: Sequence[Clause], new: Sequence[Clause]) -> bool:
    """Whether two versions have the same structure: headings (or clauses) in the same number
    within :data:`SHAPE_SHARE`, and clause counts within a factor of two."""
    old_headings = sum(1 for c in old if c.kind == "heading")
    new_headings = sum(1 for c in new if c.kind == "heading")
    if not 0.5 <= len(new) / max(1, len(old)) <= 2:
        return False
    if old_headings == 0 and new_headings == 0:
        old_headings, new_headings = len(old), len(new)
    return abs(old_headings - new_headings) <= max(1, SHAPE_SHARE * old_headings)
