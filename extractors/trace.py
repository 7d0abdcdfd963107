"""What extraction drops, and why: the record behind ``clausewatch explain``.

:func:`extractors.html.extract` runs its steps with a :class:`Trace`. The default one does
nothing (extraction pays one method call per step); :class:`Recorder` notes, for each step,
the elements it detached from the page and the reason the step had, so an operator can see why
a page's text is what it is and, where it is wrong, fix it with the catalog's ``select`` and
``remove`` instead of code. Pure: it only reads the tree it is given.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

import lxml.html

from clausewatch.extractors.clean import JUNK_TAGS, is_hidden, revealable, size
from clausewatch.extractors.locate import (
    is_consent_dialog,
    named_like_consent,
    named_like_furniture,
)
from clausewatch.extractors.widgets import names_screen_reader_only, says_feedback

SNIPPET_CHARS = 100

# The steps, in the order extraction runs them, and what each means for an element it drops.
STEPS = {
    "not-text": "not text (scripts, styles, form controls, comments): counted, not listed",
    "hidden": "hidden, and nothing on the page reveals it",
    "furniture": "page furniture: navigation, headers and footers, dialogs, banners",
    "widget": "furniture inside the text: screen-reader-only text, feedback widgets, "
    "related-article lists, menus and tables of contents",
    "outside": "outside the element that holds the legal text",
    "edge": "a menu-like block at the start or end of the page, or a block of links before "
    "the document's title or at the end of the container (a menu, a sign-up form)",
    "catalog": "removed by the catalog's `remove` selectors",
}


@dataclass(frozen=True)
class Dropped:
    """One element extraction left out, with its text's first words."""

    step: str
    reason: str
    where: str  # a short CSS-like path: "body > div#app > nav.menu"
    chars: int  # visible characters, white space not counted
    text: str
    order: int = 0  # the element's place in the page as parsed

    def as_json(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "order"}


class Trace:
    """A trace that records nothing: what :func:`extractors.html.extract` uses by default."""

    def start(self, doc: lxml.html.HtmlElement) -> None:
        pass

    def before(self, step: str) -> None:
        pass

    def after(self, step: str, reason: Callable[[lxml.html.HtmlElement], str]) -> None:
        pass

    def revealed(self, maybe_hidden: Iterable[lxml.html.HtmlElement], ids: Collection[str]) -> None:
        pass

    def part(self, note: str) -> None:
        pass

    def outside(
        self, body: lxml.html.HtmlElement, roots: Collection[lxml.html.HtmlElement], why: str
    ) -> None:
        pass


NO_TRACE = Trace()


@dataclass
class Recorder(Trace):
    """A trace that keeps every dropped element (in document order) and the hidden elements
    kept because a reader can reveal them."""

    dropped: list[Dropped] = field(default_factory=list)
    not_text: Counter[str] = field(default_factory=Counter)  # tag -> elements dropped
    kept_hidden: list[Dropped] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)  # how the URL's fragment chose the text
    _doc: lxml.html.HtmlElement | None = None
    _order: dict[lxml.html.HtmlElement, int] = field(default_factory=dict)
    _before: list[tuple[lxml.html.HtmlElement, lxml.html.HtmlElement | None]] = field(
        default_factory=list
    )

    def start(self, doc: lxml.html.HtmlElement) -> None:
        self._doc = doc
        self._order = {el: i for i, el in enumerate(doc.iter())}

    def before(self, step: str) -> None:
        assert self._doc is not None
        self._before = [(el, el.getparent()) for el in self._doc.iter()]

    def after(self, step: str, reason: Callable[[lxml.html.HtmlElement], str]) -> None:
        parents = dict(self._before)
        detached = {
            el for el, parent in self._before if parent is not None and el.getparent() is None
        }
        # the outermost of what the step detached (a dropped element's descendants went with it)
        top = [el for el in detached if not any(a in detached for a in _ancestors(el, parents))]
        nested: dict[lxml.html.HtmlElement, list[lxml.html.HtmlElement]] = {}
        for el in detached:
            outer = [a for a in _ancestors(el, parents) if a in detached]
            if outer:
                nested.setdefault(outer[-1], []).append(el)
        if step == "invisible":  # counted, nested ones too (a <script> in the <head>)
            for el, _ in self._before:
                if not isinstance(el.tag, str):
                    self.not_text["comment"] += el in detached
                elif el.tag in JUNK_TAGS and (
                    el in detached or any(a in detached for a in _ancestors(el, parents))
                ):
                    self.not_text[el.tag] += 1
        for el in top:
            if not isinstance(el.tag, str) or (step == "invisible" and el.tag in JUNK_TAGS):
                continue
            if el.tag == "body":  # a hidden <body> is detached, but still the page read
                continue
            # the step may have dropped elements inside this one first: count their text too
            parts = [el, *(n for n in nested.get(el, []) if isinstance(n.tag, str))]
            chars = sum(size(part) for part in parts)
            if chars:
                text = next((t for part in parts if (t := _snippet(part))), "")
                kind = "hidden" if step == "invisible" else step
                self._drop(Dropped(kind, reason(el), _path(el, parents), chars, text), el)

    def revealed(self, maybe_hidden: Iterable[lxml.html.HtmlElement], ids: Collection[str]) -> None:
        parents = {el: el.getparent() for el in self._doc.iter()} if self._doc is not None else {}
        for el in maybe_hidden:
            if is_hidden(el) and revealable(el, ids) and size(el):
                why = "a tab panel" if el.get("role") == "tabpanel" else "named by aria-controls"
                where = _path(el, parents)
                self.kept_hidden.append(
                    Dropped("hidden", f"kept: {why}", where, size(el), _snippet(el))
                )

    def part(self, note: str) -> None:
        self.parts.append(note)

    def outside(
        self, body: lxml.html.HtmlElement, roots: Collection[lxml.html.HtmlElement], why: str
    ) -> None:
        parents = {el: el.getparent() for el in body.iter()}
        chosen = set(roots)
        holding = {a for root in roots for a in root.iterancestors()}
        self.roots = [_path(root, parents) for root in roots]
        stack = [body] if body not in chosen else []
        while stack:
            node = stack.pop()
            for child in node:
                if not isinstance(child.tag, str) or child in chosen:
                    continue
                if child in holding:
                    stack.append(child)
                elif size(child):
                    where = _path(child, parents)
                    self._drop(Dropped("outside", why, where, size(child), _snippet(child)), child)

    def _drop(self, dropped: Dropped, el: lxml.html.HtmlElement) -> None:
        order = self._order.get(el, len(self._order))
        self.dropped.append(dataclasses.replace(dropped, order=order))


