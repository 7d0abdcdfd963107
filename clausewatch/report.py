"""Human-readable reports of outcomes and clause diffs: terminal text and Markdown.

Captured page text is untrusted: in Markdown it is HTML-escaped and its Markdown
metacharacters are backslash-escaped, so a page cannot inject links, HTML or table cells into
a Prefect artifact; control characters (C0, DEL, C1) and the bidirectional overrides become
U+FFFD (line breaks and tabs a space), so a title cannot drive the terminal that prints a
report (an ESC sequence) or reorder what it shows.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable

from clausewatch.diff import ClauseChange, ClauseDiff
from clausewatch.lineage import Lineage, clause_id
from clausewatch.record import Outcome

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")
_SPACES = re.compile(r"[\t\n\v\f\r\u2028\u2029]")
# C0 controls, DEL, C1 controls; the bidi embeddings, overrides and isolates (Trojan Source)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
Lineages = tuple[Lineage | None, Lineage | None]
_SYMBOL = {"added": "+", "removed": "-", "modified": "~", "moved": ">"}


def printable(text: str) -> str:
    """Untrusted text with no control characters: whitespace ones become a space, the others
    (and bidi overrides) U+FFFD, so printing it cannot drive or confuse a terminal."""
    return _CONTROLS.sub("\ufffd", _SPACES.sub(" ", text))


def md(text: str) -> str:
    """Escape untrusted text for Markdown (and the HTML Markdown may contain)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(printable(text), quote=True))


def code(text: str) -> str:
    """Untrusted text as a Markdown code span: shown literally (no backslash escapes, which a
    code span would print), fenced with more backticks than any run inside it."""
    text = printable(text)
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


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
