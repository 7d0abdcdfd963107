"""Pure extraction: page bytes in, clauses out. No network, clock or storage."""

from clausewatch.extractors.canonical import (
    CANONICAL_VERSION,
    canonical_bytes,
    content_hash,
    parse_canonical,
    substance_hash,
    substance_tokens,
)
from clausewatch.extractors.html import extract
from clausewatch.extractors.model import Clause, Extraction
from clausewatch.extractors.text import normalize_text

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
