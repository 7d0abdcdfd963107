"""Clause-level diff between two versions of a document: pure functions.

Clauses are aligned in three passes:

1. the longest common subsequence of identical clauses: unchanged, in place;
2. identical clauses left over on both sides: ``moved``;
3. left-over clauses paired by word similarity (>= 0.5, same heading path preferred):
   ``modified``, with a word diff; the rest are ``added`` or ``removed``.

A word diff is a list of operations (:class:`WordOp`: ``equal``, ``delete``, ``insert``, each
with its words), never a string with markers in it: captured text may itself contain
``[- x -]`` or ``{+ y +}``. :func:`marked_text` renders the operations as text with markers and
escapes the words so that a marker in them cannot pass for one.

>>> from extractors import Clause
>>> a = (Clause("paragraph", "We keep data for 30 days."), Clause("paragraph", "Contact us."))
>>> b = (Clause("paragraph", "Contact us."), Clause("paragraph", "We keep data for 14 days."))
>>> [(c.change, c.word_diff) for c in diff_clauses(a, b).changes]
[('modified', 'We keep data for [-30-] {+14+} days.')]
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Literal

from clausewatch.extractors import Clause

ChangeKind = Literal["added", "removed", "modified", "moved"]
OpKind = Literal["equal", "delete", "insert"]
_SIMILAR = 0.5
_MAX_PAIRING = 400  # above this many left-over clauses per side, skip similarity pairing
_MAX_CROSS_PAIRING = 60  # edits paired across stretches only when this few are left
_WINDOW = 12  # an edited clause is looked for this many places around its old position


@dataclass(frozen=True, slots=True)
class ClauseChange:
    change: ChangeKind
    path: tuple[str, ...]
    before: str | None
    after: str | None
    old_index: int | None
    new_index: int | None

    @property
    def word_ops(self) -> tuple[WordOp, ...] | None:
        """For a modified clause, the word diff as operations (computed when asked for)."""
        if self.change != "modified" or self.before is None or self.after is None:
            return None
        return word_ops(self.before, self.after)

    @property
    def word_diff(self) -> str | None:
        """For a modified clause, the word diff as escaped marker text (:func:`marked_text`)."""
        ops = self.word_ops
        return None if ops is None else marked_text(ops)

    def as_json(self) -> dict[str, object]:
        return {
            "change": self.change,
            "path": list(self.path),
            "before": self.before,
            "after": self.after,
            "old_index": self.old_index,
            "new_index": self.new_index,
            "word_ops": ops_json(self.word_ops),
        }


@dataclass(frozen=True, slots=True)
class ClauseDiff:
    changes: tuple[ClauseChange, ...]
    unchanged: int
    counts: dict[str, int] = field(default_factory=dict)
    matched: tuple[tuple[int, int], ...] = ()  # (old index, new index) of every clause kept


def diff_clauses(old: Sequence[Clause], new: Sequence[Clause]) -> ClauseDiff:
    """Align two clause sequences and describe what changed."""
    keys_old = [(c.kind, c.text) for c in old]
    keys_new = [(c.kind, c.text) for c in new]
    opcodes = SequenceMatcher(None, keys_old, keys_new, autojunk=False).get_opcodes()
    in_place = [
        (i1 + k, j1 + k) for op, i1, i2, j1, _ in opcodes if op == "equal" for k in range(i2 - i1)
    ]
    left_old = [i for op, i1, i2, _, _ in opcodes if op != "equal" for i in range(i1, i2)]
    left_new = [j for op, _, _, j1, j2 in opcodes if op != "equal" for j in range(j1, j2)]
    changes: list[ClauseChange] = []
    left_old, left_new = _moved(old, new, left_old, left_new, changes)
    # edits are paired inside each changed stretch between unchanged anchors, then across
    for op, i1, i2, j1, j2 in opcodes:
        if op == "replace":
            hunk_old = [i for i in left_old if i1 <= i < i2]
            hunk_new = [j for j in left_new if j1 <= j < j2]
            rest_old, rest_new = _modified(old, new, hunk_old, hunk_new, changes)
            left_old = [i for i in left_old if not i1 <= i < i2 or i in rest_old]
            left_new = [j for j in left_new if not j1 <= j < j2 or j in rest_new]
    if max(len(left_old), len(left_new)) <= _MAX_CROSS_PAIRING:
        left_old, left_new = _modified(old, new, left_old, left_new, changes)
    changes += [_one("removed", old[i], i, None) for i in left_old]
    changes += [_one("added", new[j], None, j) for j in left_new]
    changes.sort(
        key=lambda c: (c.new_index if c.new_index is not None else c.old_index or 0, c.change)
    )
    counts = {
        kind: sum(1 for c in changes if c.change == kind)
        for kind in ("added", "removed", "modified", "moved")
    }
    matched = sorted(
        in_place
        + [
            (c.old_index, c.new_index)
            for c in changes
            if c.old_index is not None and c.new_index is not None
        ]
    )
    return ClauseDiff(
        changes=tuple(changes), unchanged=len(in_place), counts=counts, matched=tuple(matched)
    )


def _one(kind: ChangeKind, clause: Clause, i: int | None, j: int | None) -> ClauseChange:
    before = clause.text if kind == "removed" else None
    after = clause.text if kind == "added" else None
    return ClauseChange(kind, clause.path, before, after, i, j)


def _moved(
    old: Sequence[Clause],
    new: Sequence[Clause],
    left_old: list[int],
    left_new: list[int],
    out: list[ClauseChange],
) -> tuple[list[int], list[int]]:
    pending: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in left_old:
        pending[(old[i].kind, old[i].text)].append(i)
    rest_new = []
    for j in left_new:
        bucket = pending.get((new[j].kind, new[j].text))
        if bucket:
            i = bucket.pop(0)
            out.append(ClauseChange("moved", new[j].path, old[i].text, new[j].text, i, j))
        else:
            rest_new.append(j)
    rest_old = sorted(i for bucket in pending.values() for i in bucket)
    return rest_old, rest_new


def _modified(
    old: Sequence[Clause],
    new: Sequence[Clause],
    left_old: list[int],
    left_new: list[int],
    out: list[ClauseChange],
) -> tuple[list[int], list[int]]:
    """Pair similar clauses as ``modified``; returns the old and new indices left unpaired."""
    if not left_old or not left_new or max(len(left_old), len(left_new)) > _MAX_PAIRING:
        return left_old, left_new
    words = {i: _Words(old[i].text.split()) for i in left_old}
    free = list(left_old)
    rest_new = []
    scale = len(left_old) / len(left_new)
    for n, j in enumerate(left_new):
        # compare with the old clauses near the same relative place (all of them in small stretches)
        near = set(left_old[max(0, int(n * scale) - _WINDOW) : int(n * scale) + _WINDOW + 1])
        best = _best_match(new[j], [(i, old[i], words[i]) for i in free if i in near])
        if best is None:
            rest_new.append(j)
            continue
        free.remove(best)
        a, b = old[best], new[j]
        out.append(ClauseChange("modified", b.path, a.text, b.text, best, j))
    return free, rest_new


class _Words(list[str]):
    """A clause's words, with their counts for the quick similarity bound."""

    def __init__(self, words: list[str]) -> None:
        super().__init__(words)
        self.counts = Counter(words)


