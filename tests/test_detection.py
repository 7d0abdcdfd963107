"""Locating the legal text on pages it was never tuned on (issue 14): general mechanisms, each
on a small page written here (no text from the corpus)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clausewatch.errors import ExtractionError
from clausewatch.extractors import extract
from clausewatch.extractors.trace import Recorder

POLICY = (
    "<main><h1>Privacy policy</h1>"
    "<p>We collect the name and e-mail address you give us when you open an account.</p>"
    "<p>We keep account data for as long as the account is open, then for one year.</p></main>"
)

# A consent manager's dialog, in seven languages: a lead sentence, category texts long enough
# to out-weigh the policy, and its buttons.
CONSENT = {
    "en": ("We use cookies", "Accept all", "Reject all"),
    "fr": (
        "Nous utilisons des cookies et demandons votre consentement",
        "Tout accepter",
        "Refuser",
    ),
    "de": ("Wir verwenden Cookies und bitten um Ihre Einwilligung", "Alle akzeptieren", "Ablehnen"),
    "es": ("Usamos cookies y pedimos su consentimiento", "Aceptar todo", "Rechazar"),
    "it": ("Utilizziamo i cookie e chiediamo il tuo consenso", "Accetta tutti", "Rifiuta"),
    "nl": ("Wij gebruiken cookies en vragen uw toestemming", "Alles accepteren", "Weigeren"),
    "pt": ("Utilizamos cookies e pedimos o seu consentimento", "Aceitar todos", "Rejeitar"),
}


def consent_dialog(lang: str, categories: int = 12) -> str:
    lead, accept, reject = CONSENT[lang]
    sections = "".join(
        f"<div class='c{i}'><h3>Category {i}</h3><p>{'Lorem ipsum dolor sit amet. ' * 6}</p>"
        f"<input type='checkbox'></div>"
        for i in range(categories)
    )
    return (
        f"<div id='x1' class='Wrapper' role='dialog' aria-modal='true'><p>{lead}.</p>{sections}"
        f"<button>{accept}</button><button>{reject}</button></div>"
    )


@pytest.mark.parametrize("lang", sorted(CONSENT))
def test_a_consent_dialog_is_never_the_document_whatever_its_size(lang: str) -> None:
    dialog = consent_dialog(lang)
    assert len(dialog) > 3 * len(POLICY)  # the dialog holds most of the page's text
    page = f"<html><body>{dialog}{POLICY}</body></html>"
    text = extract(page).text
    assert "We keep account data" in text
    assert "Category" not in text and "Lorem" not in text


def test_a_page_that_shows_only_a_consent_dialog_is_not_a_version() -> None:
    page = f"<html><body>{consent_dialog('fr')}<div id='root'></div></body></html>"
    with pytest.raises(ExtractionError, match="only a consent dialog"):
        extract(page)


def test_a_dialog_that_is_not_about_consent_and_holds_the_text_is_the_document() -> None:
    """A policy shown in a modal (no consent words near its start) stays the document."""
    policy = POLICY.replace("<main>", "").replace("</main>", "")
    page = (
        "<html><body><p>Menu</p><div role='dialog' aria-modal='true'>"
        f"{policy}<button>Close</button></div></body></html>"
    )
    assert "We keep account data" in extract(page).text


def test_a_small_consent_banner_is_dropped_as_before() -> None:
    banner = "<div role='dialog'><p>We use cookies.</p><button>Accept</button></div>"
    text = extract(f"<html><body>{banner}{POLICY}</body></html>").text
    assert "We use cookies" not in text


SUSPECT_PAGES = {
    "error en": ("Help Centre", "<p>Sorry! Something went wrong :(</p>"),
    "not found fr": ("Aide", "<h1>Page introuvable</h1><p>Retour à l'accueil</p>"),
    "error de": ("Hilfe", "<p>Etwas ist schiefgelaufen. Bitte später erneut versuchen.</p>"),
    "denied es": ("Ayuda", "<p>Acceso denegado</p>"),
    "not found it": ("Aiuto", "<p>Pagina non trovata</p>"),
    "error nl": ("Hulp", "<p>Er is iets misgegaan.</p>"),
    "redirect pt": ("Ajuda", "<p>Redirecionando...</p>"),
    "challenge": ("Just a moment...", "<p>Checking your browser before accessing the site.</p>"),
    "redirect": ("Terms", "<p>Redirecting to https://example.com/terms ...</p>"),
    "sign-in wall": (
        "Log in to Example",
        "<ul><li><a href='/fr'>Français</a></li><li><a href='/de'>Deutsch</a></li></ul>"
        "<p><a href='/signup'>Create an account</a></p>",
    ),
    "status in the title": ("404", "<p>Nothing here.</p>"),
    "denied in the title": ("Access Denied", "<p>You don't have permission to view this.</p>"),
}


@pytest.mark.parametrize("name", sorted(SUSPECT_PAGES))
def test_error_challenge_sign_in_and_redirect_pages_are_never_a_version(name: str) -> None:
    from clausewatch.errors import SuspectPage

    title, body = SUSPECT_PAGES[name]
    page = f"<html><head><title>{title}</title></head><body>{body}</body></html>"
    with pytest.raises(SuspectPage, match="not the document") as raised:
        extract(page)
    assert raised.value.reason == "suspect"


def test_a_policy_that_quotes_an_error_phrase_is_the_document() -> None:
    long = " ".join(["We process the data you give us to provide the service."] * 20)
    page = (
        "<html><head><title>Terms of Service - Log in to read more</title></head><body>"
        f"<main><h1>Terms</h1><p>{long}</p><p>If something went wrong with a payment, "
        "write to us: access denied to an account is explained in section 4.</p></main>"
        "</body></html>"
    )
    assert "something went wrong" in extract(page).text


def test_a_held_back_page_is_an_extraction_failed_event_with_reason_suspect(
    tmp_path: Path,
) -> None:
    from clausewatch.events import cloudevents as events
    from clausewatch.pipeline.record import record_capture
    from clausewatch.storage.local import LocalBackend
    from clausewatch.storage.store import Store
    from tests.helpers import capture, page, target, validate

    store = Store(LocalBackend(tmp_path / "store"))
    t = target()
    first = record_capture(store, t, capture(page("We keep data for 30 days.")))
    held = record_capture(store, t, capture(page("Sorry, something went wrong."), 1))
    assert (held.status, held.error_type) == ("error", "extraction")
    assert held.event is not None and held.event["type"] == events.EXTRACTION_FAILED
    assert held.event["data"]["reason"] == "suspect"
    validate(held.event)
    # nothing was recorded: the head is still the first version, and the page's recovery is
    # compared with it (no change)
    back = record_capture(store, t, capture(page("We keep data for 30 days."), 2))
    assert back.status == "unchanged" and back.manifest == first.manifest


def with_policy(extra: str) -> str:
    return f"<html><body><main><h1>Terms</h1>{POLICY_TEXT}{extra}</main></body></html>"


POLICY_TEXT = (
    "<p>We collect the name and e-mail address you give us when you open an account.</p>"
    "<p>We keep account data for as long as the account is open, then for one year.</p>"
)


def test_screen_reader_only_text_is_not_part_of_the_terms() -> None:
    page = with_policy(
        "<p>Read the <a href='/c'>cookie notice<span class='sr-only'> (opens in a new "
        "window)</span></a> and the <a href='/p'>privacy notice"
        "<span class='link visually-hidden'>(external link)</span></a>.</p>"
    )
    text = extract(page).text
    assert "Read the cookie notice and the privacy notice." in text
    assert "window" not in text and "external" not in text


@pytest.mark.parametrize(
    "question",
    [
        "Was this article helpful?",
        "Cet article vous a-t-il été utile ?",
        "War dieser Artikel hilfreich?",
        "¿Este artículo te ha resultado útil?",
        "Questo articolo è stato utile?",
        "Was dit artikel nuttig?",
        "Este artigo foi útil?",
        "Was this helpful?",
        "Cela vous a-t-il aidé ?",
        # issue 14: help centres ask less formally, and their answers are styled divs
        "Ça vous a aidé ?",
        "Did you find this article helpful?",
        "War das hilfreich?",
        "Hat Ihnen dieser Artikel geholfen?",
        "¿Te resultó útil?",
        "Ti è stato utile?",
        "Heeft dit artikel je geholpen?",
        "Isso foi útil?",
    ],
)
def test_a_feedback_widget_is_not_part_of_the_terms(question: str) -> None:
    widget = (
        f"<div class='fb'><div><p>{question}</p><button>Yes</button><button>No</button>"
        "<div role='button'>Oui</div><div role='button'>Non</div></div>"
        "<p>1,204 people found this helpful</p></div>"
    )
    text = extract(with_policy(widget)).text
    assert "We keep account data" in text
    assert question not in text and "1,204" not in text and "Oui" not in text


def test_a_related_articles_list_is_dropped_but_a_see_also_section_of_text_is_kept() -> None:
    related = (
        "<div><div><h2><span>Related articles</span></h2></div></div>"
        "<ul><li><a href='/a'>How do I delete my account?</a></li>"
        "<li><a href='/b'>How do I change my e-mail address?</a></li></ul>"
    )
    text = extract(with_policy(related)).text
    assert "Related articles" not in text and "delete my account" not in text
    see_also = (
        "<h2>See also</h2><p>Where a national law gives you more rights than these terms, "
        "that law applies; see the <a href='/law'>list of national laws</a>.</p>"
    )
    text = extract(with_policy(see_also)).text
    assert "See also" in text and "that law applies" in text


def test_tab_panels_and_accordions_are_kept_in_order_and_hidden_junk_is_dropped() -> None:
    page = (
        "<html><body><main><h1>Terms</h1>"
        "<div role='tablist'><button role='tab' aria-controls='eu'>EU</button>"
        "<button role='tab' aria-controls='row'>Rest of world</button></div>"
        "<div id='eu' role='tabpanel'><p>In the EU, the law of your country applies.</p></div>"
        "<div id='row' role='tabpanel' hidden><p>Elsewhere, the law of Ireland applies.</p></div>"
        "<h2><button aria-controls='s3' aria-expanded='false'>Refunds</button></h2>"
        "<div id='s3' style='display: none'><p>You may ask for a refund within 14 days.</p></div>"
        "<details><summary>Disputes</summary><p>Disputes go to the courts of Dublin.</p></details>"
        "<div hidden><p>Loading the old version of these terms</p></div>"
        "<span aria-hidden='true'>icon-arrow</span>"
        "</main></body></html>"
    )
    text = extract(page).text
    order = [
        "the law of your country applies",
        "the law of Ireland applies",
        "refund within 14 days",
        "courts of Dublin",
    ]
    positions = [text.find(words) for words in order]
    assert -1 not in positions and positions == sorted(positions), text
    assert "Loading the old version" not in text and "icon-arrow" not in text


def test_menus_and_tables_of_contents_inside_the_container_are_dropped_lists_of_terms_kept() -> (
    None
):
    def page(toc_links: bool) -> str:
        def item(text: str, anchor: str) -> str:
            return f"<li><a href='#{anchor}'>{text}</a></li>" if toc_links else f"<li>{text}</li>"

        return (
            "<html><body><main><h1>Privacy policy</h1>"
            "<ul><li><a href='/'>Home</a></li><li><a href='/shop'>Shop</a></li>"
            "<li><a href='/help'>Help</a></li><li><a href='/press'>Press</a></li></ul>"
            f"<ol>{item('Who we are', 'a')}{item('What we collect', 'b')}"
            f"{item('Your rights', 'c')}</ol>"
            "<h2 id='a'>1. Who we are</h2><p>We are a small company that sells tea online.</p>"
            "<h2 id='b'>2. What we collect</h2><p>We collect:</p>"
            "<ul><li>your name</li><li>your e-mail address</li><li>your phone number</li></ul>"
            "<h2 id='c'>3. Your rights</h2><p>You may ask us for a copy of your data.</p>"
            "</main></body></html>"
        )

    with_links, without = extract(page(True)), extract(page(False))
    for got in (with_links, without):
        assert "Shop" not in got.text and "Press" not in got.text
        assert got.text.count("Who we are") == 1  # the heading, not the contents line
        assert "your e-mail address" in got.text and "your phone number" in got.text
    # a link added to (or removed from) every line of the contents changes nothing
    assert with_links.substance_hash == without.substance_hash


def test_a_list_of_links_to_other_sites_is_text_not_a_menu() -> None:
    """Processors named by links to their own sites are terms: adding one is a change."""
    processors = "".join(
        f"<li><a href='https://{name.lower()}.example/privacy'>{name}</a></li>"
        for name in ("Paycorp", "Mailhouse", "Cloudnine")
    )
    before = extract(with_policy(f"<p>We share data with:</p><ul>{processors}</ul>"))
    after = extract(
        with_policy(
            f"<p>We share data with:</p><ul>{processors}"
            "<li><a href='https://adnet.example/'>Adnet</a></li></ul>"
        )
    )
    assert "Mailhouse" in before.text
    assert before.substance_hash != after.substance_hash


@pytest.mark.parametrize(
    ("title", "sentence"),
    [
        ("Terms", "The service may be temporarily unavailable during maintenance windows."),
        ("Datenschutz", "Eine Weiterleitung Ihrer Daten an Dritte findet nicht statt."),
        ("Mentions légales - Connexion Santé", "Le site est édité par une société anonyme."),
    ],
)
def test_a_short_genuine_page_that_mentions_an_error_word_in_a_sentence_is_kept(
    title: str, sentence: str
) -> None:
    page = f"<html><head><title>{title}</title></head><body><main><p>{sentence}</p></main></body></html>"
    assert sentence in extract(page).text


def test_a_footer_menu_that_ends_the_container_is_not_part_of_the_terms() -> None:
    """Sites keep their footer menus inside the content wrapper, headed "About us", "Our
    apps", with one or two links each (too few for a menu list): they are rewritten freely."""
    footer = (
        "<div class='bottom'><h4>For business</h4><ul><li><a href='/pro'>Acme Pro</a></li></ul>"
        "<h4>Foundation</h4><ul><li><a href='/f'>Our fund</a></li><li><a href='/s'>School</a>"
        "</li></ul><h4><a href='/about'>About us</a></h4><a href='/jobs'>Jobs</a> "
        "<a href='/press'>Press</a></div>"
    )
    body = POLICY_TEXT * 30
    texts = [
        c.text
        for c in extract(f"<body><div id='app'>{body}{footer}</div><nav>x</nav></body>").clauses
    ]
    assert texts[-1].startswith("We keep account data") and "Foundation" not in texts
    # the terms' closing lines stay: no links, or a sentence
    closing = "<p>Last updated: 1 May 2024</p>"
    linked = (
        "<p>See also our <a href='/c'>cookie notice</a>, <a href='/p'>privacy notice</a> and "
        "<a href='/t'>terms of sale</a>, which apply together with these terms.</p>"
    )
    for tail in (closing, linked):
        kept = [
            c.text
            for c in extract(f"<body><div id='app'>{body}{tail}</div><nav>x</nav></body>").clauses
        ]
        assert kept[-1] == " ".join(extract(f"<body><main>{tail}</main></body>").text.split())


