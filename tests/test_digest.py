"""The digest counts documents only, and prints no control characters or live Markdown."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.events import cloudevents as events
from clausewatch.evidence.seal import seal
from clausewatch.markdown import code, md
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from tests.helpers import T0, capture, page, target, validate

runner = CliRunner()
SINCE = "2000-01-01"
# anything a terminal or a bidi-aware viewer acts on, but the newline between lines
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def digest(store: Store, *args: str) -> str:
    result = runner.invoke(app, ["digest", "--store", store.url, "--since", SINCE, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_seal_is_not_a_document(tmp_path: Path) -> None:
    store = Store(LocalBackend(tmp_path / "store"))
    record_capture(store, target("acme-terms"), capture(page("One.")))
    seal(store, T0.replace(minute=5))
    summary = json.loads(digest(store, "--format", "json"))
    assert summary["documents"] == 1
    assert list(summary["entities"]) == ["Acme"]
    assert [(e["type"], e["subject"]) for e in summary["other_events"]] == [
        (events.SEALED, "store")
    ]
    text = digest(store, "--emit")
    assert "across 1 document(s)" in text and "(no entity)" not in text
    assert "## Other events" in text and "dev.clausewatch.store.sealed (`store`)" in text
    assert "(no entity)" not in digest(store, "--format", "html")
    [event] = [e for _, e in store.events() if e["type"] == events.DIGEST]
    validate(event)
    assert event["data"]["documents"] == 1 and list(event["data"]["entities"]) == ["Acme"]


def test_markdown_digest_neutralises_control_characters_and_markdown(tmp_path: Path) -> None:
    store = Store(LocalBackend(tmp_path / "store"))
    t = target("acme-terms")
    title = "Acme \x1b[31mTerms\x1b[0m\x07 \x9b2J\r\n\u202etxt.exe [x](javascript:alert(1)) <b>"
    t = type(t)(ref=t.ref.model_copy(update={"title": title}))
    record_capture(store, t, capture(page("One.")))
    record_capture(store, t, capture(page("One.", "Two."), 1))
    for args in ((), ("--format", "html")):
        out = digest(store, *args)
        assert not UNSAFE.search(out), repr(out)
    text = digest(store)
    line = next(x for x in text.splitlines() if "Terms" in x)
    assert line.startswith("- **Acme \ufffd\\[31mTerms\ufffd\\[0m\ufffd \ufffd2J  \ufffdtxt.exe")
    assert "](javascript" not in line and "\\[x\\]\\(javascript:alert\\(1\\)\\)" in line
    assert "<b>" not in line and "&lt;b&gt;" in line
    assert "(`acme-terms`)" in line  # a code span shows its text as it is: no "acme\-terms"


def test_code_span_fences_backticks() -> None:
    assert code("a-b_c") == "`a-b_c`"
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code("a\x1bb\nc") == "`a\ufffdb c`"
    assert md("a\tb\u2028c\x85") == "a b c\ufffd"
