"""The content-collapse guard and `clausewatch accept` (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.errors import ConflictError, InputError
from clausewatch.events import cloudevents as events
from clausewatch.extractors import extract
from clausewatch.pipeline.collapse import collapse_reason, get_held
from clausewatch.pipeline.record import accept_held, record_capture
from clausewatch.storage.store import Store
from tests.helpers import capture, target, validate

runner = CliRunner()

SECTIONS = [
    f"<h2>Section {n}</h2><p>We {verb} the {thing} you give us for {purpose}, and keep it "
    f"for {n} months unless you ask us to {action} it sooner.</p>"
    for n, (verb, thing, purpose, action) in enumerate(
        [
            ("collect", "name", "your account", "delete"),
            ("use", "e-mail address", "notices", "erase"),
            ("share", "payment data", "billing", "remove"),
            ("store", "location", "safety", "forget"),
            ("process", "messages", "moderation", "destroy"),
            ("analyse", "usage", "improvements", "drop"),
            ("transfer", "profile", "partners", "purge"),
            ("retain", "photos", "matching", "discard"),
        ],
        start=1,
    )
]


def policy(sections: list[str]) -> bytes:
    return f"<html><body><main><h1>Privacy policy</h1>{''.join(sections)}</main></body></html>".encode()


FULL = policy(SECTIONS)
STUB = b"<html><body><main><h1>Welcome</h1><p>Book an appointment with a doctor near you today.</p></main></body></html>"
OTHER = policy([s.replace("months", "weeks") for s in SECTIONS])


def test_the_guard_holds_a_capture_that_lost_most_of_the_text() -> None:
    full, stub = extract(FULL), extract(STUB)
    why = collapse_reason(full.clauses, len(full.canonical), stub)
    assert why is not None and "keeps 0% of the previous version's" in why
    # the same text shortened by half keeps its words: a real change, never held
    half = extract(policy(SECTIONS[:5]))
    assert collapse_reason(full.clauses, len(full.canonical), half) is None
    # a translation keeps the size of the text
    translated = extract(policy([s.upper().replace("WE ", "NOUS ") for s in SECTIONS]))
    assert collapse_reason(full.clauses, len(full.canonical), translated) is None
    # a short policy is never held back
    short = extract(policy(SECTIONS[:1]))
    assert collapse_reason(short.clauses, len(short.canonical), stub) is None


def test_a_collapse_is_an_extraction_failed_event_and_the_recovery_is_compared_with_the_last_good(
    store: Store,
) -> None:
    t = target()
    first = record_capture(store, t, capture(FULL))
    held = record_capture(store, t, capture(STUB, 1))
    assert (held.status, held.error_type) == ("error", "extraction")
    assert held.event is not None and held.event["type"] == events.EXTRACTION_FAILED
    assert held.event["data"]["reason"] == "suspect"
    assert "clausewatch accept acme-privacy" in held.event["data"]["error"]
    validate(held.event)
    head, _ = store.head("acme-privacy")
    assert head is not None and head.manifest == first.manifest
    # the held capture is kept as evidence, verified on read
    kept, _ = get_held(store, "acme-privacy")
    assert store.get_blob(kept.blobs["response"].sha256) == STUB
    back = record_capture(store, t, capture(FULL, 2))
    assert back.status == "unchanged" and back.manifest == first.manifest


def test_an_operator_accepts_a_real_rewrite_that_the_guard_held_back(store: Store) -> None:
    t = target()
    first = record_capture(store, t, capture(FULL))
    record_capture(store, t, capture(STUB, 1))
    accepted = accept_held(store, "acme-privacy")
    assert accepted.status == "changed" and accepted.change_class == "substantive"
    assert accepted.version == 2 and accepted.previous_manifest == first.manifest
    assert accepted.event is not None and accepted.event["type"] == events.CHANGED
    manifest = store.get_manifest(accepted.manifest or "")
    assert store.get_blob(manifest.blobs["response"].sha256) == STUB
    with pytest.raises(InputError, match="accepted already"):
        accept_held(store, "acme-privacy")
    # once accepted, the new text is the head: the next capture of it is unchanged
    assert record_capture(store, t, capture(STUB, 2)).status == "unchanged"


def test_a_held_capture_cannot_be_accepted_once_the_page_was_checked_or_recorded_since(
    store: Store,
) -> None:
    t = target()
    record_capture(store, t, capture(FULL))
    with pytest.raises(InputError, match="no capture is held back"):
        accept_held(store, "acme-privacy")
    record_capture(store, t, capture(STUB, 1))
    record_capture(store, t, capture(FULL, 2))  # checked: the page shows the recorded text
    with pytest.raises(InputError, match="checked since"):
        accept_held(store, "acme-privacy")
    record_capture(store, t, capture(STUB, 3))
    record_capture(store, t, capture(OTHER, 4))  # a new version
    with pytest.raises(InputError, match="a version was recorded since"):
        accept_held(store, "acme-privacy")


def test_accept_refuses_when_the_head_moves_while_it_records(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that records a version between the check and the recording wins: the held
    capture is not put on top of it."""
    import clausewatch.pipeline.record as record

    t = target()
    record_capture(store, t, capture(FULL))
    record_capture(store, t, capture(STUB, 1))
    monkeypatch.setattr(record, "stale_reason", lambda store, held: None)
    record_capture(store, t, capture(OTHER, 2))
    with pytest.raises(ConflictError, match="nothing to accept"):
        accept_held(store, "acme-privacy")


