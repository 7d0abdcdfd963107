"""Locating the legal text in a cleaned page, without per-site rules.

1. **Furniture** is dropped: ``<nav>``; ``<aside>`` and landmark roles of page furniture
   (navigation, banner, dialog, ...) unless they hold much of the text; ``<header>`` and
   ``<footer>`` outside ``<main>``/``<article>``; and interface blocks named like consent
   banners, promos or rails (``id``/``class`` tokens) that contain form controls.
2. **The root**: a ``<main>``/``role=main``/``<article>`` holding half the text, otherwise the
   element reached by descending from ``<body>`` into the child that holds 80% of the text.
3. **The title**: when the root holds no ``<h1>`` and the page has exactly one elsewhere, it is
   kept as the first clause, so a redesign that moves the title in or out of the content
   wrapper does not change the text.
4. **Edges**: when the root is ``<body>`` itself, its leading and trailing children that are
   mostly links or short phrases (menus, app banners, language pickers) are dropped; in any
   other root, its trailing children that are such blocks and hold links (footer menus kept
   inside the content wrapper).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable

import lxml.html

from clausewatch.extractors.clean import attached, drop_all, size
from clausewatch.extractors.text import Memo

_FURNITURE_TAGS = frozenset({"nav", "aside"})
_PAGE_EDGE_TAGS = frozenset({"header", "footer"})
_FURNITURE_ROLES = frozenset(
    "navigation banner contentinfo complementary dialog alertdialog search menu menubar "
    "toolbar".split()
)
# id/class tokens of consent managers: strong signals.
_CONSENT_TOKENS = re.compile(
    r"(?:^|[-_\s])(cookies?|consent|gdpr|ccpa|onetrust|didomi|usercentrics|cookiebot|truste|cmp|"
    r"privacy-?banner)(?:$|[-_\s])",
    re.I,
)
# Words that say a block is about cookies or consent, in en, fr, de, es, it, nl, pt: a dialog
# that holds controls and says one of them near its start is a consent manager.
_CONSENT_WORDS = re.compile(
    r"\b(?:cookies?|consent\w*|gdpr|rgpd|dsgvo|avg|traceurs?|trackers?|einwilligung\w*|"
    r"zustimm\w*|consentimiento|consenso|toestemming|consentimento)\b",
    re.I,
)
CONSENT_LEAD_CHARS = 600
# id/class tokens of other interface blocks: promos, rails, pop-ups.
_INTERFACE_TOKENS = re.compile(
    r"(?:^|[-_\s])(promo|promotion|advert|ads|newsletter|subscribe|modal|popup|overlay|"
    r"breadcrumbs?|sidebar|share|social|skip|toast|banner)(?:$|[-_\s])",
    re.I,
)
FURNITURE_TAGS = _FURNITURE_TAGS | _PAGE_EDGE_TAGS
# A main landmark is trusted when it holds at least this share of the page's text ...
LANDMARK_SHARE = 0.5
# ... otherwise we descend from <body> into the child holding at least this share.
DESCENT_SHARE = 0.8
# Furniture is dropped only while it holds less than this share of the page's text: a
# "sidebar" or "dialog" holding most of it is where the content is.
FURNITURE_MAX_SHARE = 0.3
CONSENT_MAX_SHARE = 0.5
# Edges of a <body> root: blocks under this share of the text that are mostly links, or have
# no sentence-long run of text.
EDGE_MAX_SHARE = 0.02
EDGE_LINK_DENSITY = 0.5
EDGE_MIN_LINKS = 5  # a trailing block of a container is a menu only with this many links
TRAILING_LINK_DENSITY = 0.7
LEADING_LINK_DENSITY = 0.9  # before the title: a block that is links and little else
MENU_REPEAT_SHARE = 0.5  # a trailing block linking mostly where the leading menu did repeats it
LABEL_EXCEPTIONS = 0.1  # the share of a menu's links that may read like sentences
SIGN_UP_MAX_CHARS = 700  # a sign-up's pitch ("Join us, 10% off your first order") and form
_TITLE_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
SENTENCE_LINK_CHARS = 50  # link text this long reads as a sentence ("Annex I: Standard ...")
SENTENCE_CHARS = 60


def named_like_furniture(name: str | None) -> bool:
    """Whether an ``id`` or ``class`` value names a consent banner or an interface block.

    Pages repeat the same few class values hundreds of times, so answers are remembered.
    """
    name = name or ""
    known = _NAMED.get(name)
    if known is None:
        known = bool(_CONSENT_TOKENS.search(name) or _INTERFACE_TOKENS.search(name))
        _NAMED.put(name, known)
    return known


_NAMED: Memo[bool] = Memo(max_chars=1_000_000)


def named_like_consent(name: str) -> bool:
    """Whether an ``id`` or ``class`` value names a consent manager."""
    return bool(_CONSENT_TOKENS.search(name))


def drop_furniture(
    body: lxml.html.HtmlElement,
    controls: set[lxml.html.HtmlElement],
    candidates: Iterable[lxml.html.HtmlElement],
) -> None:
    """Drop page furniture among ``candidates`` (elements with a furniture tag, a role or
    ``aria-modal``, or an ``id``/``class`` named like a banner: see
    :func:`extractors.survey.survey`); ``controls`` holds the elements that contain form
    controls."""
    total = max(1, size(body))
    drop_all([el for el in set(candidates) if _is_furniture(el, total, controls)])


def _is_furniture(
    el: lxml.html.HtmlElement, total: int, controls: set[lxml.html.HtmlElement]
) -> bool:
    tag = el.tag
    if tag == "nav":
        return True
    if tag in _PAGE_EDGE_TAGS:
        return not any(a.tag in ("main", "article") for a in el.iterancestors())
    role = el.get("role", "")
    if role in ("dialog", "alertdialog") or el.get("aria-modal") == "true":
        # a consent manager is never the document, whatever its size (a policy rendered late
        # or in a small container must not lose to it); another dialog holding most of the
        # text is where the content is
        return size(el) < CONSENT_MAX_SHARE * total or is_consent_dialog(el, controls)
    if tag in _FURNITURE_TAGS or role in _FURNITURE_ROLES:
        return size(el) < FURNITURE_MAX_SHARE * total
    if el not in controls:
        return False  # a section named "cookies" in a privacy policy is text, not a banner
    names = [el.get("id", ""), el.get("class", "")]
    if any(named_like_consent(n) for n in names):
        return size(el) < CONSENT_MAX_SHARE * total
    return (
        any(_INTERFACE_TOKENS.search(n) for n in names) and size(el) < FURNITURE_MAX_SHARE * total
    )


def is_consent_dialog(el: lxml.html.HtmlElement, controls: set[lxml.html.HtmlElement]) -> bool:
    """A dialog (``role=dialog``/``alertdialog`` or ``aria-modal``) that holds form controls
    and speaks of cookies or consent near its start."""
    modal = el.get("role") in ("dialog", "alertdialog") or el.get("aria-modal") == "true"
    return modal and el in controls and is_consent_text(el)


def is_consent_text(el: lxml.html.HtmlElement) -> bool:
    """Whether the start of ``el``'s text speaks of cookies or consent (in en, fr, de, es,
    it, nl, pt)."""
    lead = "".join(_lead_text(el, CONSENT_LEAD_CHARS))
    return bool(_CONSENT_WORDS.search(lead))


def _lead_text(el: lxml.html.HtmlElement, chars: int) -> Iterable[str]:
    for text in el.itertext():
        yield text
        chars -= len(text)
        if chars <= 0:
            return


def main_content(
    body: lxml.html.HtmlElement, landmarks: Iterable[lxml.html.HtmlElement] = ()
) -> lxml.html.HtmlElement:
    """The element that holds the legal text; ``landmarks`` are the page's ``<main>``,
    ``<article>`` and ``role=main`` elements in document order (those no longer under ``body``
    are skipped)."""
    total = size(body)
    for landmark in landmarks:
        if attached(landmark, body) and size(landmark) >= LANDMARK_SHARE * total:
            return landmark
    node, node_size = body, total
    while True:
        sized = [(size(c), c) for c in node if isinstance(c.tag, str)]
        if not sized:
            return node
        best_size, best = max(sized, key=lambda pair: pair[0])
        if best_size < DESCENT_SHARE * node_size:
            return node
        node, node_size = best, best_size


def outside_title(
    body: lxml.html.HtmlElement, root: lxml.html.HtmlElement
) -> lxml.html.HtmlElement | None:
    """The page's only ``<h1>``, when it lies outside ``root`` and ``root`` has none."""
    if root.tag == "h1" or root.find(".//h1") is not None:
        return None
    titles = list(body.iter("h1"))
    if len(titles) != 1:
        return None
    title = titles[0]
    if any(a is root for a in title.iterancestors()):
        return None
    return title


