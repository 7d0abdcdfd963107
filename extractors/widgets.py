"""Furniture recognised by what it is made of, inside the legal text's container.

- **Screen-reader-only text** ("(opens in a new window)", "Skip to content"): elements whose
  class names the common visually-hidden helpers (``sr-only``, ``visually-hidden``,
  ``screen-reader-text``, ...). Nobody reading the page sees it, and sites reword it freely.
- **Feedback widgets** ("Was this article helpful?", "Cet article vous a-t-il été utile ?"):
  the largest short block (at most :data:`WIDGET_MAX_CHARS`) around such a question.
- **Related-article lists** ("Related articles", "Articles associés", "Ähnliche Artikel"):
  a heading saying so and the link lists after it, which rotate between captures.

The phrases are general vocabulary in en, fr, de, es, it, nl and pt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import lxml.html

from clausewatch.extractors.canonical import substance_tokens
from clausewatch.extractors.clean import drop_all, size
from clausewatch.extractors.locate import in_page_link, links_stay_on_site, sentence_link
from clausewatch.extractors.model import Clause
from clausewatch.extractors.text import Memo

_SCREEN_READER_ONLY = re.compile(
    r"(?:^|\s)(?:sr-only|sr_only|screen-reader-text|screen-reader-only|screenreader-only|"
    r"visually-hidden|visuallyhidden|visually_hidden|a11y-hidden|u-visually-hidden|"
    r"assistive-text|element-invisible|hidden-visually)(?:$|\s)",
    re.IGNORECASE,
)
_FEEDBACK = re.compile(
    r"(?:was|is) (?:this|the) (?:(?:article|page|answer|information|content)\s+)?"
    r"(?:helpful|useful)|"
    r"did (?:this|we) (?:answer|help|solve)|"
    r"did you find (?:this|the) (?:(?:article|page|answer|information)\s+)?(?:helpful|useful)|"
    r"(?:ça|ca|cela) vous a (?:été utile|aidé)|"
    r"(?:war|ist) (?:das|dies) hilfreich|hat (?:dir|ihnen) (?:das|dies|dieser artikel) geholfen|"
    r"(?:te|le) (?:ha )?(?:resultado|resultó|fue|ha sido) útil|"
    r"(?:ti|le) è stato utile|"
    r"(?:was|is) dit (?:nuttig|behulpzaam)|heeft dit (?:artikel )?(?:je|u) geholpen|"
    r"(?:isso|isto) (?:foi|é) útil|"
    r"(?:cet article|cette page|cette réponse|ce contenu|cette information|cela|ceci)\s+"
    r"(?:vous )?a-t-(?:il|elle) (?:été utile|aidé)|"
    r"(?:war|ist) (?:dieser artikel|diese seite|diese antwort|dieser inhalt) hilfreich|"
    r"(?:te |le )?(?:ha )?(?:resultado|sido) útil (?:este|esta)|(?:este|esta) "
    r"(?:artículo|página|respuesta) (?:te |le )?(?:ha )?(?:resultado|sido|fue) útil|"
    r"(?:questo articolo|questa pagina|questa risposta) (?:ti )?(?:è stat[oa]|era) utile|"
    r"(?:was|is) (?:dit artikel|deze pagina|dit antwoord) (?:nuttig|behulpzaam)|"
    r"(?:este artigo|esta página|esta resposta) (?:foi|é) útil",
    re.IGNORECASE,
)
_RELATED = re.compile(
    r"(?:related|similar|more|popular|recommended) (?:articles|topics|pages|questions|help "
    r"articles|resources)|see also|you may also like|"
    r"articles? (?:associés|liés|similaires|connexes|recommandés)|voir aussi|"
    r"(?:ähnliche|verwandte|weitere) (?:artikel|themen)|siehe auch|"
    r"art[íi]culos (?:relacionados|similares)|ver también|"
    r"articoli (?:correlati|simili)|vedi anche|"
    r"(?:gerelateerde|vergelijkbare) (?:artikelen|onderwerpen)|zie ook|"
    r"artigos (?:relacionados|semelhantes)|veja também",
    re.IGNORECASE,
)
# A feedback widget is a short block: its question, a few buttons, a thank-you note.
WIDGET_MAX_CHARS = 300
WIDGET_STEP_CHARS = 60
# A related-article heading is short, and the lists after it are mostly link text.
RELATED_HEADING_MAX_CHARS = 60
RELATED_LINK_SHARE = 0.6
# Menus and tables of contents: lists of short items that are links or the page's headings.
LINK_LIST_MIN_ITEMS = 3
LINK_ITEM_MAX_CHARS = 60
LINK_LIST_LINK_SHARE = 0.8
LINK_LIST_HEADING_SHARE = 0.6
HEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6"})


def names_screen_reader_only(class_value: str) -> bool:
    """Whether a ``class`` value names a visually-hidden helper (answers remembered)."""
    known = _SR_NAMED.get(class_value)
    if known is None:
        known = bool(_SCREEN_READER_ONLY.search(class_value))
        _SR_NAMED.put(class_value, known)
    return known


_SR_NAMED: Memo[bool] = Memo(max_chars=1_000_000)


def drop_widgets(
    body: lxml.html.HtmlElement,
    screen_reader_only: Iterable[lxml.html.HtmlElement],
    headings: Iterable[lxml.html.HtmlElement],
    feedback: Iterable[lxml.html.HtmlElement],
    related: Iterable[lxml.html.HtmlElement] = (),
) -> None:
    """Drop screen-reader-only text, feedback widgets and related-article lists. Found by
    :func:`extractors.survey.survey`: ``headings`` are the page's ``h2``-``h6``, ``feedback``
    the other elements whose own text asks for feedback (:func:`asks_for_feedback`),
    ``related`` the other elements whose own text names a related-article list
    (:func:`names_related`: a heading styled as one but not tagged so)."""
    drop_all(list(screen_reader_only))
    doomed: list[lxml.html.HtmlElement] = []
    sizes = _Sizes()
    for heading in headings:
        if heading.getparent() is None:
            continue
        text = " ".join(heading.text_content().split())
        if not text or len(text) > WIDGET_MAX_CHARS:
            continue
        if _FEEDBACK.search(text):
            doomed.append(_widget_around(heading, body, sizes))
        elif len(text) <= RELATED_HEADING_MAX_CHARS and _RELATED.search(text):
            doomed.extend(_related_list(heading, sizes))
    for el in feedback:
        if el.getparent() is not None:
            doomed.append(_widget_around(el, body, sizes))
    for el in related:
        if el.getparent() is not None:
            doomed.extend(_related_list(el, sizes, inline_title=False))
    drop_all(doomed)


def drop_link_lists(root: lxml.html.HtmlElement) -> None:
    """Drop the menus and tables of contents inside the legal text's container
    (:func:`_link_lists`). It runs after the container's edges are trimmed, so a footer menu
    that ends the container goes whole, with its titles (:func:`extractors.locate.trim_trailing_menus`
    sees its links)."""
    drop_all(_link_lists(root))


def is_email_input(el: lxml.html.HtmlElement) -> bool:
    """Whether an ``<input>`` asks for an e-mail address."""
    kind = (el.get("type") or "text").lower()
    if kind == "email":
        return True
    return kind == "text" and any("mail" in (el.get(a) or "").lower() for a in ("name", "id"))


def sign_up_forms(email_inputs: Iterable[lxml.html.HtmlElement]) -> list[lxml.html.HtmlElement]:
    """The forms that ask for an e-mail address and nothing else a person types (one text
    field, no text area): a newsletter or account sign-up. A contact form (a name, a message)
    is not one. Read before the controls are dropped; a short block around one that ends the
    container is dropped (:func:`extractors.locate.trim_trailing_menus`)."""
    forms: list[lxml.html.HtmlElement] = []
    seen: set[lxml.html.HtmlElement] = set()
    for field_ in email_inputs:
        form = next(field_.iterancestors("form"), None)
        if form is None or form in seen:
            continue
        seen.add(form)
        typed = 0
        for i in form.iter("input", "textarea"):
            if i.tag == "textarea" or (i.get("type") or "text").lower() in _TYPED_INPUTS:
                typed += 1
                if typed > 1:
                    break
        if typed == 1:
            forms.append(form)
    return forms


_TYPED_INPUTS = frozenset({"text", "email", "tel", "number", "search", "url", "password"})


def names_related(el: lxml.html.HtmlElement) -> bool:
    """Whether an element's text is, all of it, the title of a related-article list
    ("Related articles", "Articles connexes": :data:`_RELATED`), a colon allowed: its own
    text says so and nothing inside it adds words."""
    text = (el.text or "").strip().rstrip(":").strip()
    if not 0 < len(text) <= RELATED_HEADING_MAX_CHARS or _RELATED.fullmatch(text) is None:
        return False
    whole = " ".join(el.text_content().split()).rstrip(":").strip()
    return whole == " ".join(text.split())


def says_feedback(text: str) -> bool:
    """Whether ``text`` asks "was this helpful?" (in en, fr, de, es, it, nl, pt)."""
    return _FEEDBACK.search(text) is not None


def _link_lists(body: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """Lists that are menus or tables of contents: at least :data:`LINK_LIST_MIN_ITEMS`
    short items (under :data:`LINK_ITEM_MAX_CHARS`) that are mostly link text, or whose items
    repeat the page's headings (a table of contents, with or without its links: a link
    added to or removed from one never makes it text)."""
    headings: set[str] | None = None  # the page's headings, read for the first candidate
    found = []
    for listing in body.iter("ul", "ol"):
        items = [li for li in listing if li.tag == "li"]
        if len(items) < LINK_LIST_MIN_ITEMS:
            continue
        texts = [" ".join(li.text_content().split()) for li in items]
        if any(len(t) >= LINK_ITEM_MAX_CHARS for t in texts):
            continue
        if (
            _mostly_links(listing, LINK_LIST_LINK_SHARE)
            and _links_within_site(listing)
            # "ACME SAS, Paris": a list of text, unless it leads to the page's sections
            and not any(
                "," in t and not _leads_in_page(li) for t, li in zip(texts, items, strict=True)
            )
        ):
            found.append(listing)
            continue
        if headings is None:
            headings = {_words_of(h) for h in body.iter("h1", "h2", "h3", "h4", "h5", "h6")}
        contents = sum(1 for li in items if _words_of(li) in headings)
        if contents >= LINK_LIST_HEADING_SHARE * len(items):
            found.append(listing)
    return found


FEEDBACK_MIN_CHARS = 12  # shorter than any question the expression knows ("Isso foi útil?")
FEEDBACK_TAGS = frozenset({"p", "div", "span", "legend", "label", "strong", "b"})


def asks_for_feedback(own_text: str) -> bool:
    """Whether an element's own text (before its first child) asks "was this helpful?"."""
    return (
        FEEDBACK_MIN_CHARS <= len(own_text) <= WIDGET_MAX_CHARS
        and not own_text.isspace()
        and _hints_feedback(own_text.lower())
        and _FEEDBACK.search(own_text) is not None
    )