def test_accept_command(tmp_path: Path) -> None:
    from clausewatch.storage.local import LocalBackend

    store = Store(LocalBackend(tmp_path / "store"))
    t = target()
    record_capture(store, t, capture(FULL))
    record_capture(store, t, capture(STUB, 1))
    where = str(tmp_path / "store")
    result = runner.invoke(app, ["accept", "acme-privacy", "--store", where, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["version"] == 2
    result = runner.invoke(app, ["accept", "acme-privacy", "--store", where])
    assert result.exit_code == 2 and "accepted already" in result.output
    result = runner.invoke(app, ["accept", "nobody", "--store", where])
    assert result.exit_code == 2 and "nobody: no capture is held back" in result.output


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"blobs": {}}, "names no HTTP body"),
        (
            {"document": {"id": "other-doc", "url": "https://x.example/"}},
            "names document 'other-doc'",
        ),
        ({"url": "javascript:alert(1)"}, "must be an absolute http:// or https:// URL"),
        ({"captured_at": "2099-01-01T00:00:00Z"}, "is in the future"),
    ],
)
def test_a_damaged_held_record_is_refused_and_nothing_is_recorded(
    tmp_path: Path, change: dict[str, object], problem: str
) -> None:
    """Found by a breaker: a held record without its body crashed accept, one naming another
    document recorded that document, and one with a future time wedged the history."""
    from clausewatch.storage.local import LocalBackend

    store = Store(LocalBackend(tmp_path / "store"))
    t = target()
    first = record_capture(store, t, capture(FULL))
    record_capture(store, t, capture(STUB, 1))
    path = tmp_path / "store" / "held" / "acme-privacy.json"
    record = json.loads(path.read_text())
    record.update(change)
    path.write_text(json.dumps(record))
    with pytest.raises(InputError, match=f"damaged.*{problem}"):
        accept_held(store, "acme-privacy")
    head, _ = store.head("acme-privacy")
    assert head is not None and head.manifest == first.manifest
    assert store.documents() == ["acme-privacy"]


def test_verify_checks_the_held_captures(tmp_path: Path) -> None:
    """Found by a breaker: a damaged held record, or its deleted body, went unnoticed."""
    from clausewatch.storage.local import LocalBackend
    from clausewatch.storage.verify import verify_store

    store = Store(LocalBackend(tmp_path / "store"))
    t = target()
    record_capture(store, t, capture(FULL))
    record_capture(store, t, capture(STUB, 1))
    assert verify_store(store).ok
    held, _ = get_held(store, "acme-privacy")
    body = held.blobs["response"].sha256
    (tmp_path / "store" / "blobs" / body[:2] / body).unlink()
    problems = verify_store(store).problems
    assert any(p.kind == "missing" and "held capture" in p.detail for p in problems)
    (tmp_path / "store" / "held" / "acme-privacy.json").write_text("{bad")
    problems = verify_store(store).problems
    assert any(p.kind == "invalid" and p.key == "held/acme-privacy.json" for p in problems)
