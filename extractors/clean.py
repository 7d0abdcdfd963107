"""Parsing and cleaning: a page's tree without the parts nobody sees.

Scripts, styles, templates, form controls, comments and hidden elements (``hidden``,
``aria-hidden="true"``, inline ``display:none`` / ``visibility:hidden``) are dropped; e-mail
addresses that Cloudflare obfuscates in the served page are decoded back.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

import lxml.etree as etree
import lxml.html

from clausewatch.errors import ExtractionError
from clausewatch.extractors.decode import decode_html

# Elements whose content is never legal text.
JUNK_TAGS = frozenset(
    "script style noscript template svg canvas iframe object embed button select input "
    "textarea option datalist dialog link meta head".split()
)
# Controls that mark a block as an interface (a consent banner, a menu) rather than text.
CONTROL_TAGS = frozenset({"button", "input", "select", "textarea"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>")
# Control characters mean nothing in HTML text, and lxml refuses them when text is moved. In
# UTF-8 these bytes never occur inside a multi-byte sequence, so they are deleted as bytes.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_NONCHARACTERS = ("\ufffe".encode(), "\uffff".encode())
# ... and character references to them ("&#1;", "&#x1f"), which the parser would decode into
# the tree (found by atheris).
_CONTROL_REFS = re.compile(
    rb"&#(?:0*(?:[0-8]|1[1-2]|1[4-9]|2\d|3[01]|127)(?!\d)"
    rb"|[xX]0*(?:[0-8]|[bBcCeEfF]|1[0-9a-fA-F]|7[fF])(?![0-9a-fA-F]));?"
)
# libxml2 keeps at most 256 levels of nesting by default (and drops deeper text); huge_tree
# raises that to 2048, more than any real page needs. The page is always handed over as UTF-8
# (decoded by :func:`decode_html` first, whatever it declared), so libxml2 never guesses.
_PARSER = lxml.html.HTMLParser(huge_tree=True, encoding="utf-8")
# Every element is an HtmlElement (text_content, drop_tree, cssselect), looked up in C: lxml.html's
# own lookup calls Python for each element (to give forms and inputs their own classes, which
# extraction never uses) and makes every walk of the tree more than twice as slow.
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)


def parse_html(page: bytes | str, content_type: str | None = None) -> lxml.html.HtmlElement:
    """Parse a page into an lxml tree (never raises on malformed markup)."""
    text = page if isinstance(page, str) else decode_html(page, content_type)
    data = _XML_DECL.sub(b"", text.encode("utf-8", "replace")).translate(None, _CONTROL_BYTES)
    for noncharacter in _NONCHARACTERS:
        data = data.replace(noncharacter, b"")
    if b"&#" in data:
        data = _CONTROL_REFS.sub(b"", data)
    if not data.strip():
        raise ExtractionError("the page is empty: there is no text to extract")
    try:
        return lxml.html.document_fromstring(data, parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"the page could not be parsed as HTML: {exc}") from exc


def size(el: lxml.html.HtmlElement) -> int:
    """Characters of visible text under an element, white space not counted."""
    text: str = el.text_content()
    return len(text) - sum(text.count(space) for space in " \n\t\r\xa0")


def attached(el: lxml.html.HtmlElement, root: lxml.html.HtmlElement) -> bool:
    """Whether ``el`` is still in ``root``'s tree (a strict descendant of it)."""
    return any(a is root for a in el.iterancestors())


def drop_all(elements: Iterable[lxml.html.HtmlMixin]) -> None:
    for el in elements:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text, which belongs to the parent


def with_controls(controls: Iterable[lxml.html.HtmlElement]) -> set[lxml.html.HtmlElement]:
    """Every element that contains one of the form ``controls`` (found before anything is
    dropped: :func:`extractors.survey.survey`)."""
    marked: set[lxml.html.HtmlElement] = set()
    for control in controls:
        for ancestor in control.iterancestors():
            if ancestor in marked:
                break
            marked.add(ancestor)
    return marked


def drop_invisible(
    junk: Iterable[lxml.html.HtmlMixin],
    comments: Iterable[lxml.html.HtmlMixin],
    maybe_hidden: Iterable[lxml.html.HtmlElement],
    controlled: Collection[str] = (),
) -> None:
    """Drop junk elements, comments (and processing instructions) and hidden elements, as
    found by :func:`extractors.survey.survey`; ``maybe_hidden`` are the elements with a
    ``hidden``, ``aria-hidden`` or ``style`` attribute.

    Hidden content a reader can reveal stays: a tab panel (``role=tabpanel``) or an element
    whose ``id`` a tab, accordion or disclosure button names in ``aria-controls``
    (``controlled``). What nothing reveals is dropped."""
    drop_all(
        [
            *junk,
            *comments,
            *(el for el in maybe_hidden if is_hidden(el) and not revealable(el, controlled)),
        ]
    )


def revealable(el: lxml.html.HtmlElement, controlled: Collection[str]) -> bool:
    ident = el.get("id")
    return el.get("role") == "tabpanel" or (ident is not None and ident in controlled)


def is_hidden(el: lxml.html.HtmlElement) -> bool:
    attrib = el.attrib
    if "hidden" in attrib or attrib.get("aria-hidden") == "true":
        return True
    style = attrib.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def decode_cloudflare_emails(elements: Iterable[lxml.html.HtmlElement]) -> None:
    """Put back the addresses Cloudflare's e-mail protection hides in served pages.

    ``elements`` have a ``data-cfemail`` attribute or are links to ``/cdn-cgi/l/email-protection#``.
    The address is hex in ``data-cfemail`` (or after ``#`` in the link): the first byte is a
    key XORed with every following byte.
    """
    for el in elements:
        encoded = el.get("data-cfemail") or el.get("href", "").rpartition("#")[2]
        address = decode_cfemail(encoded)
        if address is None:
            continue
        for child in list(el):
            el.remove(child)
        el.text = address


def decode_cfemail(encoded: str) -> str | None:
    """
    >>> decode_cfemail("543a3b1439353d387a313a33")
    'no@mail.eng'
    """
    try:
        data = bytes.fromhex(encoded)
    except ValueError:
        return None
    if len(data) < 2:
        return None
    key = data[0]
    try:
        address = bytes(b ^ key for b in data[1:]).decode("utf-8")
    except UnicodeDecodeError:
        return None
    # an address is printable text; anything else (a NUL, a control character) is not one,
    # and lxml would refuse it as element text (found by atheris)
    return address if address.isprintable() else None