# Words one of which every feedback question holds: a cheap test before the expression
# (substring tests: four times faster than an expression of alternatives, on every element).
_FEEDBACK_HINTS = (
    "helpful",
    "useful",
    "utile",
    "aidé",
    "hilfreich",
    "geholfen",
    "útil",
    "nuttig",
    "behulpzaam",
    "geholpen",
    "did this",
    "did we",
)


def _hints_feedback(lowered: str) -> bool:
    return any(hint in lowered for hint in _FEEDBACK_HINTS)


class _Sizes(dict[lxml.html.HtmlElement, int]):
    """Text sizes read while widgets are looked for (nothing is dropped until all are found):
    many widgets under one container must not each measure the container."""

    def of(self, el: lxml.html.HtmlElement) -> int:
        known = self.get(el)
        if known is None:
            known = self[el] = size(el)
        return known


def _widget_around(
    el: lxml.html.HtmlElement, body: lxml.html.HtmlElement, sizes: _Sizes
) -> lxml.html.HtmlElement:
    """The largest ancestor of ``el`` (or ``el``) below ``body`` with at most
    :data:`WIDGET_MAX_CHARS` characters of text, each step up adding less than a sentence
    (:data:`WIDGET_STEP_CHARS`): the widget's buttons and thank-you note, never the text
    around it."""
    widget, widget_size = el, sizes.of(el)
    for ancestor in el.iterancestors():
        if ancestor is body:
            break
        ancestor_size = sizes.of(ancestor)
        if ancestor_size > WIDGET_MAX_CHARS or ancestor_size - widget_size >= WIDGET_STEP_CHARS:
            break
        widget, widget_size = ancestor, ancestor_size
    return widget


