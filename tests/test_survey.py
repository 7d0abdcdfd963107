"""The one-pass survey of a page finds exactly what the XPaths it replaced found.

Extraction used to ask libxml2 six XPath questions per page; :func:`extractors.survey.survey`
answers them in one walk. These are the original paths, kept here as the specification.
"""

from __future__ import annotations

from typing import Any

import lxml.etree as etree
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausewatch.extractors.clean import JUNK_TAGS, attached, parse_html
from clausewatch.extractors.locate import named_like_furniture
from clausewatch.extractors.survey import survey
from tests.helpers import soup_part

CONTROLS = etree.XPath(
    ".//button|.//input|.//select|.//textarea|.//*[@role='button' or @role='switch' or @role='checkbox']"
)
MAYBE_HIDDEN = etree.XPath(".//*[@hidden or @aria-hidden or @style]")
CF_EMAIL = etree.XPath(".//*[@data-cfemail]|.//a[contains(@href, '/cdn-cgi/l/email-protection#')]")
ROLES = etree.XPath(".//*[@role or @aria-modal]")
IDS_AND_CLASSES = etree.XPath(".//@id|.//@class")
LANDMARKS = etree.XPath('.//main|.//*[@role="main"]|.//article')


def nodes(xpath: etree.XPath, node: Any) -> list[Any]:
    result = xpath(node)
    assert isinstance(result, list)
    return result


_TAGS = st.sampled_from(
    "p div li ul table tr td h1 h2 main nav span a script style br header footer aside article "
    "section button input select textarea form body html head template".split()
)
_ATTRS = st.lists(
    st.sampled_from(
        [
            " hidden",
            ' class="cookie-banner"',
            ' class="x promo"',
            ' class=""',
            ' role="dialog"',
            ' role="main"',
            ' role="button"',
            ' role="switch"',
            ' role=""',
            ' aria-modal="true"',
            ' style="display:none"',
            ' style="color:red"',
            ' id="consent"',
            ' id="sidebar-1"',
            ' aria-hidden="false"',
            ' data-cfemail="543a3b1439353d387a313a33"',
            ' href="/cdn-cgi/l/email-protection#543a3b14"',
            ' href="https://x.example/email-protection"',
        ]
    ),
    max_size=3,
).map("".join)


@st.composite
def pages(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 40))):
        tag, attrs = draw(_TAGS), draw(_ATTRS)
        text = draw(st.sampled_from(["", "Some terms.", "<!-- note -->", "<?pi x?>", "x"]))
        kind = draw(st.integers(0, 3))
        parts.append(soup_part(kind, tag, attrs, text))
    return "<p>start</p>" + "".join(parts)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages())
def test_the_survey_finds_what_the_xpaths_found(html: str) -> None:
    doc = parse_html(html)
    body = doc.find("body")
    if body is None:
        body = doc
    found = survey(doc, body)
    assert found.junk == list(doc.iter(*JUNK_TAGS))
    assert found.comments == list(doc.iter(etree.Comment, etree.ProcessingInstruction))
    assert found.maybe_hidden == nodes(MAYBE_HIDDEN, doc)
    assert found.controls == nodes(CONTROLS, doc)
    assert found.cf_emails == nodes(CF_EMAIL, doc)
    # furniture and landmarks were looked for under the body only
    candidates = {*body.iter("nav", "aside", "header", "footer"), *nodes(ROLES, body)}
    candidates.update(
        v.getparent() for v in nodes(IDS_AND_CLASSES, body) if named_like_furniture(v)
    )
    assert {el for el in found.furniture if el is body or attached(el, body)} == candidates
    assert [el for el in found.landmarks if attached(el, body)] == nodes(LANDMARKS, body)
