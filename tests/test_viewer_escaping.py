"""Every viewer page escapes what a captured page or a catalog put in front of it, and links only
to http(s) URLs (the pages are Jinja2 templates with autoescape on)."""

from __future__ import annotations

from pathlib import Path

from clausewatch.pipeline.model import Capture, Target
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.models import DocumentRef
from clausewatch.storage.store import Store
from tests.helpers import T0, page, view

EVIL = "<script>alert(1)</script>\"'"


def _store(tmp_path: Path, url: str) -> Store:
    store = Store(LocalBackend(tmp_path / "store"))
    ref = DocumentRef(id="evil-terms", url=url, entity=EVIL, title=EVIL, type=EVIL)
    for minutes, words in ((0, "We keep your data for a year."), (5, f"We sell {EVIL} data.")):
        body = page(words, f"{EVIL} is not allowed here at all.", title=EVIL)
        capture = Capture(
            url=url, captured_at=T0.replace(minute=minutes), source="import", body=body
        )
        assert record_capture(store, Target(ref=ref), capture).status in ("first", "changed")
    return store


def test_every_page_escapes_captured_and_catalog_text(tmp_path: Path) -> None:
    store = _store(tmp_path, "https://evil.example/terms")
    paths = ("/", "/doc/evil-terms", "/doc/evil-terms/diff", "/doc/evil-terms/cite")
    for path in (*paths, "/doc/evil-terms/clause/c3", "/doc/evil-terms/clause/c4"):
        response = view(store, path)
        assert response.status_code == 200, path
        assert "<script>" not in response.text, path
        assert "&lt;script&gt;" in response.text, path
        assert "default-src 'none'" in response.headers["content-security-policy"], path


def test_a_clause_page_is_linked_from_the_diff_and_an_unknown_clause_is_a_404(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path, "https://evil.example/terms")
    diff = view(store, "/doc/evil-terms/diff").text
    # the sentence was rewritten: one clause removed (c2), one added (c4), each linked
    assert "href='/doc/evil-terms/clause/c2'" in diff and "href='/doc/evil-terms/clause/c4'" in diff
    removed = view(store, "/doc/evil-terms/clause/c2").text
    assert "removed in version 2" in removed and "We keep your data for a year." in removed
    added = view(store, "/doc/evil-terms/clause/c4").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in added and "<script>" not in added
    for bad in ("/doc/evil-terms/clause/c99", "/doc/evil-terms/clause/%3Cscript%3E"):
        response = view(store, bad)
        assert response.status_code == 404 and "<script>" not in response.text, bad


def test_a_non_http_url_is_not_a_link(tmp_path: Path) -> None:
    store = _store(tmp_path, "https://evil.example/terms")
    head, _ = store.head("evil-terms")
    assert head is not None
    text = view(store, "/doc/evil-terms").text
    assert "href='https://evil.example/terms'" in text
    # a catalog URL that is not http(s) (DocumentRef accepts any string) links nowhere
    ref = DocumentRef(id="js-terms", url="javascript:alert(1)", entity="X", title="X", type="t")
    capture = Capture(
        url=ref.url, captured_at=T0, source="import", body=b"<main><p>Words.</p></main>"
    )
    record_capture(store, Target(ref=ref), capture)
    page = view(store, "/doc/js-terms").text
    assert "href='javascript:" not in page and "href='#'" in page


def test_a_missing_document_is_a_404_page_naming_it(tmp_path: Path) -> None:
    store = _store(tmp_path, "https://evil.example/terms")
    response = view(store, "/doc/no-such-doc")
    assert response.status_code == 404 and "no-such-doc" in response.text


def test_an_http_url_with_quotes_and_a_script_stays_inside_its_attribute(tmp_path: Path) -> None:
    """The link macro keeps an http(s) URL, so the URL itself must be escaped: a quote in it
    must not close the single-quoted href, nor a ``<script>`` in it open an element."""
    url = "https://evil.example/terms?q='\"><script>alert(1)</script>"
    store = _store(tmp_path, url)
    paths = ("/", "/doc/evil-terms", "/doc/evil-terms/diff", "/doc/evil-terms/cite")
    for path in (*paths, "/doc/evil-terms/clause/c3", "/doc/evil-terms/clause/c4"):
        text = view(store, path).text
        assert "<script>" not in text, path
        assert "'\"" not in text and "\"'" not in text, path  # no raw quote of EVIL or the URL
    text = view(store, "/doc/evil-terms").text
    assert "href='https://evil.example/terms?q=&#39;&#34;&gt;&lt;script&gt;" in text


def test_a_path_no_route_serves_carries_the_security_headers(tmp_path: Path) -> None:
    """Found by an outside check: Starlette's own 404 had no Content-Security-Policy."""
    store = _store(tmp_path, "https://evil.example/terms")
    for path in ("/doc/evil-terms/clause/a%2Fb", "/doc/evil-terms/clause/c3/x", "/nothing"):
        response = view(store, path)
        assert response.status_code == 404, path
        assert "default-src 'none'" in response.headers["content-security-policy"], path


def test_the_search_page_finds_clauses_links_them_and_escapes_them(tmp_path: Path) -> None:
    store = _store(tmp_path, "https://evil.example/terms")
    index = tmp_path / "index.sqlite"
    assert "action='/search'" in view(store, "/", index).text  # the search box
    found = view(store, "/search?q=sell", index)
    assert found.status_code == 200 and "href='/doc/evil-terms/clause/c4'" in found.text
    assert "<script>" not in found.text and "&lt;script&gt;" in found.text
    assert "default-src 'none'" in found.headers["content-security-policy"]
    early = view(store, "/search?q=keep&at=2026-01-01T00:01:00Z", index).text
    assert "href='/doc/evil-terms/clause/c2'" in early  # the first version's wording
    for bad in ("/search?q=%22unclosed", "/search?q=keep&at=yesterday"):
        response = view(store, bad, index)
        assert response.status_code == 400 and "class=bad" in response.text, bad
