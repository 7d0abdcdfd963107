"""PDF documents to clauses: text per page (pypdf), then paragraphs and headings.

PDF text comes as lines. Lines that repeat on most pages (running headers and footers) and
bare page numbers are dropped; words hyphenated across a line break are joined; lines are
joined into a paragraph until one ends a sentence; a short line without final punctuation that
looks like a title ("4. Your rights", "DATA RETENTION", "Your Choices") is a heading.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

from clausewatch.errors import ExtractionError
from clausewatch.extractors.model import Clause
from clausewatch.extractors.text import normalize_text

PDF_MAGIC = b"%PDF-"
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.I)
_NUMBERED = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVX]{1,5}\.)\s+\S")
_SENTENCE_END = (".", ":", ";", "!", "?", "\u201d", '"', ")")
HEADING_MAX_CHARS = 80
REPEATED_SHARE = 0.5  # a line on more than this share of pages is a running header/footer


def is_pdf(page: bytes, content_type: str | None = None) -> bool:
    return page.lstrip()[:5] == PDF_MAGIC or "application/pdf" in (content_type or "")


def pdf_clauses(data: bytes) -> tuple[Clause, ...]:
    """The clauses of a PDF document; ExtractionError if it cannot be read."""
    from pypdf import PdfReader  # imported here: 0.1 s that HTML pages need not pay
    from pypdf.errors import PdfReadError, PdfStreamError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed PDFs are reported by us
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [(page.extract_text() or "").splitlines() for page in reader.pages]
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError) as exc:
        raise ExtractionError(f"the PDF could not be read: {exc}") from exc
    return tuple(_clauses(_body_lines(pages)))


def _body_lines(pages: list[list[str]]) -> list[str]:
    stripped = [[line.strip() for line in page if line.strip()] for page in pages]
    counts = Counter(line for page in stripped for line in set(page))
    repeated = {
        line for line, n in counts.items() if len(pages) > 2 and n > REPEATED_SHARE * len(pages)
    }
    return [
        line
        for page in stripped
        for line in page
        if line not in repeated and not _PAGE_NUMBER.match(line)
    ]


def _is_heading(line: str) -> bool:
    if len(line) > HEADING_MAX_CHARS or line.endswith(_SENTENCE_END) or line.endswith(","):
        return False
    words = [w for w in line.split() if w[:1].isalpha()]
    titled = bool(words) and all(w[0].isupper() or len(w) <= 3 for w in words)
    return bool(_NUMBERED.match(line)) or line.isupper() or titled


def _clauses(lines: list[str]) -> list[Clause]:
    """Paragraphs and headings; the first heading is the title (level 1), the rest level 2."""
    clauses: list[Clause] = []
    title: str | None = None
    section: str | None = None
    paragraph = ""

    def flush() -> None:
        nonlocal paragraph
        text = normalize_text(paragraph)
        if text:
            path = tuple(h for h in (title, section) if h)
            clauses.append(Clause(kind="paragraph", text=text, path=path))
        paragraph = ""

    for line in lines:
        if not paragraph and _is_heading(line):
            text = normalize_text(line)
            if title is None:
                title = text
                clauses.append(Clause(kind="heading", text=text, level=1))
            else:
                section = text
                clauses.append(Clause(kind="heading", text=text, path=(title,), level=2))
            continue
        if paragraph.endswith("-") and line[:1].islower():
            paragraph = paragraph[:-1] + line  # a word hyphenated across the line break
        else:
            paragraph = f"{paragraph} {line}" if paragraph else line
        if line.endswith(_SENTENCE_END):
            flush()
    flush()
    return clauses