def test_a_large_link_dense_footer_ends_the_container_but_a_list_of_processors_stays() -> None:
    services = "".join(
        f"<a href='https://www.acme.example/s{n}'>Service {n}</a>" for n in range(12)
    )
    footer = f"<div class='end'><h4>Our services</h4><p>{services}</p><h4>Help</h4></div>"
    own = "<p><a href='https://acme.example/'>Home</a></p>" * 3  # the page's own host
    body = POLICY_TEXT * 8
    texts = [
        c.text for c in extract(f"<body><div id='app'>{own}{body}{footer}</div></body>").clauses
    ]
    assert "Our services" not in texts and texts[-1].startswith("We keep account data")
    processors = "".join(
        f"<li><a href='https://processor{n}.example/dpa'>Processor {n} Ltd</a></li>"
        for n in range(12)
    )
    listed = f"<div><h4>Our processors</h4><ul>{processors}</ul></div>"
    kept = [
        c.text for c in extract(f"<body><div id='app'>{own}{body}{listed}</div></body>").clauses
    ]
    assert "Our processors" in kept and "Processor 11 Ltd" in kept


@pytest.mark.parametrize(
    "ending",
    [
        # found by a breaker: each was dropped as a footer menu
        "<div><h2>Contact</h2><p><a href='mailto:dpo@acme.example'>dpo@acme.example</a><br>"
        "<a href='/contact'>Contact form</a><br><a href='tel:+123'>+1 23</a><br>"
        "<a href='/dpo'>Our DPO</a><br><a href='/eu'>EU representative</a></p></div>",
        "<ol>"
        + "".join(
            f"<li><a href='/annex{n}'>Annex {n}: Standard Contractual Clauses (Module {n}, "
            "controller to processor)</a></li>"
            for n in range(1, 6)
        )
        + "</ol>",
        "<table>"
        + "".join(
            f"<tr><td><a href='/sub/{n}'>Processor {n}</a></td><td>Hosting</td></tr>"
            for n in range(6)
        )
        + "</table>",
        "<div><h2>Our other policies</h2><ul><li><a href='/terms'>Terms</a></li>"
        "<li><a href='/cookies'>Cookies</a></li><li><a href='/privacy'>Privacy</a></li></ul></div>",
    ],
)
def test_the_end_of_a_policy_made_of_links_is_kept(ending: str) -> None:
    body = POLICY_TEXT * 30
    page = f"<body><div id='app'>{body}{ending}</div><nav>x</nav></body>"
    alone = extract(f"<body><main>{ending}</main></body>").clauses
    assert extract(page).clauses[-len(alone) :] == alone


