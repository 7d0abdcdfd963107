"""Bytes to text for HTML pages: BOM, HTTP charset, <meta charset>, then UTF-8 or cp1252."""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def sniff_encoding(data: bytes, content_type: str | None = None) -> str | None:
    """The encoding the page declares: a BOM first, then the HTTP header, then a <meta> tag."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if content_type and (m := _HEADER_CHARSET.search(content_type)) and (enc := _known(m[1])):
        return enc
    if (m2 := _META_CHARSET.search(data[:4096])) is not None:
        return _known(m2[1].decode("ascii", "replace"))
    return None


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode page bytes; undeclared pages are read as UTF-8, falling back to cp1252.

    >>> decode_html("<p>caf\\u00e9</p>".encode("cp1252"))
    '<p>café</p>'
    """
    declared = sniff_encoding(data, content_type)
    if declared:
        text = data.decode(declared, errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    return text.lstrip("\ufeff")
