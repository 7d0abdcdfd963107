"""The viewer's timeline (issue 17): one mark per version, height the words changed, colour
the class, each linked to its diff; an inline SVG drawn by an autoescaped template, no script."""

from __future__ import annotations

import re
from pathlib import Path

from clausewatch.changes.diff import diff_clauses
from clausewatch.extractors import Clause
from clausewatch.pipeline.record import record_capture
from clausewatch.storage import layout as store_layout
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from clausewatch.web.timeline import HEIGHT, MAX_MARKS, Mark, clause_words, layout, words_changed
from tests.helpers import capture, page, target, view


def test_marks_are_scaled_by_the_words_changed_and_link_to_their_diff() -> None:
    marks = [
        Mark(1, "first", 100, None),
        Mark(2, "cosmetic", 0, "/d?new=2"),
        Mark(3, "substantive", 1, "/d?new=3"),
    ]
    chart = layout(marks, "3 version(s)")
    assert chart is not None and chart["omitted"] == 0
    heights = [b["height"] for b in chart["bars"]]
    assert heights[0] == HEIGHT and heights[1] == 2 and 3 <= heights[2] < HEIGHT
    assert [b["href"] for b in chart["bars"]] == [None, "/d?new=2", "/d?new=3"]
    assert chart["bars"][2]["colour"] != chart["bars"][1]["colour"]
    assert layout([], "none") is None
    many = layout([Mark(v, "substantive", v, None) for v in range(1, MAX_MARKS + 11)], "many")
    assert many is not None and len(many["bars"]) == MAX_MARKS and many["omitted"] == 10


def test_words_changed_counts_rewritten_added_and_removed_words() -> None:
    old = [Clause("paragraph", "we keep data for 30 days"), Clause("paragraph", "gone clause here")]
    new = [Clause("paragraph", "we keep data for 60 days"), Clause("paragraph", "a new one")]
    assert words_changed(diff_clauses(old, old)) == 0
    assert words_changed(diff_clauses(old, new)) == 2 + 3 + 3  # 30 -> 60, one removed, one added
    assert clause_words("a b c", "a x c") == 2 and clause_words(None, "a b") == 2
    assert clause_words("same", "same") == 0


def _history(tmp_path: Path) -> Store:
    store = Store(LocalBackend(tmp_path / "store"))
    t = target()
    for n, words in enumerate(
        (
            "We keep data for 30 days.",
            "We keep data for 60 days.",
            "We keep data for 90 days, then delete it.",
        )
    ):
        record_capture(store, t, capture(page(words, "You may opt out."), n * 60))
    return store


def test_the_document_and_clause_pages_draw_the_history(tmp_path: Path) -> None:
    store = _history(tmp_path)
    html = view(store, "/doc/acme-privacy").text
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count("<rect") == 3 and "<script" not in html
    assert (
        "href='/doc/acme-privacy/diff?new=2'" in svg
        and "href='/doc/acme-privacy/diff?new=3'" in svg
    )
    assert "version 3: substantive, 7 word(s) changed" in svg  # "60 days." for 5 words
    # every version but the first links to its diff in the table too
    assert len(re.findall(r"href='/doc/acme-privacy/diff\?new=\d'>diff<", html)) == 2
    clause = view(store, "/doc/acme-privacy/clause/c2").text
    marks = clause[clause.index("<svg") : clause.index("</svg>")]
    assert marks.count("<rect") == 3 and "version 2: substantive, 2 word(s) changed" in marks
    opt = view(store, "/doc/acme-privacy/clause/c3").text  # never changed: low marks only
    assert "version 3: unchanged, 0 word(s) changed" in opt


def test_a_version_that_does_not_verify_is_drawn_damaged_and_the_page_still_shows(
    tmp_path: Path,
) -> None:
    store = _history(tmp_path)
    head, _ = store.head("acme-privacy")
    assert head is not None
    store.backend.overwrite(store_layout.blob(head.content_hash), b"tampered")
    response = view(store, "/doc/acme-privacy")
    assert response.status_code == 200 and "FAILED" in response.text
    assert "version 3: damaged" in response.text
