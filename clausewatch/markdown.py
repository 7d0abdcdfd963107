"""Untrusted page text made safe to print and to put in Markdown.

Captured page text is untrusted: in Markdown it is HTML-escaped and its Markdown
metacharacters are backslash-escaped, so a page cannot inject links, HTML or table cells into
a Prefect artifact; control characters (C0, DEL, C1) and the bidirectional overrides become
U+FFFD (line breaks and tabs a space), so a title cannot drive the terminal that prints a
report (an ESC sequence) or reorder what it shows.
"""

from __future__ import annotations

import html
import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")
_SPACES = re.compile(r"[\t\n\v\f\r\u2028\u2029]")
# C0 controls, DEL, C1 controls; the bidi embeddings, overrides and isolates (Trojan Source)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Untrusted text with no control characters: whitespace ones become a space, the others
    (and bidi overrides) U+FFFD, so printing it cannot drive or confuse a terminal."""
    return _CONTROLS.sub("\ufffd", _SPACES.sub(" ", text))


def md(text: str) -> str:
    r"""Escape untrusted text for Markdown (and the HTML Markdown may contain): ``<``, ``>`` and
    ``&`` as HTML entities, so no tag can form; quotes are left as they are (an entity's ``#``
    would be backslash-escaped, and readers would see ``&#x27;`` for every apostrophe).

    >>> print(md("Don't <b>click</b> [here](x)"))
    Don't &lt;b&gt;click&lt;/b&gt; \[here\]\(x\)
    """
    return _MD_SPECIAL.sub(r"\\\1", html.escape(printable(text), quote=False))


def code(text: str) -> str:
    """Untrusted text as a Markdown code span: shown literally (no backslash escapes, which a
    code span would print), fenced with more backticks than any run inside it."""
    text = printable(text)
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
