"""One document among several on a page, chosen by the URL's fragment (issue 14)."""

from __future__ import annotations

from pathlib import Path

from clausewatch.extractors import extract
from clausewatch.extractors.explain import explain
from clausewatch.pipeline.model import Target
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.models import DocumentRef
from clausewatch.storage.store import Store
from tests.helpers import capture


def para(topic: str, n: int) -> str:
    return (
        f"<p>{topic} clause {n}: this part of our {topic.lower()} applies to every user of the "
        "service and says what we do and what you may ask of us.</p>"
    )


TERMS = "".join(para("Terms", n) for n in range(4))
PRIVACY = "".join(para("Privacy", n) for n in range(4))
DPA = "".join(para("Processing", n) for n in range(4))

HEADINGS = (
    "<html><body><main><h1>Legal</h1>"
    f"<h2 id='terms'>Terms of service</h2>{TERMS}<h3>Payment</h3><p>You pay monthly.</p>"
    f"<h2><a name='privacy'></a>Privacy policy</h2>{PRIVACY}"
    f"<a id='dpa'></a><div><h2>Data processing agreement</h2></div>{DPA}"
    "</main></body></html>"
)
SECTIONS = (
    "<html><body><main>"
    f"<section id='terms'><h1>Terms</h1>{TERMS}</section>"
    f"<section id='privacy'><h1>Privacy</h1>{PRIVACY}</section>"
    "</main></body></html>"
)


def texts(html: str, part: str | None) -> list[str]:
    return [c.text for c in extract(html, part=part).clauses]


def test_a_fragment_naming_a_heading_chooses_the_clauses_under_it() -> None:
    terms = texts(HEADINGS, "terms")
    assert terms[0] == "Terms of service" and "Payment" in terms and "You pay monthly." in terms
    assert not any(t.startswith("Privacy") for t in terms)
    privacy = texts(HEADINGS, "privacy")  # an anchor inside the heading
    assert privacy[0] == "Privacy policy" and len(privacy) == 5
    dpa = texts(HEADINGS, "dpa")  # an empty anchor before the heading's wrapper
    assert dpa[0] == "Data processing agreement" and len(dpa) == 5


def test_a_fragment_naming_a_section_chooses_that_section() -> None:
    privacy = texts(SECTIONS, "privacy")
    assert privacy[0] == "Privacy" and all("Terms" not in t for t in privacy)


def test_a_fragment_that_names_nothing_keeps_the_whole_page_and_explain_says_so() -> None:
    assert texts(HEADINGS, "nowhere") == texts(HEADINGS, None)
    found = explain(HEADINGS, part="nowhere")
    assert found.parts == [
        "#nowhere names no heading or section of the page: the whole page is the document"
    ]
    assert explain(HEADINGS, part="privacy").parts == [
        "#privacy: the clauses under the heading 'Privacy policy'"
    ]


def test_each_catalog_document_of_one_page_records_its_own_part(store: Store) -> None:
    """A change to the terms is a change of the terms, not of the privacy policy."""

    def target(doc: str, fragment: str) -> Target:
        url = f"https://legal.example/all#{fragment}"
        return Target(ref=DocumentRef(id=doc, url=url))

    terms, privacy = target("acme-terms", "terms"), target("acme-privacy", "privacy")
    for t in (terms, privacy):
        record_capture(store, t, capture(HEADINGS.encode()))
    changed = HEADINGS.replace("You pay monthly.", "You pay every year.").encode()
    assert record_capture(store, terms, capture(changed, 1)).change_class == "substantive"
    assert record_capture(store, privacy, capture(changed, 1)).status == "unchanged"
    head, _ = store.head("acme-terms")
    assert head is not None
    assert store.get_manifest(head.manifest).extraction.part == "terms"


def test_import_extracts_the_part_its_url_names(tmp_path: Path) -> None:
    """Found by a breaker: import's extraction workers ran extract() without the URL's
    fragment, so an imported page kept all its documents."""
    import json

    from typer.testing import CliRunner

    from clausewatch.cli import app

    page = tmp_path / "legal.html"
    page.write_text(HEADINGS)
    batch = tmp_path / "steps.jsonl"
    lines = [
        {
            "document": doc,
            "url": f"https://legal.example/all#{frag}",
            "file": str(page),
            "captured_at": "2025-01-01T00:00:00Z",
        }
        for doc, frag in (("acme-terms", "terms"), ("acme-privacy", "privacy"))
    ]
    batch.write_text("".join(json.dumps(line) + "\n" for line in lines))
    where = str(tmp_path / "store")
    runner = CliRunner()
    result = runner.invoke(
        app, ["import", "--batch", str(batch), "--store", where, "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["show", "acme-privacy", "--text", "--store", where]).output
    assert shown.startswith("Privacy policy") and "Terms clause" not in shown


def test_a_fragment_naming_the_second_heading_of_a_text_chooses_that_one() -> None:
    """Found by a breaker: each document of a legal page has its "Definitions"."""
    html = (
        f"<main><h1>Legal</h1><h2>Terms</h2><h3>Definitions</h3>{TERMS}"
        f"<h2>Privacy</h2><h3 id='pdef'>Definitions</h3>{PRIVACY}<h3>Rights</h3><p>R.</p></main>"
    )
    chosen = texts(html, "pdef")
    assert chosen[0] == "Definitions" and chosen[1].startswith("Privacy clause 0")
    assert "Rights" not in chosen


def test_a_fragment_naming_hidden_content_keeps_the_whole_page_and_explain_says_so() -> None:
    html = (
        f"<body><div id='old' hidden><h2>Old terms</h2>{TERMS}</div><main>{PRIVACY}</main></body>"
    )
    assert texts(html, "old") == texts(html, None)
    note = explain(html, part="old").parts
    assert len(note) == 1 and note[0].startswith("#old names hidden or dropped content")
