"""Rendered HTML to clauses: clean the tree, locate the legal text, split it into blocks.

Pure: page bytes (or text) in, an :class:`Extraction` out. No network, clock or storage.
The steps live in :mod:`extractors.clean`, :mod:`extractors.locate` and
:mod:`extractors.blocks`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal

import lxml.etree as etree
import lxml.html
from cssselect import SelectorError

from clausewatch.errors import ExtractionError, SuspectPage
from clausewatch.extractors.blocks import split_blocks
from clausewatch.extractors.canonical import canonical_bytes, substance_hash
from clausewatch.extractors.clean import (
    attached,
    decode_cloudflare_emails,
    drop_all,
    drop_invisible,
    parse_html,
    with_controls,
)
from clausewatch.extractors.locate import (
    drop_furniture,
    is_consent_dialog,
    main_content,
    outside_title,
    trim_edges,
    trim_leading_menus,
    trim_trailing_menus,
)
from clausewatch.extractors.model import Clause, Extraction
from clausewatch.extractors.part import choose, find_part, is_heading, occurrence
from clausewatch.extractors.pdf import is_pdf, pdf_clauses
from clausewatch.extractors.survey import Survey, survey
from clausewatch.extractors.suspect import suspect_reason
from clausewatch.extractors.trace import (
    NO_TRACE,
    Trace,
    constant,
    edge_reason,
    furniture_reason,
    hidden_reason,
    widget_reason,
)
from clausewatch.extractors.widgets import drop_link_lists, drop_widgets, sign_up_forms

__all__ = ["extract", "parse_html"]


def extract(
    page: bytes | str,
    *,
    select: Sequence[str] = (),
    remove: Sequence[str] = (),
    content_type: str | None = None,
    part: str | None = None,
    trace: Trace = NO_TRACE,
) -> Extraction:
    """Extract the legal text of a page as clauses.

    ``select`` (CSS selectors) names the elements holding the legal text and ``remove`` the
    elements to drop inside them; without ``select`` the text is located automatically.
    Raises :class:`ExtractionError` when a selector matches nothing or no text is found.
    ``part`` is the URL's fragment: on a page that holds several documents it names the one
    wanted (:mod:`extractors.part`). ``trace`` is told what each step drops
    (:mod:`extractors.trace`, for ``explain``).
    """
    if isinstance(page, bytes) and is_pdf(page, content_type):
        return _extraction(pdf_clauses(page), "", "auto")
    _check_textual(page, content_type)
    doc = parse_html(page, content_type)
    title = _title(doc)
    body = doc.find("body")
    if body is None:
        body = doc
    found = survey(doc, body)
    trace.start(doc)
    wanted = find_part(doc, part) if part and not select else None
    nth = occurrence(doc, wanted) if wanted is not None and is_heading(wanted) else 0
    controls = set() if select else with_controls(found.controls)
    sign_ups = [] if select else sign_up_forms(found.email_inputs)
    trace.revealed(found.maybe_hidden, found.controlled)
    trace.before("invisible")
    drop_invisible(found.junk, found.comments, found.maybe_hidden, found.controlled)
    trace.after("invisible", hidden_reason)
    decode_cloudflare_emails(found.cf_emails)
    if select:
        roots = _select(body, select)
        trace.outside(body, roots, "outside the elements the catalog's `select` names")
        trace.before("catalog")
        for root in roots:
            _remove(root, remove)
        trace.after("catalog", constant("removed by the catalog's `remove` selectors"))
        clauses = tuple(c for root in roots for c in split_blocks(root))
    else:
        clauses = _automatic(body, controls, remove, found, trace, wanted, sign_ups)
        if part:
            kept = wanted is not None and (wanted is body or attached(wanted, body))
            clauses, note = choose(part, wanted, nth, clauses, kept)
            trace.part(note)
    if not clauses:
        if not select and any(is_consent_dialog(el, controls) for el in found.furniture):
            raise ExtractionError(
                "no legal text found in the page: it shows only a consent dialog, which is "
                "never the document (the policy may not have rendered yet); not recorded, the "
                "next capture tries again"
            )
        where = f"the elements matching {list(select)}" if select else "the page"
        raise ExtractionError(f"no legal text found in {where}: the page has no visible text")
    suspect = suspect_reason(clauses, title)
    if suspect is not None:
        raise SuspectPage(
            f"the page looks like an error, challenge, sign-in or redirect page ({suspect}), "
            "not the document: not recorded, the next capture tries again"
        )
    return _extraction(clauses, title, "select" if select else "auto")


def _extraction(
    clauses: tuple[Clause, ...], title: str, method: Literal["auto", "select"]
) -> Extraction:
    if not clauses:
        raise ExtractionError("no legal text found in the document: it has no text")
    canonical = canonical_bytes(clauses)
    return Extraction(
        clauses=clauses,
        title=title,
        method=method,
        canonical=canonical,
        content_hash=hashlib.sha256(canonical).hexdigest(),
        substance_hash=substance_hash(clauses),
    )


def _automatic(
    body: lxml.html.HtmlElement,
    controls: set[lxml.html.HtmlElement],
    remove: Sequence[str],
    found: Survey,
    trace: Trace,
    wanted: lxml.html.HtmlElement | None = None,
    sign_ups: Sequence[lxml.html.HtmlElement] = (),
) -> tuple[Clause, ...]:
    trace.before("furniture")
    drop_furniture(body, controls, found.furniture)
    trace.after("furniture", furniture_reason(controls))
    trace.before("widget")
    drop_widgets(body, found.screen_reader_only, found.headings, found.feedback, found.related)
    trace.after("widget", widget_reason)
    if wanted is not None and not is_heading(wanted) and attached(wanted, body):
        root = wanted  # the section the URL's fragment names
    else:
        root = main_content(body, found.landmarks)
    trace.before("edge")
    if root is body:
        trim_edges(root)
        trace.after("edge", constant("a menu-like block at the start or end of the page"))
    else:
        menu = trim_leading_menus(root)
        trim_trailing_menus(root, menu, sign_ups)
        trace.after("edge", edge_reason)
    trace.before("widget")
    drop_link_lists(root)
    trace.after("widget", widget_reason)
    trace.before("catalog")
    _remove(root, remove)
    trace.after("catalog", constant("removed by the catalog's `remove` selectors"))
    title = outside_title(body, root)
    kept = [root] if title is None else [title, root]
    trace.outside(body, kept, "outside the element that holds the legal text")
    heading = tuple(split_blocks(title)) if title is not None else ()
    return heading + tuple(split_blocks(root))


_TEXTUAL = ("html", "xml", "text/")


def _check_textual(page: bytes | str, content_type: str | None) -> None:
    """Refuse images, archives and other binary answers before they become "text"."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media and not any(kind in media for kind in _TEXTUAL):
        raise ExtractionError(
            f"the answer is {media}, not a page: there is no legal text to extract"
        )
    if (
        isinstance(page, bytes)
        and b"\x00" in page[:1024]
        and not page.startswith((b"\xff\xfe", b"\xfe\xff"))
    ):
        raise ExtractionError(
            "the answer is binary data, not a page: there is no legal text to extract"
        )


def _title(doc: lxml.html.HtmlElement) -> str:
    node = doc.find(".//title")
    text = node.text_content() if node is not None else ""
    return " ".join(text.split())


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
        # a selector matching the container itself removes nothing: the text is in it
        drop_all(el for el in _css(root, sel) if el is not root)


def _css(root: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    try:
        return list(root.cssselect(selector))
    except (SelectorError, etree.XPathError, RecursionError) as exc:
        # cssselect refuses some selectors only when they run (a namespace such as "a|b"),
        # and recurses on very long ones
        reason = "too deeply nested" if isinstance(exc, RecursionError) else str(exc)
        raise ExtractionError(f"invalid CSS selector {selector[:200]!r}: {reason}") from None