def _site_menu(n: int = 6, tail: str = "") -> str:
    """A site's menu: each link a title and a line of description (too long to read as a
    short menu item), all on the site."""
    return "".join(
        f"<a href='/section/{k}'><strong>Section {k}{tail}</strong><p>What you will find in "
        f"section {k} of our transparency pages, and how we report on it.</p></a>"
        for k in range(n)
    )


def _in_wrapper(before: str, after: str = "", title: str = "<h1>Terms</h1>") -> str:
    """The document in a section of a content wrapper that also holds a menu above it."""
    return (
        f"<html><body><div id='wrap'><div class='top'>{before}</div>"
        f"<section>{title}{POLICY_TEXT * 2}</section>{after}</div><div>x</div></body></html>"
    )


def test_a_menu_above_the_title_inside_the_wrapper_is_not_part_of_the_terms() -> None:
    """Issue 14: a help centre's menu (title and description in every link) kept in the
    content wrapper above the document's h1 was stored as terms and raised a change whenever
    the site renamed a section."""
    texts = [c.text for c in extract(_in_wrapper(_site_menu())).clauses]
    assert texts[0] == "Terms" and not any("Section" in t for t in texts)
    renamed = [c.text for c in extract(_in_wrapper(_site_menu(tail=" (new)"))).clauses]
    assert renamed == texts