def _best_match(clause: Clause, candidates: list[tuple[int, Clause, _Words]]) -> int | None:
    """The candidate most similar to ``clause`` (word-level ratio >= 0.5), or None.

    Two cheap upper bounds of the ratio rule most candidates out first, as
    :class:`difflib.SequenceMatcher`'s ``real_quick_ratio`` (lengths) and ``quick_ratio`` (words
    in common, counted with multiplicity) would, computed from counts made once per clause;
    the matcher analyses the new clause once (``set_seq2``) for the full ratio.
    """
    mine = _Words(clause.text.split())
    matcher: SequenceMatcher[str] | None = None
    best, best_score = None, _SIMILAR
    for i, other, other_words in candidates:
        if other.kind != clause.kind:
            continue
        length = len(other_words) + len(mine)
        if length and 2.0 * min(len(other_words), len(mine)) / length < best_score:
            continue
        if length and 2.0 * _common(other_words.counts, mine.counts) / length < best_score:
            continue
        if matcher is None:
            matcher = SequenceMatcher(None, autojunk=False)
            matcher.set_seq2(mine)
        matcher.set_seq1(other_words)
        score = matcher.ratio() + (0.01 if other.path == clause.path else 0.0)
        if score >= best_score:
            best, best_score = i, score
    return best


