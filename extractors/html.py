"""Rendered HTML to clauses: clean the tree, locate the legal text, split it into blocks.

Pure: page bytes (or text) in, an :class:`Extraction` out. No network, clock or storage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

import lxml.etree as etree
import lxml.html
from cssselect import SelectorError

from clausewatch.errors import ExtractionError
from extractors.blocks import split_blocks
from extractors.decode import decode_html
from extractors.model import Extraction

# Elements whose content is never legal text.
_JUNK_TAGS = frozenset(
    "script style noscript template svg canvas iframe object embed button select input "
    "textarea option datalist dialog link meta head".split()
)
# Page furniture, dropped in automatic mode.
_FURNITURE_TAGS = frozenset({"nav", "aside"})
_PAGE_EDGE_TAGS = frozenset({"header", "footer"})
_FURNITURE_ROLES = frozenset(
    "navigation banner contentinfo complementary dialog alertdialog search menu menubar "
    "toolbar".split()
)
# class/id tokens of banners, consent walls, promos and rails.
_FURNITURE_TOKENS = re.compile(
    r"(?:^|[-_\s])(cookies?|consent|gdpr|onetrust|promo|promotion|advert|ads|newsletter|"
    r"subscribe|modal|popup|overlay|breadcrumbs?|sidebar|share|social|skip|toast)(?:$|[-_\s])",
    re.I,
)
_MAYBE_HIDDEN = etree.XPath(".//*[@hidden or @aria-hidden or @style]")
_ROLES = etree.XPath(".//*[@role]")
_IDS_AND_CLASSES = etree.XPath(".//@id|.//@class")  # attribute values that know their element
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
# libxml2 keeps at most 256 levels of nesting by default (and drops deeper text); huge_tree
# raises that to 2048, more than any real page needs.
_PARSER = lxml.html.HTMLParser(huge_tree=True)
# A main landmark is trusted when it holds at least this share of the page's text ...
_LANDMARK_SHARE = 0.5
# ... otherwise we descend from <body> into the child holding at least this share.
_DESCENT_SHARE = 0.8
# Furniture matched only by class/id is dropped when it holds less than this share.
_FURNITURE_MAX_SHARE = 0.3


def parse_html(page: bytes | str, content_type: str | None = None) -> lxml.html.HtmlElement:
    """Parse a page into an lxml tree (never raises on malformed markup)."""
    text = page if isinstance(page, str) else decode_html(page, content_type)
    text = _XML_DECL.sub("", text)
    if not text.strip():
        raise ExtractionError("the page is empty: there is no text to extract")
    try:
        return lxml.html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"the page could not be parsed as HTML: {exc}") from exc


def extract(
    page: bytes | str,
    *,
    select: Sequence[str] = (),
    remove: Sequence[str] = (),
    content_type: str | None = None,
) -> Extraction:
    """Extract the legal text of a page as clauses.

    ``select`` (CSS selectors) names the elements holding the legal text and ``remove`` the
    elements to drop inside them; without ``select`` the text is located automatically.
    Raises :class:`ExtractionError` when a selector matches nothing or no text is found.
    """
    doc = parse_html(page, content_type)
    title = _title(doc)
    _drop_junk(doc)
    body = doc.find("body")
    if body is None:
        body = doc
    if select:
        roots = _select(body, select)
        method: str = "select"
    else:
        _drop_furniture(body)
        roots = [_main_content(body)]
        method = "auto"
    for root in roots:
        _remove(root, remove)
    clauses = tuple(c for root in roots for c in split_blocks(root))
    if not clauses:
        where = f"the elements matching {list(select)}" if select else "the page"
        raise ExtractionError(f"no legal text found in {where}: the page has no visible text")
    return Extraction(
        clauses=clauses, title=title, method="select" if method == "select" else "auto"
    )


def _title(doc: lxml.html.HtmlElement) -> str:
    node = doc.find(".//title")
    text = node.text_content() if node is not None else ""
    return " ".join(text.split())


def _drop_junk(doc: lxml.html.HtmlElement) -> None:
    doomed: list[lxml.html.HtmlMixin] = list(doc.iter(*_JUNK_TAGS))
    doomed += doc.iter(etree.Comment, etree.ProcessingInstruction)
    doomed += (el for el in _found(_MAYBE_HIDDEN, doc) if _is_hidden(el))
    _drop_all(doomed)


def _is_hidden(el: lxml.html.HtmlElement) -> bool:
    attrib = el.attrib
    if "hidden" in attrib or attrib.get("aria-hidden") == "true":
        return True
    style = attrib.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _drop_all(elements: Sequence[lxml.html.HtmlMixin]) -> None:
    for el in elements:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text, which belongs to the parent


def _found(xpath: etree.XPath, node: lxml.html.HtmlElement) -> list[Any]:
    """An XPath's node-set (elements, or attribute values that know their element)."""
    return cast(list[Any], xpath(node))