def trim_edges(root: lxml.html.HtmlElement) -> None:
    """Drop menu-like blocks at the start and end of a ``<body>`` root."""
    total = max(1, size(root))
    children = [c for c in root if isinstance(c.tag, str)]
    doomed = []
    for sequence in (children, list(reversed(children))):
        for child in sequence:
            if child in doomed or not _is_edge_furniture(child, total):
                break
            doomed.append(child)
    drop_all(doomed)


def trim_trailing_menus(
    root: lxml.html.HtmlElement,
    menu: Collection[str] = (),
    sign_ups: Collection[lxml.html.HtmlElement] = (),
) -> None:
    """Drop the link blocks that end a container root (and the headings that title them): its
    last children holding at least :data:`EDGE_MIN_LINKS` links, no contact link or table
    (:func:`_holds_contacts_or_table`) and no link that reads as a sentence, that are either edge-like (under :data:`EDGE_MAX_SHARE` of
    the text, mostly links or without a sentence) or link-dense (at least
    :data:`TRAILING_LINK_DENSITY` of their text is links, less than half the root's text, the
    links mostly on the site). The footer menus a site keeps inside its content wrapper ("About
    us", "Our services", "Follow us") are rewritten freely; a closing line of the terms ("Last
    updated: 1 May 2024") holds no links, and a list of processors links to other sites: both
    stay. Three more kinds of block end the container:

    - a block whose links mostly go where a menu dropped above went (``menu``: its links) and
      read as labels (:func:`_labels`): the same menu again, as a sidebar;
    - a ``<footer>`` kept inside ``<main>`` that is link-dense and made of labels, even when it
      holds half the text of a short page (an imprint);
    - a short block around a sign-up form (``sign_ups``: :func:`extractors.widgets.sign_up_forms`;
      at most :data:`SIGN_UP_MAX_CHARS` and under half the text, one heading, no ``<h1>``): a
      newsletter's pitch after the document, one only. Inside the document such a form
      stays, with the text around it (a newsletter clause, an opt-out)."""
    total = max(1, size(root))
    site: str | None = None
    doomed: list[lxml.html.HtmlElement] = []
    forms = set(sign_ups)
    for child in reversed([c for c in root if isinstance(c.tag, str)]):
        if doomed and child.tag in _TITLE_TAGS:
            doomed.append(child)  # the title of the menu below it, not a heading of the terms
            continue
        if forms and _is_sign_up_block(child, forms, total):
            doomed.append(child)
            forms = set()  # one: sections that each hold a form are the document's
            continue
        links = list(child.iter("a"))
        if len(links) < EDGE_MIN_LINKS or _holds_contacts_or_table(child, links):
            break
        if (
            menu
            and _repeats_menu(links, menu)
            and _mostly_link_text(child, links)
            and _labels(links)
        ):
            doomed.append(child)
            continue
        if _long_link(links):
            break
        if not _is_edge_furniture(child, total):
            child_size = size(child)
            if child_size >= 0.5 * total and not (child.tag in _PAGE_EDGE_TAGS and _labels(links)):
                break  # most of the text; a <footer> of labels (kept in <main>) is a footer
            if sum(size(a) for a in links) < TRAILING_LINK_DENSITY * child_size:
                break
            if site is None:
                site = site_host(root)
            if not links_stay_on_site([a.get("href") or "" for a in links], site):
                break
        doomed.append(child)
    drop_all(doomed)


