"""Human-readable reports of outcomes and clause diffs: terminal text and Markdown.

Captured page text is untrusted: every piece of it goes through :mod:`clausewatch.markdown`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from clausewatch.changes.diff import ClauseChange, ClauseDiff
from clausewatch.changes.lineage import Lineage, clause_id
from clausewatch.markdown import md
from clausewatch.pipeline.model import Outcome

Lineages = tuple[Lineage | None, Lineage | None]
_SYMBOL = {"added": "+", "removed": "-", "modified": "~", "moved": ">"}


def counts_text(diff: ClauseDiff) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in diff.counts.items() if n) or "no clause changes"


def diff_text(diff: ClauseDiff, lineages: Lineages = (None, None)) -> str:
    """The clause changes for a terminal: one block per change, word diff for modifications.

    Each block names the clause's stable id (its lineage) and the headings above it.
    """
    blocks = []
    for c in diff.changes:
        where = " > ".join(c.path) or "(top)"
        ident = clause_id(c, *lineages)
        label = f"{c.change.upper()} {ident}" if ident else c.change.upper()
        blocks.append(f"{_SYMBOL[c.change]} {label} in {where}\n    {_body(c)}")
    return "\n".join(blocks)


def _body(c: ClauseChange) -> str:
    if c.change == "modified":
        return c.word_diff or ""
    return (c.after if c.change in ("added", "moved") else c.before) or ""


def run_table(outcomes: Iterable[Outcome], store_url: str, listed: int = 500) -> str:
    """The run's outcomes as Markdown: counts per status, then a row per document; past
    ``listed`` documents only those that are not ``unchanged`` get a row."""
    outcomes = list(outcomes)
    counts = Counter(o.status for o in outcomes)
    quiet = len(outcomes) > listed
    shown = [o for o in outcomes if not quiet or o.status != "unchanged"][:listed]
    rows = ["| document | status | version | content hash | detail |", "|---|---|---|---|---|"]
    for o in shown:
        detail = o.error or (counts_text(o.diff) if o.diff else _counts(o.counts))
        short = (o.content_hash or "")[:12]
        rows.append(
            f"| {md(o.document)} | {o.status} | {o.version or ''} | `{short}` | {md(detail)} |"
        )
    totals = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    left = len(outcomes) - len(shown)
    note = f"\n{left} more document(s) not listed (unchanged first).\n" if left else ""
    return (
        f"# clausewatch monitor run\n\nStore: `{md(store_url)}`\n\n"
        f"{len(outcomes)} document(s): {totals}.\n\n" + "\n".join(rows) + "\n" + note
    )


def _counts(counts: dict[str, int] | None) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) if counts else ""


def change_markdown(outcome: Outcome) -> str:
    lines = [
        f"# {md(outcome.document)} changed (version {outcome.version})",
        "",
        f"Content hash `{outcome.content_hash}`, manifest `{outcome.manifest}`.",
        "",
    ]
    for c in outcome.diff.changes if outcome.diff else ():
        ident = clause_id(c, *outcome.lineages) or ""
        where = md(" > ".join(c.path) or "(top)")
        lines.append(f"- **{c.change}** {ident} in _{where}_: {_md_body(c)}")
    return "\n".join(lines) + "\n"


def _md_body(c: ClauseChange) -> str:
    ops = c.word_ops
    if not ops:
        return md(_body(c))
    # strike-through and bold from the operations, around escaped words
    marks = {"delete": "~~", "insert": "**", "equal": ""}
    return " ".join(f"{marks[o.op]}{md(o.text)}{marks[o.op]}" for o in ops)
