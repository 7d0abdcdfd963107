"""A history a person can read at a glance: an inline SVG, one mark per version (no script).

Each mark's height is the number of words the version changed (against the version before;
a log scale, so one word still shows and a rewrite does not flatten the rest), its colour the
change class, its tooltip (``<title>``) the version, class and count, and it links to the
diff with the version before. The same chart serves one clause (a provision's page): a mark
per document version, high where the clause's words changed.

Pure: counts in, the chart's geometry out; ``templates/macros.html`` draws it (autoescaped).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clausewatch.changes.diff import ClauseDiff, word_ops

COLOURS = {
    "first": "#2a7",
    "substantive": "#c22",
    "reverted": "#e9a400",
    "flapping": "#8a3ab9",
    "language": "#36c",
    "cosmetic": "#aaa",
    "moved": "#6bd",
    "unchanged": "#ddd",
    "removed": "#555",
    "damaged": "#000",
}
HEIGHT = 60
BAR = 8
GAP = 2
MAX_MARKS = 400  # the newest ones; older history is in the table below the chart


@dataclass(frozen=True)
class Mark:
    version: int
    change_class: str
    words: int  # words changed against the version before
    href: str | None  # the diff with the version before


def words_changed(diff: ClauseDiff) -> int:
    """Words a version added, removed or rewrote, against the version before."""
    total = 0
    for c in diff.changes:
        if c.change == "modified":
            total += sum(len(o.text.split()) for o in c.word_ops or () if o.op != "equal")
        elif c.change in ("added", "removed"):
            total += len(((c.after if c.change == "added" else c.before) or "").split())
    return total


def clause_words(before: str | None, after: str | None) -> int:
    """Words one clause changed between two versions (all of them when it came or went)."""
    if before == after:
        return 0
    if before is None or after is None:
        return len((before or after or "").split())
    return sum(len(o.text.split()) for o in word_ops(before, after) if o.op != "equal")


def layout(marks: Sequence[Mark], label: str) -> dict[str, Any] | None:
    """The chart's geometry, oldest version on the left, for the ``timeline`` macro of
    ``templates/macros.html`` (which escapes every value, as every template does)."""
    shown = list(marks)[-MAX_MARKS:]
    if not shown:
        return None
    top = max(m.words for m in shown)
    scale = math.log1p(top) or 1.0
    bars = []
    for i, m in enumerate(shown):
        h = 2 if m.words == 0 else max(3, round(HEIGHT * math.log1p(m.words) / scale))
        bars.append(
            {
                "x": i * (BAR + GAP),
                "y": HEIGHT + 1 - h,
                "width": BAR,
                "height": h,
                "colour": COLOURS.get(m.change_class, "#999"),
                "tip": f"version {m.version}: {m.change_class}, {m.words} word(s) changed",
                "href": m.href,
            }
        )
    return {
        "label": label,
        "width": len(shown) * (BAR + GAP),
        "height": HEIGHT + 2,
        "bars": bars,
        "omitted": len(marks) - len(shown),
        "legend": [(n, c) for n, c in COLOURS.items() if n != "unchanged"],
    }