def _size(el: lxml.html.HtmlElement) -> int:
    """Characters of visible text under an element, white space not counted."""
    text: str = el.text_content()
    return len(text) - sum(text.count(space) for space in " \n\t\r\xa0")


def _drop_furniture(body: lxml.html.HtmlElement) -> None:
    total = max(1, _size(body))
    candidates = {*body.iter(*_FURNITURE_TAGS, *_PAGE_EDGE_TAGS), *_found(_ROLES, body)}
    candidates.update(
        v.getparent() for v in _found(_IDS_AND_CLASSES, body) if _FURNITURE_TOKENS.search(v)
    )
    _drop_all([el for el in candidates if _is_furniture(el, total)])


def _is_furniture(el: lxml.html.HtmlElement, total: int) -> bool:
    tag = el.tag
    if tag == "nav":
        return True
    if tag in _FURNITURE_TAGS or el.get("role", "") in _FURNITURE_ROLES:
        return _size(el) < _FURNITURE_MAX_SHARE * total
    if tag in _PAGE_EDGE_TAGS:
        return not any(a.tag in ("main", "article") for a in el.iterancestors())
    named = any(_FURNITURE_TOKENS.search(el.get(a, "")) for a in ("id", "class"))
    return named and _size(el) < _FURNITURE_MAX_SHARE * total


def _main_content(body: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    total = _size(body)
    for landmark in body.xpath('.//main|.//*[@role="main"]|.//article'):
        if _size(landmark) >= _LANDMARK_SHARE * total:
            return landmark
    node, size = body, total
    while True:
        sized = [(_size(c), c) for c in node if isinstance(c.tag, str)]
        if not sized:
            return node
        best_size, best = max(sized, key=lambda pair: pair[0])
        if best_size < _DESCENT_SHARE * size:
            return node
        node, size = best, best_size


def _select(body: lxml.html.HtmlElement, selectors: Sequence[str]) -> list[lxml.html.HtmlElement]:
    found: list[lxml.html.HtmlElement] = []
    for sel in selectors:
        matches = _css(body, sel)
        if not matches:
            raise ExtractionError(
                f"selector {sel!r} matched nothing: the page layout may have changed; "
                "check the document's `select` in the catalog"
            )
        found.extend(m for m in matches if m not in found)
    # keep document order and drop elements nested in another selected element
    order = {el: i for i, el in enumerate(body.iter())}
    found.sort(key=lambda el: order.get(el, 0))
    chosen = set(found)
    return [el for el in found if not any(a in chosen for a in el.iterancestors())]


def _remove(root: lxml.html.HtmlElement, selectors: Sequence[str]) -> None:
    for sel in selectors:
        _drop_all(_css(root, sel))


def _css(root: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    try:
        return list(root.cssselect(selector))
    except SelectorError as exc:
        raise ExtractionError(f"invalid CSS selector {selector!r}: {exc}") from exc
