"""Why a page's legal text is what it is: the blocks extraction kept and those it dropped.

:func:`explain` runs the very extraction that recording runs (:func:`extractors.html.extract`)
with a :class:`extractors.trace.Recorder`, and returns what it kept (the clauses, and hidden
content kept because a reader can reveal it), what each step dropped and why, and the
relative times folded out of the substance. Pure, like every extractor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from clausewatch.errors import ExtractionError
from clausewatch.extractors.html import extract
from clausewatch.extractors.language import detect_language
from clausewatch.extractors.model import Clause
from clausewatch.extractors.pdf import is_pdf
from clausewatch.extractors.text import volatile_spans
from clausewatch.extractors.trace import STEPS, Dropped, Recorder


@dataclass(frozen=True)
class Explanation:
    title: str
    language: str | None  # of the kept text (:func:`extractors.language.detect_language`)
    method: str  # "auto", "select" or "pdf"; "" when extraction failed
    roots: list[str]  # where the kept text was found (CSS-like paths)
    parts: list[str]  # how the URL's fragment chose the document among several on the page
    clauses: tuple[Clause, ...]
    dropped: list[Dropped]  # in the page's order
    kept_hidden: list[Dropped]
    not_text: dict[str, int]  # tag -> elements dropped as never text (script, style, ...)
    volatile: list[tuple[int, list[str]]] = field(default_factory=list)  # clause index, spans
    error: str | None = None  # why extraction failed (a recording would be extraction_failed)
    reason: str | None = None  # the failure's reason ("suspect") where it has one

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "language": self.language,
            "method": self.method,
            "roots": self.roots,
            "parts": self.parts,
            "error": self.error,
            "reason": self.reason,
            "clauses": [
                {"kind": c.kind, "path": list(c.path), "text": c.text} for c in self.clauses
            ],
            "dropped": [d.as_json() for d in self.dropped],
            "kept_hidden": [d.as_json() for d in self.kept_hidden],
            "not_text": self.not_text,
            "volatile": [{"clause": i, "folded": spans} for i, spans in self.volatile],
            "steps": STEPS,
        }


def explain(
    page: bytes | str,
    *,
    select: Sequence[str] = (),
    remove: Sequence[str] = (),
    content_type: str | None = None,
    part: str | None = None,
) -> Explanation:
    """Extract ``page`` as recording would, and say what was kept and dropped, and why.

    Never raises :class:`ExtractionError`: a page that yields no legal text is explained too
    (``error`` says why, ``dropped`` where its text went)."""
    recorder = Recorder()
    try:
        found = extract(
            page,
            select=select,
            remove=remove,
            content_type=content_type,
            part=part,
            trace=recorder,
        )
    except ExtractionError as exc:
        return Explanation(
            title="",
            language=None,
            method="",
            roots=recorder.roots,
            parts=recorder.parts,
            clauses=(),
            dropped=sorted(recorder.dropped, key=lambda d: d.order),
            kept_hidden=recorder.kept_hidden,
            not_text=dict(recorder.not_text),
            error=str(exc),
            reason=exc.reason,
        )
    volatile = [
        (i, spans) for i, c in enumerate(found.clauses) if (spans := volatile_spans(c.text))
    ]
    return Explanation(
        title=found.title,
        language=detect_language(found.clauses),
        method="pdf" if isinstance(page, bytes) and is_pdf(page, content_type) else found.method,
        roots=recorder.roots,
        parts=recorder.parts,
        clauses=found.clauses,
        dropped=sorted(recorder.dropped, key=lambda d: d.order),
        kept_hidden=recorder.kept_hidden,
        not_text=dict(recorder.not_text),
        volatile=volatile,
    )
