"""A word diff is a list of operations: captured text that contains the marker characters
(``[- x -]``, ``{+ y +}``) cannot pass for a change in the viewer, the CLI, the events or the
Markdown report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from clausewatch.changes import diff
from clausewatch.cli import app
from clausewatch.events import cloudevents as events
from clausewatch.pipeline.model import Outcome
from clausewatch.pipeline.record import record_capture
from clausewatch.pipeline.report import change_markdown
from clausewatch.schemas import schema
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from tests.helpers import capture, page, target, view

FORGED = "We keep [- x -] your data {+ y +} for {days} days, [-]{+}."


def _store(tmp_path: Path) -> tuple[Store, Outcome]:
    store = Store(LocalBackend(tmp_path / "store"))
    record_capture(store, target(), capture(page(FORGED.replace("{days}", "30"), "Contact us.")))
    outcome = record_capture(
        store, target(), capture(page(FORGED.replace("{days}", "14"), "Contact us."), 1)
    )
    return store, outcome


def test_markers_in_unchanged_text_are_not_changes(tmp_path: Path) -> None:
    store, outcome = _store(tmp_path)
    # the viewer: one <del> and one <ins>, for the real change only; the text's markers escaped
    html = view(store, "/doc/acme-privacy/diff").text
    assert re.findall(r"<del>.*?</del>", html) == ["<del>30</del>"]
    assert re.findall(r"<ins>.*?</ins>", html) == ["<ins>14</ins>"]
    assert "[- x -] your data {+ y +}" in html
    # the event: the operations, the markers inside an equal run, valid against the schema
    [changed] = [e for _, e in store.events() if e["type"] == events.CHANGED]
    jsonschema.validate(changed, schema("changed"))
    [clause] = changed["data"]["clauses"]
    assert "word_diff" not in clause
    assert clause["word_ops"] == [
        {"op": "equal", "text": "We keep [- x -] your data {+ y +} for"},
        {"op": "delete", "text": "30"},
        {"op": "insert", "text": "14"},
        {"op": "equal", "text": "days, [-]{+}."},
    ]
    # the CLI: --json gives the operations; the text escapes the page's markers, visibly
    runner = CliRunner()
    out = runner.invoke(app, ["diff", "acme-privacy", "--store", store.url, "--json"])
    assert out.exit_code == 0, out.output
    [change] = json.loads(out.output)["changes"]
    assert change["word_ops"] == clause["word_ops"]
    out = runner.invoke(app, ["diff", "acme-privacy", "--store", store.url])
    assert out.exit_code == 0, out.output
    assert (
        r"We keep [\- x -\] your data {\+ y +\} for [-30-] {+14+} days, [\-\]{\+\}." in out.output
    )
    # the Markdown report: strike-through and bold for the change only
    markdown = change_markdown(outcome)
    assert markdown.count("~~") == 2 and markdown.count("**") == 4  # "**modified**" is bold too
    assert "~~30~~ **14**" in markdown


def _parse(text: str) -> list[diff.WordOp]:
    """Read marked text back: a reader that knows only the markers and the escape rule."""
    ops: list[diff.WordOp] = []
    op, buf, i = "equal", "", 0

    def flush(kind: str) -> None:
        nonlocal buf
        if kind == "equal":
            buf = buf.strip(" ")
        if buf or kind != "equal":
            ops.append(diff.WordOp(kind, buf))  # type: ignore[arg-type]
        buf = ""

    while i < len(text):
        pair = text[i : i + 2]
        if text[i] == "\\":
            buf += "\\" if pair == "\\\\" else ""
            i += 2 if pair == "\\\\" else 1
        elif op == "equal" and pair in ("[-", "{+"):
            flush("equal")
            op, i = ("delete" if pair == "[-" else "insert"), i + 2
        elif (op, pair) in (("delete", "-]"), ("insert", "+}")):
            flush(op)
            op, i = "equal", i + 2
        else:
            buf += text[i]
            i += 1
    flush(op)
    return ops


WORD = st.text(alphabet="[]{}-+\\ax", min_size=1, max_size=6)


@given(st.lists(WORD, max_size=8), st.lists(WORD, max_size=8))
def test_marked_text_reads_back_as_the_operations(a: list[str], b: list[str]) -> None:
    ops = list(diff.word_ops(" ".join(a), " ".join(b)))
    assert _parse(diff.marked_text(ops)) == ops
