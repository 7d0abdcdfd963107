"""Text normalisation applied to every clause: pure string functions."""

from __future__ import annotations

import re
import unicodedata

# Characters that render as nothing (or as a break opportunity) and carry no meaning.
_INVISIBLE = dict.fromkeys(
    map(
        ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    ),
    None,
)
_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def normalize_text(text: str) -> str:
    """Fold a block of text to its canonical form.

    Unicode NFC, invisible characters removed, every run of white space (including no-break
    and typographic spaces) collapsed to one space, ends stripped.

    >>> normalize_text("  Data\\u00a0we\\u200b collect\\n\\tand  use ")
    'Data we collect and use'
    >>> normalize_text("Cafe\\u0301") == "Caf\\u00e9"
    True
    """
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()