@pytest.mark.parametrize(
    "before",
    [
        # a notice above the title is text, with or without a link
        "<p>These terms change on 1 June; <a href='/new'>read the new terms</a>. Until then "
        "the terms below apply to every account.</p>",
        # links to other sites above the title (the group's companies) are not the site's menu
        "".join(f"<a href='https://company{k}.example/'>Company {k} Ltd</a> " for k in range(6)),
    ],
)
def test_what_stands_above_the_title_and_is_not_a_menu_is_kept(before: str) -> None:
    text = extract(_in_wrapper(before)).text
    alone = extract(f"<html><body><main>{before}</main></body></html>").text
    assert alone in text


def test_a_menu_above_a_second_title_is_kept_when_the_page_has_two() -> None:
    """With two h1s nothing says which one starts the document: nothing is dropped."""
    page = _in_wrapper(_site_menu(), title="<h1>Terms</h1><h1>Part two</h1>")
    assert "Section 3" in extract(page).text


def test_a_sidebar_that_repeats_the_menu_above_the_title_is_not_part_of_the_terms() -> None:
    """The same menu again after the document (a sidebar, linking to the same pages) is a
    menu even though its links read like sentences; an annex list that ends the terms links
    elsewhere and stays."""
    labels = "".join(
        f"<a href='/section/{k}'>Section {k} and what it covers for you and for us all</a>"
        for k in range(6)
    )  # labels as long as a sentence that counts as one, without a comma
    sidebar = f"<div class='side'>{labels}</div>"
    texts = [c.text for c in extract(_in_wrapper(_site_menu(), sidebar)).clauses]
    assert texts[-1].startswith("We keep account data") and not any("Section" in t for t in texts)
    annexes = (
        "<ol>"
        + "".join(
            f"<li><a href='/annex{n}'>Annex {n}: Standard Contractual Clauses (Module {n}, "
            "controller to processor)</a></li>"
            for n in range(1, 6)
        )
        + "</ol>"
    )
    kept = extract(_in_wrapper(_site_menu(), annexes)).text
    assert "Annex 5: Standard Contractual Clauses" in kept


