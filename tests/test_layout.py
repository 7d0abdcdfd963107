"""The store's layout lives in storage/layout.py: its keys, the README's table, the backends'
rules about directories and write-once areas all come from it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clausewatch.errors import InputError
from clausewatch.storage import layout
from clausewatch.storage.local import misplaced_directory

README = Path(__file__).resolve().parents[1] / "README.md"
H = "ab" + "0" * 62
AT = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)


def _pattern(area: layout.Area) -> re.Pattern[str]:
    """An area's documented key as a regular expression (each <...> is one name)."""
    parts = re.split(r"(<[^>]+>)", area.key)
    return re.compile("".join("[^/]+" if p.startswith("<") else re.escape(p) for p in parts))


KEYS = [
    layout.blob(H),
    layout.manifest(H),
    layout.head("acme-terms"),
    layout.check("acme-terms", AT, H),
    layout.latest_check("acme-terms"),
    layout.event(7),
    layout.event_id("e1"),
    layout.EVENT_CURSOR,
    layout.event_day(AT.date()),
    layout.seal(AT),
    layout.reextract("acme-terms", H),
    layout.failure("acme-terms"),
    layout.held("acme-terms"),
    layout.wayback_entry("acme-terms", H),
    layout.wayback_done("acme-terms", H),
    layout.wayback_attestation(H),
    layout.WAYBACK_PAUSED,
    layout.webhook("hook", "state.json"),
    layout.webhook("hook", "dead/000000000001.json"),
]


def test_the_readme_table_is_the_layout() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- layout:begin -->\n(.*?)<!-- layout:end -->", text, re.S)
    assert found, "README.md lost its <!-- layout:begin/end --> markers"
    assert found.group(1) == layout.markdown_table(), "regenerate: layout.markdown_table()"


def test_every_key_is_of_exactly_one_documented_area() -> None:
    for key in KEYS:
        areas = [a.key for a in layout.AREAS if _pattern(a).fullmatch(key)]
        assert len(areas) == 1, (key, areas)
    assert len(KEYS) == len(layout.AREAS)


def test_no_key_of_an_area_is_taken_for_a_directory() -> None:
    for key in KEYS:
        assert misplaced_directory(key), key  # a directory there stands where a file belongs
        for i in range(1, key.count("/") + 1):  # and the directories above it are the layout's
            assert not misplaced_directory(key.rsplit("/", i)[0]), key


def test_held_captures_are_part_of_the_layout_a_local_store_checks() -> None:
    """Regression: held/ was missing from the local backend's own list of areas."""
    assert "held" in layout.TOP_LEVEL
    assert misplaced_directory("held/acme-terms.json") and not misplaced_directory("held")


def test_keys_refuse_names_that_are_not_ids() -> None:
    for bad in ("../x", "A", "a/b", "a\n"):
        with pytest.raises(InputError, match="invalid document id"):
            layout.head(bad)
    with pytest.raises(InputError, match="invalid event id"):
        layout.event_id("../x")
    assert layout.head_document(layout.head("acme-terms")) == "acme-terms"
    assert layout.head_document("heads/Bad Name.json") is None
    assert layout.event_cursor(layout.event(42)) == 42


def test_checks_sort_by_time_in_their_names() -> None:
    later = layout.check("acme-terms", AT.replace(year=2027), H)
    assert layout.check("acme-terms", AT, H) < later
    assert layout.CHECK_NAME.fullmatch(later.rsplit("/", 1)[1])