def _is_sign_up_block(
    el: lxml.html.HtmlElement, forms: Collection[lxml.html.HtmlElement], total: int
) -> bool:
    el_size = size(el)
    if el_size > SIGN_UP_MAX_CHARS or el_size >= 0.5 * total:
        return False  # a short page's text around a form is the page (an imprint)
    if next(el.iter("h1"), None) is not None:
        return False
    if sum(1 for _ in el.iter(*_TITLE_TAGS)) > 1:
        return False
    return any(form in forms for form in el.iter("form"))


def trim_leading_menus(root: lxml.html.HtmlElement) -> set[str]:
    """Drop the link blocks a container root holds before the document's title: when the root
    holds exactly one ``<h1>``, its children wholly before the one that holds the ``<h1>`` that
    have at least :data:`EDGE_MIN_LINKS` links, at least :data:`LEADING_LINK_DENSITY` of their
    text in links, no link that reads as a sentence (a link holding a title and a line of
    description is a menu's card, not a sentence: :func:`sentence_link`; a link to a section
    of the page is an entry of a table of contents, :func:`in_page_link`), no contact link or
    table, and links that mostly stay on the site. A site's menu kept in the content wrapper
    above the document is rewritten with the site; a notice or preamble above the title is
    text, linked or not, and stays. Returns the links of the blocks dropped (a menu's
    repetition further down, a sidebar, links to the same pages: :func:`trim_trailing_menus`)."""
    titles = list(root.iter("h1"))
    if len(titles) != 1:
        return set()
    top = titles[0]
    while top.getparent() is not None and top.getparent() is not root:
        top = top.getparent()
    if top.getparent() is not root:
        return set()
    site: str | None = None
    doomed = []
    for child in root:
        if child is top:
            break
        if not isinstance(child.tag, str):
            continue
        links = list(child.iter("a"))
        if len(links) < EDGE_MIN_LINKS:
            continue
        if sum(size(a) for a in links) < LEADING_LINK_DENSITY * size(child):
            continue
        if _holds_contacts_or_table(child, links):
            continue
        if any(sentence_link(a) and not in_page_link(a) for a in links):
            continue  # a linked sentence, unless it leads to a section of the page
        if site is None:
            site = site_host(root)
        if links_stay_on_site([a.get("href") or "" for a in links], site):
            doomed.append(child)
    drop_all(doomed)
    return {href for el in doomed for a in el.iter("a") if (href := a.get("href"))}


