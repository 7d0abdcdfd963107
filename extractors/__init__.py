"""Pure extraction: page bytes in, clauses out. No network, clock or storage."""

from extractors.canonical import (
    CANONICAL_VERSION,
    canonical_bytes,
    content_hash,
    parse_canonical,
    substance_hash,
    substance_tokens,
)
from extractors.html import extract
from extractors.model import Clause, Extraction
from extractors.text import normalize_text

__all__ = [
    "CANONICAL_VERSION",
    "Clause",
    "Extraction",
    "canonical_bytes",
    "content_hash",
    "extract",
    "normalize_text",
    "parse_canonical",
    "substance_hash",
    "substance_tokens",
]
