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
=============  ==================================================================  =========

"Words" are the substance tokens of :func:`extractors.substance_tokens`; a head remembers the
substance hashes of its recent versions (:data:`storage.models.RECENT_VERSIONS`).
"""

from __future__ import annotations

from storage.models import RECENT_VERSIONS, ChangeClass, Head

WORD_CHANGES: frozenset[ChangeClass] = frozenset({"substantive", "reverted", "flapping"})


def classify(head: Head | None, substance_hash: str) -> ChangeClass:
    """The class of a new version (its content hash differs from the head's).

    >>> classify(None, "a" * 64)
    'first'
    """
    if head is None:
        return "first"
    if substance_hash == head.substance_hash:
        return "cosmetic"
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
