"""Change classes: what a new version of a document means. Pure functions.

=============  ==================================================================  =========
class          when                                                                 alert
=============  ==================================================================  =========
first          the first version of a document                                      captured
substantive    the words of the terms changed                                       changed
cosmetic       same words, other form: punctuation, casing, typography, layout,     none
               list numbering, links; or every date shown moved by the same one     (history)
               day (the page renders them in the visitor's time zone:
               :mod:`changes.dates`)
reverted       the words returned to one of the recent versions                     changed
flapping       the only words that changed are values seen changing the other way   flapping,
               before (first time; afterwards such a version is cosmetic)           once
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

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clausewatch.changes.dates import shifted_a_day
from clausewatch.changes.diff import ClauseDiff
from clausewatch.extractors import Clause, substance_tokens
from clausewatch.extractors.language import detect_language
from clausewatch.storage.models import MAX_FLIPS, RECENT_VERSIONS, ChangeClass, Head

Flip = tuple[str, str, str]  # (the clause, by its other words; the old word; the new word)
WORD_CHANGES: frozenset[ChangeClass] = frozenset({"substantive", "reverted", "flapping"})
# Two versions have the same structure when their numbers of headings (or, with no headings,
# of clauses) differ by at most this share (or by one), and their clause counts by at most
# half: a translation keeps the headings, though it may split paragraphs differently.
SHAPE_SHARE = 0.1
# A flip-flop touches a few clauses (a date, a label); a version changing more is not one.
MAX_FLIP_CLAUSES = 40


def classify(
    head: Head | None,
    substance_hash: str,
    language: str | None = None,
    same_shape: bool = False,
    flips: Sequence[Flip] | None = None,
) -> ChangeClass:
    """The class of a new version (its content hash differs from the head's); ``language``
    is the new version's, ``same_shape`` whether its structure is the head's
    (:func:`same_shape`), ``flips`` the word replacements that are all that changed, when
    that is all (:func:`replaced_words`).

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
    if flips and head.flips:
        # every word that changed is a value seen changing the other way before (a date
        # shown in the visitor's time zone, an A/B label): a flip-flop. Seen both ways, it is
        # announced once as flapping, then folded.
        seen = set(head.flips)
        if all((where, new, old) in seen for where, old, new in flips):
            if all(flip in seen for flip in flips):
                return "cosmetic" if head.change_class in ("flapping", "cosmetic") else "flapping"
            if substance_hash not in head.recent:
                return "flapping"
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


def replaced_words(
    old: Sequence[Clause], new: Sequence[Clause], diff: ClauseDiff
) -> tuple[list[Flip], bool]:
    """The words a new version replaces one for one, as (clause, old, new) substance tokens
    (:func:`replacements`), and whether that is all it changes.

    When both versions have as many clauses, and each clause that differs as many words, the
    words that differ are paired position by position (a value that flips keeps every count:
    "24 Feb" / "25 Feb"). Otherwise the pairs come from the modified clauses that kept their
    number of words, and the version changed more than words."""
    if len(diff.changes) > MAX_FLIP_CLAUSES:
        return [], False  # a rewrite, not a value flipping: nothing worth remembering
    if len(old) == len(new):
        # clause by clause in place: only the clauses whose text differs are read word by word
        pairs: list[Flip] = []
        kept_counts = True
        for a_clause, b_clause in zip(old, new, strict=True):
            if a_clause.text == b_clause.text:
                continue
            before, after = substance_tokens([a_clause]), substance_tokens([b_clause])
            if len(before) != len(after):
                kept_counts = False
                break
            pairs.extend(replacements(before, after))
        if kept_counts:
            return pairs, bool(pairs)

    def words(text: str) -> list[str]:
        return substance_tokens([Clause("paragraph", text)])

    couples = [
        (words(c.before), words(c.after))
        for c in diff.changes
        if c.change == "modified" and c.before is not None and c.after is not None
    ]
    # short clauses whose value flipped are too unlike to be paired as modified ("30 Sept
    # 2021" / "1 Oct 2021"): a removed clause is paired with the first added one that has as
    # many words and shares one
    added = [words(c.after) for c in diff.changes if c.change == "added" and c.after is not None]
    for c in diff.changes:
        if c.change == "removed" and c.before is not None:
            before = words(c.before)
            match = next((a for a in added if len(a) == len(before) and set(a) & set(before)), None)
            if match is not None:
                added.remove(match)
                couples.append((before, match))
    pairs = []
    for before, after in couples:
        if len(before) == len(after):
            pairs.extend(replacements(before, after))
    return pairs, False


def replacements(before: Sequence[str], after: Sequence[str]) -> list[Flip]:
    """The words of one clause (as many before as after) that differ, position by position,
    each as (clause, old, new): ``clause`` names the clause by its other words (a hash of its
    words with the replaced ones masked), so a value seen flipping in one clause (a change-log
    date) never folds a change of the same word in another (a retention period)."""
    differ = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    if not differ:
        return []
    masked = list(before)
    for i in differ:
        masked[i] = "\x00"
    where = hashlib.sha256("\x1f".join(masked).encode()).hexdigest()[:16]
    return [(where, before[i], after[i]) for i in differ]


def flips_after(head: Head | None, pairs: Sequence[Flip]) -> tuple[Flip, ...]:
    """The word replacements a new head remembers: the new version's first, no repeats, at
    most :data:`storage.models.MAX_FLIPS`."""
    seen: dict[Flip, None] = {}
    for pair in (*pairs, *(head.flips if head is not None else ())):
        seen.setdefault(pair, None)
    return tuple(seen)[:MAX_FLIPS]


@dataclass(frozen=True)
class Verdict:
    """What a new version is, and what its head remembers of it."""

    change_class: ChangeClass
    language: str | None
    flips: list[Flip]


def judge(
    head: Head | None,
    old: Sequence[Clause] | None,
    new: Sequence[Clause],
    substance_hash: str,
    diff: ClauseDiff | None,
) -> Verdict:
    """The class of a new version whose content hash differs from the head's (``old`` and
    ``diff``: the head's clauses and the clause diff from them, None for a first version), its
    language and its word replacements: what recording and re-extraction both decide."""
    language = detect_language(new)
    if old is None or diff is None:
        return Verdict(classify(head, substance_hash, language), language, [])
    pairs, only_pairs = replaced_words(old, new, diff)
    if only_pairs and head is not None and shifted_a_day(old, new):
        # every date a day off, nothing else changed: the same instants in another time zone
        return Verdict("cosmetic", language, [])
    change_class = classify(
        head, substance_hash, language, same_shape(old, new), pairs if only_pairs else None
    )
    return Verdict(change_class, language, pairs)


def remembered(head: Head | None, verdict: Verdict, substance_hash: str) -> dict[str, Any]:
    """The fields a new head carries over from the old one (recent substances, languages,
    word replacements), given the new version's verdict."""
    return {
        "recent": recent_after(head, substance_hash),
        "language": verdict.language,
        "languages": languages_after(head, verdict.language, substance_hash),
        "flips": flips_after(head, verdict.flips),
    }
