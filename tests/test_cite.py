"""Citation records, from a hash chain with lineage."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.errors import IntegrityError
from clausewatch.evidence.cite import citation
from clausewatch.pipeline.record import record_capture
from clausewatch.storage import layout
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from tests.helpers import T0, capture, page, target

runner = CliRunner()


@pytest.fixture
def history(tmp_path: Path) -> Store:
    store = Store(LocalBackend(tmp_path / "store"))
    t = target()
    texts = [
        ("We keep data for 30 days.", "You may opt out."),
        ("We keep data for 14 days.", "You may opt out."),
        ("We keep data for 7 days.", "You may opt out."),
    ]
    for months, paragraphs in zip((0, 3, 5), texts, strict=True):
        record_capture(store, t, capture(page(*paragraphs), minutes=months * 30 * 24 * 60))
    return store


def test_citation_record_of_the_latest_version(history: Store) -> None:
    record = citation(history, "acme-privacy")
    assert record["entity"] == "Acme" and record["version"] == 3 and record["hash_verified"]
    assert record["record_id"].startswith("acme-privacy@")
    assert record["text_sha256"] == history.head("acme-privacy")[0].content_hash  # type: ignore[union-attr]
    by_text = {c["text"]: c for c in record["clauses"]}
    retention = by_text["We keep data for 7 days."]
    # 150 days after the first capture: 4 whole calendar months (Jan 1 to May 31)
    assert (retention["changes"], retention["stability"], retention["months_monitored"]) == (
        2,
        "changed",
        4,
    )
    opt_out = by_text["You may opt out."]
    assert (opt_out["changes"], opt_out["stability"]) == (0, "stable")
    assert retention["clause_record_id"] != opt_out["clause_record_id"]
    assert retention["first_seen"] == (T0).isoformat().replace("+00:00", "Z")


def test_citation_at_a_time_and_formats(history: Store) -> None:
    at = (T0 + timedelta(days=100)).isoformat()
    record = citation(history, "acme-privacy", at)
    assert record["version"] == 2
    texts = [c["text"] for c in record["clauses"]]
    assert "We keep data for 14 days." in texts
    bib = runner.invoke(
        app, ["cite", "acme-privacy", "--store", history.url, "--format", "bibtex"]
    ).output
    assert bib.startswith("@misc{acme-privacy-") and "SHA-256" in bib
    md = runner.invoke(app, ["cite", "acme-privacy", "--store", history.url, "--at", "1"]).output
    assert "Hash verified: yes" in md and "| `acme-privacy#c" in md
    data = json.loads(
        runner.invoke(
            app, ["cite", "acme-privacy", "--store", history.url, "--format", "json"]
        ).output
    )
    assert data["version"] == 3
    bad = runner.invoke(app, ["cite", "acme-privacy", "--store", history.url, "--at", "1999-01-01"])
    assert bad.exit_code == 2 and "first captured" in bad.output


def test_citation_refuses_a_corrupted_snapshot(history: Store) -> None:
    head, _ = history.head("acme-privacy")
    assert head is not None
    manifest = history.get_manifest(head.manifest)
    history.backend.overwrite(layout.blob(manifest.blobs["response"].sha256), b"tampered")
    with pytest.raises(IntegrityError):
        citation(history, "acme-privacy")


def test_a_url_that_is_not_http_is_never_a_link_in_the_markdown(tmp_path: Path) -> None:
    """A `javascript:` URL (an older import accepted one) is printed as code, not as an
    autolink that a Markdown renderer would make clickable."""
    from clausewatch.evidence.cite import markdown
    from clausewatch.pipeline.model import Target
    from clausewatch.storage.models import DocumentRef

    store = Store(LocalBackend(tmp_path / "s"))
    ref = DocumentRef(id="acme-privacy", url="javascript:alert(document.cookie)")
    record_capture(store, Target(ref=ref), capture(page("We keep data.")))
    text = markdown(citation(store, "acme-privacy"))
    assert "<javascript:" not in text
    assert "- Source: `javascript:alert(document.cookie)`" in text
    good = Store(LocalBackend(tmp_path / "g"))
    record_capture(good, target(), capture(page("We keep data.")))
    assert "- Source: <https://acme.example/acme-privacy>" in markdown(
        citation(good, "acme-privacy")
    )


def _bibtex_fields(entry: str) -> dict[str, str]:
    """The fields of one BibTeX entry read as BibTeX reads them: a braced value ends at the
    brace that balances its opening one, and a backslash does not escape a brace."""
    body = entry[entry.index(",") + 1 : entry.rstrip().rindex("}")]
    fields: dict[str, str] = {}
    i = 0
    while i < len(body):
        if body[i] in " ,\n":
            i += 1
            continue
        name, _, rest = body[i:].partition("=")
        start = i + len(name) + 1 + (len(rest) - len(rest.lstrip()))
        assert body[start] == "{", body[start:]
        depth, j = 0, start
        while True:
            depth += {"{": 1, "}": -1}.get(body[j], 0)
            j += 1
            if depth == 0:
                break
        fields[name.strip()] = body[start + 1 : j - 1]
        i = j
    return fields


FORGING_TITLE = "T} , author={Forged \\ 100% _x_"


def _forged_store(tmp_path: Path, url: str) -> Store:
    from clausewatch.pipeline.model import Target
    from clausewatch.storage.models import DocumentRef

    store = Store(LocalBackend(tmp_path / "s"))
    ref = DocumentRef(id="acme-privacy", url=url, entity="E}\\", title=FORGING_TITLE)
    record_capture(store, Target(ref=ref), capture(page("We keep data.")))  # bypasses import
    return store


def test_bibtex_fields_cannot_be_forged(tmp_path: Path) -> None:
    from clausewatch.evidence.cite import bibtex

    store = _forged_store(tmp_path, "https://a.example/x}},\n  note = {FORGED\\")
    fields = _bibtex_fields(bibtex(citation(store, "acme-privacy")))
    assert list(fields) == ["author", "title", "howpublished", "year", "urldate", "note"]
    assert "FORGED" not in fields["note"]
    assert (
        fields["howpublished"]
        == r"\url{https://a.example/x%7D%7D,%0A%20%20note%20=%20%7BFORGED%5C}"
    )
    assert fields["title"] == (
        r"T\textbraceright{} , author=\textbraceleft{}Forged \textbackslash{} 100\% \_x\_"
    )
    assert fields["author"] == r"E\textbraceright{}\textbackslash{}"


def test_markdown_shows_titles_as_they_are_and_no_forged_link(tmp_path: Path) -> None:
    """Rendered by a CommonMark renderer, the Markdown shows the title as stored (its Markdown
    escapes are not shown) and makes no link of a URL that holds one."""
    import html
    import re

    from markdown_it import MarkdownIt

    from clausewatch.evidence.cite import markdown

    url = "https://a.example/x> [evil](javascript:alert(1)) <"
    store = _forged_store(tmp_path, url)
    rendered = MarkdownIt("commonmark").render(markdown(citation(store, "acme-privacy")))
    assert "<a " not in rendered and "href" not in rendered
    [heading] = re.findall(r"<strong>(.*?)</strong>", rendered)
    assert html.unescape(heading) == f"E}}\\, {FORGING_TITLE}"
    assert f"<code>{html.escape(url, quote=False)}</code>" in rendered


@pytest.mark.parametrize("char", ["\x9b", "\u202e", '"', "{"])
def test_a_url_with_a_c1_control_or_bidi_override_is_not_a_link(tmp_path: Path, char: str) -> None:
    """An older import stored such URLs; the Markdown shows them as code, never as a link
    (a raw CSI or a right-to-left override would reach the reader's terminal or reorder it)."""
    from clausewatch.evidence.cite import markdown

    store = _forged_store(tmp_path, f"https://a.example/x{char}y")
    text = markdown(citation(store, "acme-privacy"))
    assert "<https://a.example/x" not in text and "- Source: `https://a.example/x" in text
    assert "\x9b" not in text and "\u202e" not in text