def test_a_related_articles_list_under_a_styled_title_is_dropped() -> None:
    """Help centres style the title of a related-article list as a heading without tagging it
    as one (issue 14: a second copy of the list, rotating between captures, was kept)."""
    related = (
        "<div><div><div><span><span>Articles connexes</span></span></div></div>"
        "<div role='list'><div role='listitem'><a href='/a'>Comment supprimer mon compte ?</a>"
        "</div><div role='listitem'><a href='/b'>Comment changer mon adresse e-mail ?</a></div>"
        "</div></div>"
    )
    text = extract(with_policy(related)).text
    assert "Articles connexes" not in text and "supprimer mon compte" not in text
    # the words in a sentence, or a title followed by text, are kept
    for kept in (
        "<p>Related articles of the code apply as well: <a href='/c'>article 5</a>.</p>",
        "<div><span>See also</span></div><div><p>The law of your country may give you "
        "more rights; <a href='/law'>see the list</a>.</p></div>",
    ):
        assert (
            "apply as well" in extract(with_policy(kept)).text
            or "more rights" in extract(with_policy(kept)).text
        )


def _sign_up(fields: str) -> str:
    return (
        "<section><h3>Join us</h3><p>Sign up and get 10% off your first order. You can "
        f"unsubscribe at any time.</p><form>{fields}<button>Sign up</button></form>"
        "<p>Thank you for signing up!</p></section>"
    )