def _related_list(
    heading: lxml.html.HtmlElement, sizes: _Sizes, inline_title: bool = True
) -> list[lxml.html.HtmlElement]:
    """The heading and the link-dense blocks right after it; nothing if none follows. A
    heading wrapped in elements that hold nothing else is taken with its wrappers; without
    ``inline_title`` (a title styled, not tagged as a heading), a title that is still inline
    once so wrapped (a ``<strong>`` in a sentence) names nothing, and a block holding a linked
    sentence (:func:`extractors.locate.sentence_link`) is not part of the list."""
    heading_size = sizes.of(heading)
    parent = heading.getparent()
    while parent is not None and parent.tag != "body" and sizes.of(parent) == heading_size:
        heading, parent = parent, parent.getparent()
    if not inline_title and heading.tag in _INLINE_TAGS:
        return []
    found = []
    sibling = heading.getnext()
    while sibling is not None and isinstance(sibling.tag, str):
        if sibling.tag in HEADING_TAGS or not _mostly_links(sibling):
            break
        if not inline_title and any(sentence_link(a) for a in sibling.iter("a")):
            break  # under a title that is not a heading, a linked sentence is text
        found.append(sibling)
        sibling = sibling.getnext()
    return [heading, *found] if found else []


_INLINE_TAGS = frozenset(
    "a abbr b cite code em font i label mark q s small span strong sub sup u".split()
)


def _leads_in_page(item: lxml.html.HtmlElement) -> bool:
    links = list(item.iter("a"))
    return bool(links) and all(in_page_link(a) for a in links)


def _links_within_site(el: lxml.html.HtmlElement) -> bool:
    """Whether most of the links under ``el`` stay on the site (relative paths, anchors): a
    menu. A list of links to other sites (a list of processors, say) is text."""
    return links_stay_on_site([a.get("href") or "" for a in el.iter("a")])


def _words_of(el: lxml.html.HtmlElement) -> str:
    """An element's words as the substance sees them (numbering, case, punctuation folded)."""
    return " ".join(substance_tokens([Clause("item", " ".join(el.text_content().split()))]))


def _mostly_links(el: lxml.html.HtmlElement, share: float = RELATED_LINK_SHARE) -> bool:
    total = size(el)
    if total == 0:
        return True
    return sum(size(a) for a in el.iter("a")) >= share * total
