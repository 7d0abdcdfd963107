"""``clausewatch explain``: what extraction kept and dropped, and why (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.extractors import extract
from clausewatch.extractors.explain import explain
from clausewatch.pipeline.explain import explain_version
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from tests.helpers import capture, page, target

runner = CliRunner()

POLICY = (
    "<p>We collect the data you give us when you create an account and use the service.</p>"
    "<p>You may ask us to delete your data at any time by writing to our privacy team.</p>"
)
PAGE = f"""<html><head><title>Terms</title><script>var x = 1</script></head><body>
<header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
<div role="dialog" aria-modal="true"><p>We use cookies to improve your visit.</p>
<button>Accept</button></div>
<main><h1>Terms of Service</h1><p class="sr-only">(opens in a new window)</p>
<p>Updated 3 days ago</p>{POLICY}
<div role="tabpanel" hidden><p>EU terms: you may withdraw within 14 days.</p></div>
<div hidden><p>Loading placeholder</p></div>
<ul><li><a href="/a">Alpha</a></li><li><a href="/b">Beta</a></li><li><a href="/c">Gamma</a></li></ul>
<div><h3>Was this article helpful?</h3><span>Yes</span> <span>No</span></div>
</main><aside>Sidebar</aside><footer>© 2026 Example</footer></body></html>"""


def reasons(found: Any) -> dict[str, str]:
    return {d.text: f"{d.step}: {d.reason}" for d in found.dropped}


def test_explain_names_each_dropped_block_with_its_step_and_reason_in_page_order() -> None:
    found = explain(PAGE)
    got = reasons(found)
    assert got["Home About"].startswith("furniture: page header")
    assert got["We use cookies to improve your visit."] == (
        "furniture: consent dialog (never the document)"
    )
    assert got["(opens in a new window)"] == "widget: screen-reader-only text"
    assert got["Loading placeholder"] == "hidden: hidden attribute"
    assert got["Alpha Beta Gamma"].startswith("widget: menu or table of contents")
    assert got["Was this article helpful? Yes No"].startswith("widget: feedback widget")
    assert got["Sidebar"] == "furniture: sidebar (<aside>)"
    assert got["© 2026 Example"].startswith("furniture: page footer")
    # in the page's order, whatever step dropped them
    assert found.dropped[0].text == "Home About"
    assert found.dropped[-1].text == "© 2026 Example"
    assert found.roots == ["body > main"]
    assert [d.text for d in found.kept_hidden] == ["EU terms: you may withdraw within 14 days."]
    assert found.not_text["script"] == 1 and found.not_text["button"] == 1
    assert found.volatile == [(1, ["3 days ago"])]


def test_explain_runs_the_extraction_that_recording_runs() -> None:
    """The trace only watches: the clauses are exactly what extract() gives."""
    for html in (PAGE, page("One.", "Two.").decode(), f"<body><div>{POLICY}</div></body>"):
        assert explain(html).clauses == extract(html).clauses


def test_text_outside_the_located_container_is_listed_as_outside() -> None:
    html = (
        "<body><div id='promo'><p>Download our app today and get a discount on your order</p>"
        f"</div><div id='legal'>{POLICY * 8}</div></body>"
    )
    found = explain(html)
    assert found.roots == ["body > div#legal"]
    assert (
        reasons(found)["Download our app today and get a discount on your order"]
        == "outside: outside the element that holds the legal text"
    )


def test_explain_with_the_catalogs_select_and_remove() -> None:
    html = f"<body><div id='a'>{POLICY}<p class='ad'>An advert</p></div><p>Other text</p></body>"
    found = explain(html, select=["#a"], remove=[".ad"])
    got = reasons(found)
    assert got["Other text"] == "outside: outside the elements the catalog's `select` names"
    assert got["An advert"] == "catalog: removed by the catalog's `remove` selectors"
    assert found.method == "select"


def test_a_page_with_no_legal_text_is_explained_not_raised() -> None:
    cookie = (
        "<div role='dialog'><h2>Your cookie choices</h2><p>We and our partners use cookies.</p>"
        "<button>Accept</button></div>"
    )
    found = explain(f"<body>{cookie}</body>")
    assert found.clauses == ()
    assert found.error is not None and "consent dialog" in found.error
    assert any(d.reason.startswith("consent dialog") for d in found.dropped)
    suspect = explain(
        "<html><head><title>404 Not Found</title></head><body><p>Not found</p></body>"
    )
    assert suspect.reason == "suspect" and suspect.error is not None


def test_a_nested_drop_counts_the_text_of_what_it_held() -> None:
    """<header> and the <nav> inside it are both furniture: the header is listed once, with
    the nav's text."""
    found = explain(PAGE)
    header = [d for d in found.dropped if d.where == "body > header"]
    assert len(header) == 1 and header[0].chars == len("HomeAbout")
    assert not any(d.where.endswith("> nav") for d in found.dropped)