def _common(a: Counter[str], b: Counter[str]) -> int:
    """How many words two clauses share, with multiplicity (``quick_ratio``'s count)."""
    return sum(min(a[w], b[w]) for w in a.keys() & b.keys())


@dataclass(frozen=True, slots=True)
class WordOp:
    """One run of a word diff: words kept (``equal``), removed (``delete``) or added
    (``insert``), joined by single spaces."""

    op: OpKind
    text: str

    def as_json(self) -> dict[str, str]:
        return {"op": self.op, "text": self.text}


def word_ops(before: str, after: str) -> tuple[WordOp, ...]:
    """The word diff of two texts as operations; a replacement is a ``delete`` then an ``insert``.

    >>> [(o.op, o.text) for o in word_ops("you may opt out", "you may not opt out")]
    [('equal', 'you may'), ('insert', 'not'), ('equal', 'opt out')]
    """
    a, b = before.split(), after.split()
    ops: list[WordOp] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            ops.append(WordOp("equal", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            ops.append(WordOp("delete", " ".join(a[i1:i2])))
        if j2 > j1:
            ops.append(WordOp("insert", " ".join(b[j1:j2])))
    return tuple(ops)


def ops_json(ops: Sequence[WordOp] | None) -> list[dict[str, str]] | None:
    """The operations as JSON (``{"op": ..., "text": ...}`` each), as events and ``--json`` give."""
    return None if ops is None else [o.as_json() for o in ops]


# a marker's two characters, wherever they meet in the text, get a backslash between them
_MARKER_PAIR = re.compile(r"(?<=\[)(?=-)|(?<=-)(?=\])|(?<=\{)(?=\+)|(?<=\+)(?=\})")


def escape_markers(text: str) -> str:
    r"""``text`` with no ``[-``, ``-]``, ``{+`` or ``+}`` left in it: a backslash goes between the
    two characters (``[\-``), and a backslash of the text is doubled. Read left to right, ``\\``
    is a backslash of the text and any other backslash is nothing.

    >>> print(escape_markers("[- x -] {+ y +} \\"))
    [\- x -\] {\+ y +\} \\
    """
    return _MARKER_PAIR.sub(r"\\", text.replace("\\", "\\\\"))


def marked_text(ops: Sequence[WordOp]) -> str:
    r"""The word diff as text: ``[-removed-]`` and ``{+added+}``, the words escaped
    (:func:`escape_markers`) so that only the diff's own markers read as markers.

    >>> print(marked_text(word_ops("we keep [-x-] data", "we keep [-x-] all data")))
    we keep [\-x-\] {+all+} data
    """
    parts: list[str] = []
    for o in ops:
        inner = escape_markers(o.text)
        if o.op == "equal":
            parts.append(inner)
            continue
        # the words' first and last characters must not complete the marker around them
        if inner[:1] in ("]", "}"):
            inner = "\\" + inner
        if inner[-1:] in ("[", "{"):
            inner += "\\"
        parts.append(f"[-{inner}-]" if o.op == "delete" else f"{{+{inner}+}}")
    return " ".join(p for p in parts if p)


def word_diff(before: str, after: str) -> str:
    """Inline word diff as escaped marker text (:func:`marked_text` of :func:`word_ops`).

    >>> word_diff("you may opt out", "you may not opt out")
    'you may {+not+} opt out'
    """
    return marked_text(word_ops(before, after))