def _ancestors(
    el: lxml.html.HtmlElement, parents: dict[lxml.html.HtmlElement, lxml.html.HtmlElement | None]
) -> Iterable[lxml.html.HtmlElement]:
    parent = parents.get(el)
    while parent is not None:
        yield parent
        parent = parents.get(parent)


def _path(
    el: lxml.html.HtmlElement, parents: dict[lxml.html.HtmlElement, lxml.html.HtmlElement | None]
) -> str:
    chain = [el, *_ancestors(el, parents)]
    names = [_name(node) for node in reversed(chain) if node.tag != "html"]
    if len(names) > 6:
        names = [*names[:2], "…", *names[-3:]]
    return " > ".join(names)


def _name(el: lxml.html.HtmlElement) -> str:
    name = str(el.tag)
    if el.get("id"):
        name += "#" + el.get("id", "")[:40]
    classes = (el.get("class") or "").split()
    if classes:
        name += "".join("." + c[:30] for c in classes[:2])
    role = el.get("role")
    if role:
        name += f"[role={role}]"
    return name


def _snippet(el: lxml.html.HtmlElement) -> str:
    text = " ".join(" ".join(el.itertext()).split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"


# ---- the reason each step had, read back from the element -------------------------------


def hidden_reason(el: lxml.html.HtmlElement) -> str:
    if "hidden" in el.attrib:
        return "hidden attribute"
    if el.get("aria-hidden") == "true":
        return 'aria-hidden="true"'
    return "hidden by its style"


def furniture_reason(
    controls: set[lxml.html.HtmlElement],
) -> Callable[[lxml.html.HtmlElement], str]:
    def reason(el: lxml.html.HtmlElement) -> str:
        role = el.get("role", "")
        if el.tag == "nav":
            return "navigation (<nav>)"
        if el.tag in ("header", "footer"):
            return f"page {el.tag} (<{el.tag}> outside <main> and <article>)"
        if is_consent_dialog(el, controls):
            return "consent dialog (never the document)"
        if role in ("dialog", "alertdialog") or el.get("aria-modal") == "true":
            return "dialog"
        if el.tag == "aside":
            return "sidebar (<aside>)"
        if role:
            return f"page furniture (role={role})"
        names = " ".join(filter(None, [el.get("id"), el.get("class")]))
        if named_like_consent(names):
            return f"consent banner with controls (named {names[:60]!r})"
        if named_like_furniture(names):
            return f"interface block with controls (named {names[:60]!r})"
        return "page furniture"

    return reason


def widget_reason(el: lxml.html.HtmlElement) -> str:
    if names_screen_reader_only(el.get("class") or ""):
        return "screen-reader-only text"
    if says_feedback(" ".join(el.text_content().split())):
        return 'feedback widget ("was this helpful?")'
    if el.tag in ("ul", "ol"):
        return "menu or table of contents (a list of short links or of the page's headings)"
    return "related-article list"


def edge_reason(el: lxml.html.HtmlElement) -> str:
    if el.tag == "form" or next(el.iter("form"), None) is not None:
        return "a sign-up form that ends the container (it asks for an e-mail address only)"
    return "a block of links before the title or at the end of the container (a menu)"


def constant(text: str) -> Callable[[lxml.html.HtmlElement], str]:
    return lambda el: text


__all__ = [
    "NO_TRACE",
    "STEPS",
    "Dropped",
    "Recorder",
    "Trace",
    "constant",
    "edge_reason",
    "furniture_reason",
    "hidden_reason",
    "widget_reason",
]
