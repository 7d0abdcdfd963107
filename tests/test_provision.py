"""A provision's timeline: one clause followed through a document's versions (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.errors import InputError, IntegrityError
from clausewatch.evidence.provision import render, timeline
from clausewatch.pipeline.record import record_capture
from clausewatch.storage import layout
from clausewatch.storage.store import Store
from tests.helpers import capture, page, target

runner = CliRunner()
DAY = 24 * 60
OPT_OUT = "You may opt out of training on your data at any time."
KEEP = "We keep account data for 30 days."
SHARE = "We never sell your data."
# version by version: the opt-out clause is reworded twice (v2, v4), then removed (v5); the
# other clauses change around it (v3), so a version is not the same as a change of the clause
VERSIONS = [
    (KEEP, OPT_OUT, SHARE),
    (KEEP, OPT_OUT.replace("at any time", "at any time, in your settings"), SHARE),
    (
        KEEP.replace("30", "60"),
        OPT_OUT.replace("at any time", "at any time, in your settings"),
        SHARE,
    ),
    (KEEP.replace("30", "60"), OPT_OUT.replace("You may", "Adults may"), SHARE),
    (KEEP.replace("30", "60"), SHARE),
]


@pytest.fixture
def history(store: Store, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Store:
    if store.url.startswith("s3://"):  # the CLI reaches moto as users reach MinIO
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", request.getfixturevalue("moto_endpoint"))
    t = target()
    for n, paragraphs in enumerate(VERSIONS):
        record_capture(store, t, capture(page(*paragraphs), minutes=n * 40 * DAY))
    return store


def test_a_clause_timeline_lists_each_wording_with_its_versions_and_diff(history: Store) -> None:
    record = timeline(history, "acme-privacy", "c3")
    assert record["record_id"] == "acme-privacy#c3"
    assert [(w["version"], w["until_version"]) for w in record["wordings"]] == [
        (1, 1),
        (2, 3),
        (4, 4),
    ]
    assert (record["changes"], record["stability"], record["present"]) == (2, "changed", False)
    assert record["removed_in_version"] == 5 and record["versions_seen"] == 4
    first, second, third = record["wordings"]
    assert first["text"] == OPT_OUT and first["word_diff"] is None
    assert (
        second["marked"]
        == ("You may opt out of training on your data at any {+time, in your settings.+} [-time.-]")
        or "{+" in second["marked"]
    )
    assert {"op": "insert", "text": "Adults"} in third["word_diff"]
    assert all(w["hash_verified"] and len(w["text_sha256"]) == 64 for w in record["wordings"])
    # first seen at the first capture, last seen at the last version holding it (day 120)
    assert (record["first_seen"], record["last_seen"], record["months_monitored"]) == (
        "2026-01-01T00:00:00Z",
        "2026-05-01T00:00:00Z",
        4,
    )


def test_a_clause_that_never_changed_is_stable_and_present(history: Store) -> None:
    record = timeline(history, "acme-privacy", "acme-privacy#c4")  # the record id works too
    assert (record["changes"], record["stability"], record["present"]) == (0, "stable", True)
    assert [(w["version"], w["until_version"]) for w in record["wordings"]] == [(1, 5)]
    # a clause changed in v3 and never again: one change, still there
    keep = timeline(history, "acme-privacy", "c2")
    assert (keep["changes"], keep["present"], keep["removed_in_version"]) == (1, True, None)


def test_an_unknown_clause_or_document_is_a_clear_error(history: Store) -> None:
    with pytest.raises(InputError, match="acme-privacy has no clause 'c99' in any of its 5"):
        timeline(history, "acme-privacy", "c99")
    with pytest.raises(InputError, match="no document 'nope'"):
        timeline(history, "nope", "c1")
    out = runner.invoke(app, ["clause", "acme-privacy", "c99", "--store", history.url])
    assert out.exit_code == 2 and "has no clause 'c99'" in out.output
    assert "Traceback" not in out.output
    bad = runner.invoke(
        app, ["clause", "acme-privacy", "c3", "--store", history.url, "--format", "x"]
    )
    assert bad.exit_code == 2 and "use text, md or json" in bad.output


def test_the_cli_prints_text_markdown_and_json(history: Store) -> None:
    base = ["clause", "acme-privacy", "c3", "--store", history.url]
    text = runner.invoke(app, base)
    assert text.exit_code == 0, text.output
    assert "2 change(s), changed" in text.output and "removed in version 5" in text.output
    assert "versions 2-3" in text.output and "{+Adults+}" in text.output
    md = runner.invoke(app, [*base, "--format", "md"]).output
    assert md.startswith("# acme\\-privacy\\#c3") and "## versions 2-3, reworded, captured" in md
    data = json.loads(runner.invoke(app, [*base, "--json"]).output)
    assert data == json.loads(runner.invoke(app, [*base, "--format", "json"]).output)
    assert data["clause_id"] == "c3" and len(data["wordings"]) == 3


def test_a_tampered_version_is_never_part_of_a_timeline(history: Store) -> None:
    """Every version's text is read back with its hash checked, and each wording's snapshot."""
    head, _ = history.head("acme-privacy")
    assert head is not None
    manifest = history.get_manifest(head.manifest)
    history.backend.overwrite(layout.blob(manifest.content_hash), b"tampered")
    with pytest.raises(IntegrityError):
        timeline(history, "acme-privacy", "c4")
    out = runner.invoke(app, ["clause", "acme-privacy", "c4", "--store", history.url])
    assert out.exit_code != 0 and manifest.content_hash[:12] in out.output


def test_hostile_clause_text_cannot_drive_the_terminal_or_the_markdown(store: Store) -> None:
    hostile = "Opt out [here](javascript:alert(1)) \x1b[2J<b>now</b> \u202etxt"
    t = target()
    record_capture(store, t, capture(page(hostile)))
    record = timeline(store, "acme-privacy", "c2")
    text = render(record, "text")
    assert "\x1b" not in text and "\u202e" not in text
    md = render(record, "md")
    assert "<b>" not in md and "](javascript" not in md


def test_every_version_a_wording_lasted_through_is_re_hashed(history: Store) -> None:
    """Found by an outside check: only the first version of a span had its snapshot checked,
    and the span still said verified."""
    record = timeline(history, "acme-privacy", "c4")
    assert [v["version"] for v in record["wordings"][0]["versions"]] == [1, 2, 3, 4, 5]
    head, _ = history.head("acme-privacy")
    assert head is not None
    latest = history.get_manifest(head.manifest)
    history.backend.overwrite(layout.blob(latest.blobs["response"].sha256), b"tampered")
    with pytest.raises(IntegrityError):
        timeline(history, "acme-privacy", "c4")


def test_a_move_and_a_change_of_form_are_entries_but_not_changes(store: Store) -> None:
    """Found by an outside check: a clause moved under another heading kept its old heading,
    and a change of case and punctuation counted as a change."""
    t = target()
    texts = [
        "<h2>Privacy</h2><p>We keep data for ninety days and then delete it.</p><h2>Payments</h2><p>Pay monthly.</p>",
        "<h2>Privacy</h2><p>Other text here.</p><h2>Payments</h2><p>Pay monthly.</p><p>We keep data for ninety days and then delete it.</p>",
        "<h2>Privacy</h2><p>Other text here.</p><h2>Payments</h2><p>Pay monthly.</p><p>We keep data for Ninety days, and then delete it</p>",
    ]
    for n, body in enumerate(texts):
        html = f"<html><body><main><h1>Terms</h1>{body}</main></body></html>".encode()
        record_capture(store, t, capture(html, n * DAY))
    record = timeline(store, "acme-privacy", "c3")
    assert [(w["change"], w["path"][-1]) for w in record["wordings"]] == [
        ("first", "Privacy"),
        ("moved", "Payments"),
        ("cosmetic", "Payments"),
    ]
    assert (record["changes"], record["stability"]) == (0, "stable")


def test_last_seen_trusts_only_check_records_that_verify(history: Store) -> None:
    """Found by an outside check: an edited check record moved "last seen" to 2099."""
    t = target()
    record_capture(history, t, capture(page(*VERSIONS[-1]), 300 * DAY))  # a check, no version
    key = next(iter(history.backend.list(layout.checks("acme-privacy"))))
    data = history.backend.read(key).replace(b"2026-", b"2099-")
    history.backend.overwrite(key, data)
    with pytest.raises(IntegrityError, match="check record"):
        timeline(history, "acme-privacy", "c4")


def test_clause_ids_are_read_as_people_type_them(history: Store) -> None:
    assert timeline(history, "acme-privacy", "C04")["clause_id"] == "c4"
    with pytest.raises(InputError) as caught:
        timeline(history, "acme-privacy", "x" * 5000)
    assert len(str(caught.value)) < 600 and "--store" in str(caught.value)
    both = runner.invoke(
        app, ["clause", "acme-privacy", "c4", "--store", history.url, "--json", "--format", "md"]
    )
    assert both.exit_code == 2 and "say different things" in both.output


def test_json_output_escapes_bidi_overrides(store: Store) -> None:
    from clausewatch.pipeline.model import Target
    from clausewatch.storage.models import DocumentRef

    ref = DocumentRef(id="acme-privacy", url="https://acme.example/p", title="T\u202eerms")
    record_capture(store, Target(ref=ref), capture(page("We keep data.")))
    out = render(timeline(store, "acme-privacy", "c2"), "json")
    assert "\u202e" not in out and "\\u202e" in out


def test_markdown_keeps_apostrophes_readable(store: Store) -> None:
    """Found by an outside check: every apostrophe came out as `&\\#x27;`."""
    record_capture(store, target(), capture(page("We don't sell your data.")))
    md = render(timeline(store, "acme-privacy", "c2"), "md")
    assert "We don't sell your data." in md and "x27" not in md


def test_an_output_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """Found by an outside check: `clause ... > /dev/full` ended in a traceback."""
    import subprocess
    import sys

    from clausewatch.storage.local import LocalBackend

    local = Store(LocalBackend(tmp_path / "store"))
    record_capture(local, target(), capture(page(KEEP, OPT_OUT)))
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "clausewatch.cli",
                "clause",
                "acme-privacy",
                "c2",
                "--store",
                local.url,
                "--json",
            ],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "No space left on device" in done.stderr