def test_a_sign_up_form_and_its_pitch_are_not_part_of_the_terms() -> None:
    """Issue 14: a newsletter sign-up kept in the content wrapper ("10% off your first order")
    was stored with the imprint, and its pitch rewritten between captures."""
    for fields in (
        "<input type='email' name='email'><input type='hidden' name='optin' value='1'>",
        "<input type='text' name='newsletter_email'><input type='checkbox' name='agree'>",
    ):
        texts = [c.text for c in extract(with_policy(_sign_up(fields))).clauses]
        assert texts[-1].startswith("We keep account data"), fields
        assert not any("10% off" in t or "Thank you" in t for t in texts)
    trace = Recorder()
    extract(with_policy(_sign_up("<input type='email'>")), trace=trace)
    assert [d.step for d in trace.dropped if "sign-up form" in d.reason] == ["edge"]


def test_a_contact_form_and_the_text_around_a_sign_up_in_a_short_page_are_kept() -> None:
    """A contact form asks for more than an address; a sign-up never takes the document's
    title or its text with it."""
    contact = _sign_up(
        "<input type='text' name='name'><input type='email' name='email'><textarea></textarea>"
    )
    assert "10% off" in extract(with_policy(contact)).text
    short = (
        "<html><body><main><h1>Imprint</h1><p>Acme SAS, 1 rue de la Paix, Paris.</p><form>"
        "<input type='email'></form></main></body></html>"
    )
    assert "Acme SAS" in extract(short).text


def test_a_footer_inside_main_is_dropped_whole_even_when_it_is_half_the_page() -> None:
    """Issue 14: a short imprint whose <main> also holds the site's <footer> (menus with their
    titles, a language picker) kept the footer's titles once its link lists were dropped."""
    groups = "".join(
        f"<h4>Group {g}</h4><ul>"
        + "".join(f"<li><a href='/g{g}/{k}'>Page {g}.{k}</a></li>" for k in range(4))
        + "</ul>"
        for g in range(5)
    )
    page = (
        "<html><body><main><div><h1>Imprint</h1>"
        "<p>Acme SAS, 1 rue de la Paix, 75002 Paris, France.</p><p>Publisher: Jane Doe, "
        f"jane@acme.example.</p></div><footer>{groups}<h4>Language</h4><p>fr</p></footer>"
        "</main></body></html>"
    )
    texts = [c.text for c in extract(page).clauses]
    assert texts == [
        "Imprint",
        "Acme SAS, 1 rue de la Paix, 75002 Paris, France.",
        "Publisher: Jane Doe, jane@acme.example.",
    ]
