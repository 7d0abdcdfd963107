"""One pass over a parsed page that finds what every later step looks for.

Cleaning and locating need six kinds of element: junk (scripts, styles, controls...), comments,
maybe-hidden elements, form controls, Cloudflare-obfuscated addresses, page-furniture
candidates and main-content landmarks. Asking libxml2 for each with an XPath costs one walk of
the tree per path (about 0.3 ms a page each, more for unions); reading each element's tag and
attribute names once costs less than two of them. The lists are in document order, as the XPath
node-sets were.

The survey sees the page before anything is dropped. Steps that run later must not act on an
element an earlier step detached: :func:`extractors.locate.main_content` skips landmarks no
longer under the body (:func:`extractors.clean.attached`); dropping furniture that is already
detached, or decoding an address in a detached subtree, changes only that subtree, which
nothing reads again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import lxml.etree as etree
import lxml.html

from clausewatch.extractors.clean import CONTROL_TAGS, JUNK_TAGS
from clausewatch.extractors.locate import FURNITURE_TAGS, named_like_furniture
from clausewatch.extractors.widgets import (
    FEEDBACK_TAGS,
    HEADING_TAGS,
    RELATED_HEADING_MAX_CHARS,
    asks_for_feedback,
    is_email_input,
    names_related,
    names_screen_reader_only,
)

RELATED_OWN_MAX_CHARS = 2 * RELATED_HEADING_MAX_CHARS  # white space around the title allowed
_CONTROL_ROLES = frozenset({"button", "switch", "checkbox"})
_LANDMARK_TAGS = frozenset({"main", "article"})
_NOT_ELEMENTS = (etree.Comment, etree.ProcessingInstruction)
_CF_LINK = "/cdn-cgi/l/email-protection#"


@dataclass
class Survey:
    junk: list[lxml.html.HtmlElement] = field(default_factory=list)
    comments: list[lxml.html.HtmlElement] = field(default_factory=list)  # and PIs
    maybe_hidden: list[lxml.html.HtmlElement] = field(default_factory=list)
    controls: list[lxml.html.HtmlElement] = field(default_factory=list)
    cf_emails: list[lxml.html.HtmlElement] = field(default_factory=list)
    furniture: list[lxml.html.HtmlElement] = field(default_factory=list)  # candidates
    landmarks: list[lxml.html.HtmlElement] = field(default_factory=list)
    screen_reader_only: list[lxml.html.HtmlElement] = field(default_factory=list)
    headings: list[lxml.html.HtmlElement] = field(default_factory=list)  # h2-h6
    feedback: list[lxml.html.HtmlElement] = field(default_factory=list)  # "was this helpful?"
    email_inputs: list[lxml.html.HtmlElement] = field(default_factory=list)  # sign-up forms
    # other elements whose own text is all "Related articles" (a heading styled, not tagged)
    related: list[lxml.html.HtmlElement] = field(default_factory=list)
    # ids named by a control's aria-controls (tabs, accordion and disclosure buttons)
    controlled: set[str] = field(default_factory=set)


def survey(doc: lxml.html.HtmlElement, body: lxml.html.HtmlElement) -> Survey:
    """What the cleaning and locating steps need from ``doc``, found in one pass.

    As the XPaths it replaces (``.//x`` from the document, or from ``body`` for furniture and
    landmarks), it never lists the document's root element itself except as junk, nor ``body``
    as a landmark or for its role; ``body``'s own ``id``/``class`` do count (``.//@class``
    includes the context element's own attributes).
    """
    found = Survey()
    junk, controls, furniture = found.junk, found.controls, found.furniture
    maybe_hidden, landmarks = found.maybe_hidden, found.landmarks
    elements: Iterator[lxml.html.HtmlElement] = doc.iter()
    for el in elements:
        tag = el.tag
        if not isinstance(tag, str):
            if tag in _NOT_ELEMENTS:
                found.comments.append(el)
            continue
        if tag in JUNK_TAGS:
            junk.append(el)
            if el is doc:
                continue
            if tag in CONTROL_TAGS:
                controls.append(el)
                if tag == "input" and is_email_input(el):
                    found.email_inputs.append(el)
        elif el is doc:
            continue
        if tag in HEADING_TAGS:
            found.headings.append(el)
        elif tag in FEEDBACK_TAGS:
            own = el.text
            if own:
                if asks_for_feedback(own):
                    found.feedback.append(el)
                elif len(el) == 0 and len(own) <= RELATED_OWN_MAX_CHARS and names_related(el):
                    found.related.append(el)
        names = el.keys()
        if not names:
            if tag in FURNITURE_TAGS:
                furniture.append(el)
            elif tag in _LANDMARK_TAGS and el is not body:
                landmarks.append(el)
            continue
        if "hidden" in names or "aria-hidden" in names or "style" in names:
            maybe_hidden.append(el)
        role = el.get("role") if "role" in names else None
        if role in _CONTROL_ROLES and tag not in CONTROL_TAGS:
            controls.append(el)
        if "aria-controls" in names:
            found.controlled.update((el.get("aria-controls") or "").split())
        if "class" in names and names_screen_reader_only(el.get("class")):
            found.screen_reader_only.append(el)
        if (
            tag in FURNITURE_TAGS
            or (el is not body and (role is not None or "aria-modal" in names))
            or ("class" in names and named_like_furniture(el.get("class")))
            or ("id" in names and named_like_furniture(el.get("id")))
        ):
            furniture.append(el)
        if (tag in _LANDMARK_TAGS or role == "main") and el is not body:
            landmarks.append(el)
        if "data-cfemail" in names or (tag == "a" and _CF_LINK in (el.get("href") or "")):
            found.cf_emails.append(el)
    return found