def stored(tmp_path: Path) -> Store:
    store = Store(LocalBackend(tmp_path / "store"))
    record_capture(store, target("acme-privacy"), capture(PAGE.encode()))
    record_capture(store, target("acme-privacy"), capture(page("Changed text."), minutes=5))
    return store


def test_explain_a_stored_version(tmp_path: Path) -> None:
    store = stored(tmp_path)
    _, number, found = explain_version(store, "acme-privacy", "1")
    assert number == 1 and "Sidebar" in reasons(found)
    _, latest, found = explain_version(store, "acme-privacy")
    assert latest == 2 and [c.text for c in found.clauses] == ["Privacy Policy", "Changed text."]
    # a selector to try before putting it in the catalog
    _, _, tried = explain_version(store, "acme-privacy", "1", select=["aside"])
    assert [c.text for c in tried.clauses] == ["Sidebar"]


def test_explain_command(tmp_path: Path) -> None:
    stored(tmp_path)
    where = str(tmp_path / "store")
    result = runner.invoke(app, ["explain", "acme-privacy", "--version", "1", "--store", where])
    assert result.exit_code == 0, result.output
    assert "acme-privacy version 1" in result.output
    assert "consent dialog (never the document)" in result.output
    assert "volatile: clause 2 keeps '3 days ago'" in result.output
    result = runner.invoke(app, ["explain", "acme-privacy", "--store", where, "--json"])
    data = json.loads(result.output)
    assert data["page"].startswith("acme-privacy version 2") and data["error"] is None
    saved = tmp_path / "page.html"
    saved.write_text(PAGE)
    result = runner.invoke(app, ["explain", "--file", str(saved), "--clauses"])
    assert result.exit_code == 0 and "Terms of Service" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "name a DOCUMENT"),
        (["acme-privacy", "--file", "x.html"], "name a DOCUMENT"),
        (["--file", "x.html", "--version", "1"], "--version names a stored version"),
        (["--file", "missing.html"], "cannot read missing.html"),
        (["nobody"], "nobody"),
        (["acme-privacy", "--version", "9"], "has no version '9'"),
    ],
)
def test_explain_command_errors_name_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    stored(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["explain", *args, "--store", str(tmp_path / "store")])
    assert result.exit_code == 2
    assert message in result.output


def test_a_hidden_block_holding_a_comment_is_explained() -> None:
    """Found on a real page: the comment inside a dropped block is not an element."""
    found = explain(
        f"<body><div hidden><!-- c --><p>Hidden text</p></div><main>{POLICY}</main></body>"
    )
    assert [d.text for d in found.dropped] == ["Hidden text"]


@pytest.mark.parametrize("selector", ["a|b", "div " * 3000, "::::"])
def test_a_selector_that_cannot_run_is_an_extraction_error_not_a_traceback(selector: str) -> None:
    """Found by a breaker: cssselect refuses "a|b" only when it runs (XPathEvalError), and
    recurses on very long selectors."""
    from clausewatch.errors import ExtractionError

    with pytest.raises(ExtractionError, match="invalid CSS selector"):
        extract(PAGE, select=[selector])
    with pytest.raises(ExtractionError, match="invalid CSS selector"):
        extract(PAGE, remove=[selector])


def test_explain_refuses_an_invalid_selector_with_exit_2(tmp_path: Path) -> None:
    saved = tmp_path / "page.html"
    saved.write_text(PAGE)
    for option in ("--select", "--remove"):
        result = runner.invoke(app, ["explain", "--file", str(saved), option, "a|b"])
        assert result.exit_code == 2 and "invalid CSS selector 'a|b'" in result.output


def test_a_remove_selector_matching_the_container_removes_nothing_and_says_so() -> None:
    """Found by a breaker: explain listed the container as removed while its text was kept."""
    found = explain(PAGE, remove=["main"])
    assert found.clauses == extract(PAGE).clauses
    assert not any(d.step == "catalog" for d in found.dropped)
    selected = explain(PAGE, select=["main"], remove=["main"])
    assert selected.clauses and not any(d.step == "catalog" for d in selected.dropped)


def test_a_hidden_body_is_not_listed_as_dropped_when_its_text_is_kept() -> None:
    html = f"<html><body style='display:none'><main>{POLICY}</main></body></html>"
    found = explain(html)
    assert found.clauses == extract(html).clauses and found.clauses
    assert not any(d.where == "body" for d in found.dropped)