def _repeats_menu(links: list[lxml.html.HtmlElement], menu: Collection[str]) -> bool:
    return sum(1 for a in links if a.get("href") in menu) >= MENU_REPEAT_SHARE * len(links)


def _mostly_link_text(el: lxml.html.HtmlElement, links: list[lxml.html.HtmlElement]) -> bool:
    return sum(size(a) for a in links) >= TRAILING_LINK_DENSITY * size(el)


def _link_text(a: lxml.html.HtmlElement) -> str:
    return " ".join(a.text_content().split())


def _labels(links: list[lxml.html.HtmlElement]) -> bool:
    """Whether the links read as a menu's labels: all but :data:`LABEL_EXCEPTIONS` of them
    shorter than a sentence (:data:`SENTENCE_CHARS`) and without a comma ("Our approach to
    elections", not "The Privacy Policy, which describes how we process your data" or "ACME
    SAS, Paris"). A long menu has a long label or two."""
    sentences = sum(1 for a in links if len(t := _link_text(a)) >= SENTENCE_CHARS or "," in t)
    return sentences <= LABEL_EXCEPTIONS * len(links)


def sentence_link(a: lxml.html.HtmlElement) -> bool:
    """A link whose text reads as a sentence: at least :data:`SENTENCE_LINK_CHARS`, in one
    run of text (a menu's card holds a title and a description in blocks of their own)."""
    if len(_link_text(a)) < SENTENCE_LINK_CHARS:
        return False
    return next((d for d in a.iterdescendants(*_BLOCK_TAGS)), None) is None


_BLOCK_TAGS = ("p", "div", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "br")


def in_page_link(a: lxml.html.HtmlElement) -> bool:
    """Whether a link leads to a section of the page itself (``href="#..."``): an entry of a
    table of contents, whatever it reads like."""
    href = (a.get("href") or "").strip()
    return href.startswith("#") and len(href) > 1


def _holds_contacts_or_table(el: lxml.html.HtmlElement, links: list[lxml.html.HtmlElement]) -> bool:
    """Contact links (``mailto:``, ``tel:``) or a table (of processors, of annexes): what a
    menu never holds and the end of a policy may."""
    for a in links:
        if (a.get("href") or "").strip().lower().startswith(("mailto:", "tel:")):
            return True
    return next(el.iter("table"), None) is not None


def _long_link(links: list[lxml.html.HtmlElement]) -> bool:
    return any(len(_link_text(a)) >= SENTENCE_LINK_CHARS for a in links)


def links_stay_on_site(hrefs: list[str], site: str = "") -> bool:
    """Whether most links stay on the site: relative paths and anchors, or absolute links to
    ``site`` (:func:`site_host`; with none given, every absolute link leaves the site)."""
    outside = sum(1 for h in hrefs if _absolute(h) and (not site or link_host(h) != site))
    return outside * 2 <= len(hrefs)


def _absolute(href: str) -> bool:
    return href.startswith(("http:", "https:", "//"))


def link_host(href: str) -> str:
    """The host an absolute link points to, lower case, without ``www.``.

    >>> link_host("https://WWW.Example.com:443/privacy?x=1")
    'example.com:443'
    """
    rest = href.split("//", 1)[1] if "//" in href else ""
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].lower()
    return host.removeprefix("www.")


def site_host(el: lxml.html.HtmlElement) -> str:
    """The page's own host, as its links say: the host most of its absolute links point to
    ("" when it has none). Extraction has no URL; a page links to itself more than to any
    other site."""
    hosts = Counter(
        link_host(href)
        for a in el.getroottree().getroot().iter("a")
        if _absolute(href := a.get("href") or "")
    )
    return hosts.most_common(1)[0][0] if hosts else ""


def _is_edge_furniture(el: lxml.html.HtmlElement, total: int) -> bool:
    el_size = size(el)
    if el_size >= EDGE_MAX_SHARE * total:
        return False
    if el_size == 0:
        return True
    links = sum(size(a) for a in el.iter("a"))
    if links > EDGE_LINK_DENSITY * el_size:
        return True
    longest = max((len(t.strip()) for t in el.itertext()), default=0)
    return longest < SENTENCE_CHARS
