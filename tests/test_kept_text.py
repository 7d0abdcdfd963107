"""Legal text the furniture rules must keep (issue 14): each page was built by an outside
check to break a rule (a menu above the title, a sidebar repeating it, a footer, a sign-up
form, a styled "See also") and lost its text or its extraction; each must keep what a reader
of the terms reads."""

from __future__ import annotations

import pytest

from clausewatch.extractors import extract

P = (
    "<p>We process personal data only as described in this policy, in accordance with "
    "applicable data protection law, and we retain it only as long as necessary.</p>"
)
MENU = "".join(
    f"<li><a href='/{path}'>{label}</a></li>"
    for path, label in (
        ("privacy", "Privacy"),
        ("terms", "Terms"),
        ("cookies", "Cookies"),
        ("dpa", "DPA"),
        ("aup", "Acceptable use"),
    )
)

CASES = {
    "a page wrapped in one form (ASP.NET) with a newsletter field": (
        "<html><body><form id='aspnetForm'><input type='hidden' name='__VIEWSTATE' value='x'>"
        f"<main><h1>Privacy Policy</h1>{P * 3}</main><footer><p>Newsletter</p>"
        "<input type='email' name='ctl00$newsletter'><input type='submit'></footer></form>"
        "</body></html>",
        "only as long as necessary",
    ),
    "the terms inside a join form with one e-mail field": (
        "<html><body><main><form action='/join'><h1>Create your account</h1><h2>Terms of "
        f"membership</h2>{P * 3}<h2>Fees</h2><p>Membership costs 10 EUR a month.</p>"
        "<input type='email' name='email'><input type='checkbox' name='agree'>"
        "<button>Join</button></form></main></body></html>",
        "Membership costs 10 EUR a month.",
    ),
    "a newsletter clause of a privacy policy, with its form": (
        f"<html><body><main><h1>Datenschutzerklärung</h1>{P * 2}<h2>Newsletter</h2><div><p>"
        "Wenn Sie unseren Newsletter abonnieren, verarbeiten wir Ihre E-Mail-Adresse auf "
        "Grundlage Ihrer Einwilligung (Art. 6 Abs. 1 lit. a DSGVO).</p><form><input "
        f"type='email' name='EMAIL'><button>Abonnieren</button></form></div><h2>Rechte</h2>{P}"
        "</main></body></html>",
        "Art. 6 Abs. 1 lit. a DSGVO",
    ),
    "an opt-out section with its form": (
        "<html><body><main><h1>Your Privacy Choices</h1><section><h2>Do Not Sell or Share My "
        "Personal Information</h2><p>To opt out, enter the e-mail address of your account "
        "below. We will honor your request within 15 business days.</p><form><input "
        "type='email' name='email'><button>Submit</button></form></section><section><h2>Other "
        f"rights</h2>{P}</section></main></body></html>",
        "within 15 business days",
    ),
    "an imprint whose only text sits beside a newsletter form": (
        "<html><body><main><h1>Impressum</h1><div><p>ACME GmbH, Hauptstraße 1, 10115 Berlin. "
        "Handelsregister: Amtsgericht Charlottenburg HRB 12345.</p><form><input type='email'>"
        "</form></div></main></body></html>",
        "HRB 12345",
    ),
    "'See also' in a sentence": (
        f"<html><body><main><h1>Terms</h1>{P}<p>Refunds are available for 14 days. <strong>See "
        "also</strong> <a href='#s7'>Section 7 (Refunds and cancellations)</a>, which applies "
        f"to all orders.</p>{P}</main></body></html>",
        "See also Section 7 (Refunds and cancellations), which applies to all orders.",
    ),
    "a paragraph that starts 'See also'": (
        f"<html><body><main><h1>Terms</h1>{P}<p>See also <a href='/privacy'>our Privacy "
        f"Policy</a>, which forms part of these Terms.</p>{P}</main></body></html>",
        "which forms part of these Terms",
    ),
    "linked definitions under a styled 'See also'": (
        f"<html><body><main><h1>Terms of Use</h1>{P}<div>See also</div><p><a "
        "href='/terms/definitions'>“Services” means the websites and apps operated by "
        f"ACME.</a></p>{P}</main></body></html>",
        "“Services” means the websites and apps operated by ACME.",
    ),
    "a linked notice above the title": (
        "<html><body><main><div class='notice'>"
        + " ".join(
            f"<a href='/legal/{n}'>IMPORTANT: THESE TERMS CONTAIN A BINDING ARBITRATION CLAUSE "
            f"NUMBER {n}.</a>"
            for n in range(5)
        )
        + f"</div><h1>Terms of Service</h1>{P * 3}</main></body></html>",
        "BINDING ARBITRATION CLAUSE NUMBER 4.",
    ),
    "related documents with a contact link, linking where the menu does": (
        f"<html><body><main><ul class='menu'>{MENU}</ul><h1>Privacy Policy</h1>{P * 3}<h2>"
        "Related documents</h2><table><tr><td><a href='/terms'>Terms of Service</a></td><td>"
        "<a href='/dpa'>Data Processing Addendum</a></td></tr><tr><td><a href='/cookies'>"
        "Cookie Policy</a></td><td><a href='/aup'>Acceptable use</a></td></tr><tr><td><a "
        "href='mailto:dpo@acme.example'>dpo@acme.example</a></td></tr></table></main></body></html>",
        "Data Processing Addendum",
    ),
    "incorporated documents, linking where the menu does, as sentences": (
        f"<html><body><main><ul class='menu'>{MENU}</ul><h1>Terms of Service</h1>{P * 3}<h2>12. "
        "Documents that form part of these terms</h2><ul>"
        + "".join(
            f"<li><a href='/{path}'>The {label} policy, which applies with these terms</a></li>"
            for path, label in (
                ("privacy", "privacy"),
                ("cookies", "cookie"),
                ("dpa", "processing"),
                ("aup", "use"),
                ("terms", "general"),
            )
        )
        + "</ul></main></body></html>",
        "The cookie policy, which applies with these terms",
    ),
    "a footer in main that lists the group's companies": (
        "<html><body><main><h1>Legal notice</h1><p>This site is operated by the ACME group."
        "</p><footer><h2>Group companies</h2><ul>"
        + "".join(
            f"<li><a href='/entities/{n}'>ACME {n}, Paris, RCS 123 456 78{n}</a></li>"
            for n in range(5)
        )
        + "</ul><p>Publication director: <a href='/team/ceo'>Jane Doe</a></p></footer></main>"
        "</body></html>",
        "ACME 4, Paris, RCS 123 456 784",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_legal_text_of_a_page_built_to_break_a_furniture_rule_is_kept(name: str) -> None:
    page, sentence = CASES[name]
    text = " ".join(extract(page).text.split())
    assert sentence in text, (name, text[:500])


def test_many_sections_that_each_hold_a_form_keep_their_text() -> None:
    """Only one sign-up block ends a container: sections that each hold a form (and many of
    them) are the document's."""
    sections = "".join(
        f"<div><p>Clause {n}: we keep the address you give us for this service only.</p><form>"
        "<input type='email'></form></div>"
        for n in range(50)
    )
    text = extract(f"<html><body><main><h1>T</h1>{P}{sections}</main></body></html>").text
    assert all(f"Clause {n}:" in text for n in range(49))


def test_a_table_of_contents_is_still_one_when_its_entries_read_like_sentences() -> None:
    """The limits above (a comma, a sentence-long link) stop at links to the page's own
    sections: "Collection, processing and use of personal data" in a list of anchors is a
    table of contents, above the title or inside the text."""
    sections = [
        "Collection, processing and use of personal data",
        "Transfers of your data, outside the European Union",
        "Changes to this policy and how we tell you about them",
    ]
    toc = "".join(f"<li><a href='#s{n}'>{t}</a></li>" for n, t in enumerate(sections))
    body = "".join(f"<h2 id='s{n}'>{t}</h2>{P}" for n, t in enumerate(sections))
    leading = (
        f"<html><body><main><div class='top'><ul>{toc}</ul><a href='/pdf'>PDF</a>"
        f"<a href='/print'>Print</a></div><h1>Privacy</h1>{body}</main></body></html>"
    )
    inside = f"<html><body><main><h1>Privacy</h1><ul>{toc}</ul>{body}</main></body></html>"
    for page in (leading, inside):
        texts = [c.text for c in extract(page).clauses]
        assert texts.count(sections[0]) == 1 and texts[0] == "Privacy", texts[:4]
