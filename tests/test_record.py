"""Recording captures: versions, checks, failures and events, on both backends."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from clausewatch.errors import FetchError
from clausewatch.events import cloudevents as events
from clausewatch.pipeline.record import record_capture, record_failure
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from tests.helpers import T0, _delete, capture, page, target, validate


def test_first_changed_unchanged(store: Store) -> None:
    t = target()
    first = record_capture(store, t, capture(page("We keep data for 30 days.", "Contact us.")))
    assert (first.status, first.changed, first.version) == ("first", False, 1)
    changed = record_capture(store, t, capture(page("We keep data for 14 days.", "Contact us."), 1))
    assert (changed.status, changed.changed, changed.version) == ("changed", True, 2)
    assert changed.previous_manifest == first.manifest
    assert changed.diff is not None and changed.diff.counts["modified"] == 1
    assert changed.event is not None
    assert changed.event["data"]["clauses"][0]["word_ops"] == [
        {"op": "equal", "text": "We keep data for"},
        {"op": "delete", "text": "30"},
        {"op": "insert", "text": "14"},
        {"op": "equal", "text": "days."},
    ]
    same = record_capture(
        store, t, capture(page("We keep data for 14 days.", "Contact us.", noise="x"), 2)
    )
    assert (same.status, same.changed, same.manifest) == ("unchanged", False, changed.manifest)
    assert [e["type"] for _, e in store.events()] == [events.CAPTURED, events.CHANGED]


def test_every_logged_event_matches_its_schema(store: Store) -> None:
    t = target()
    record_capture(store, t, capture(page("One.")))
    record_capture(store, t, capture(page("One.", "Two."), 1))
    record_capture(store, t, capture(page("One."), 2))  # reverted
    record_capture(store, t, capture(page("One.", "Two."), 3))  # flapping
    record_capture(store, target(select=("#missing",)), capture(page("One."), 4))
    for minute in (5, 6):  # the alert comes with the second failure in a row
        error = FetchError("acme-privacy: HTTP 404 Not Found", status=404)
        record_failure(store, t, T0 + timedelta(minutes=minute), error)
    logged = [e for _, e in store.events()]
    # archived: see test_wayback; cosmetic, recovered, digest: test_event_model; sealed: test_seal
    elsewhere = {events.ARCHIVED, events.COSMETIC, events.RECOVERED, events.DIGEST, events.SEALED}
    assert {e["type"] for e in logged} == set(events.EVENT_TYPES) - elsewhere
    for event in logged:
        validate(event)


def test_selector_matching_nothing_is_an_extraction_failure_not_an_empty_document(
    store: Store,
) -> None:
    t = target()
    ok = record_capture(store, t, capture(page("Clause.")))
    failed = record_capture(store, target(select=("#policy",)), capture(page("Clause."), 1))
    assert failed.status == "error" and failed.error_type == "extraction"
    assert "acme-privacy" in (failed.error or "") and "#policy" in (failed.error or "")
    head, _ = store.head(t.ref.id)
    assert head is not None and head.manifest == ok.manifest  # history untouched


def test_empty_page_is_an_extraction_failure(store: Store) -> None:
    failed = record_capture(store, target(), capture(b""))
    assert failed.status == "error" and "empty" in (failed.error or "")
    assert store.head("acme-privacy") == (None, None)


def test_recording_again_never_makes_a_second_event(store: Store) -> None:
    t = target()
    record_capture(store, t, capture(page("A.")))
    out = record_capture(store, t, capture(page("B."), 1))
    assert out.event is not None
    # the same fact logged again (a retried task) keeps one entry
    assert store.append_event(out.event["id"], lambda c: events.encode(out.event or {}, c)) == 2
    assert len(list(store.events())) == 2


def test_event_id_is_derived_from_document_and_hashes(tmp_path: Path) -> None:
    """Two stores given the same captures give the same event ids; a new text, a new id."""
    ids = []
    for run in range(2):
        st = Store(LocalBackend(tmp_path / f"s{run}"))
        record_capture(st, target(), capture(page("A.")))
        out = record_capture(st, target(), capture(page("B."), 1))
        assert out.event is not None
        ids.append(out.event["id"])
        expected = events.event_id(
            events.CHANGED,
            "acme-privacy",
            out.previous_manifest,
            out.event["data"]["previous"]["content_hash"],
            out.content_hash,
        )
        assert out.event["id"] == expected
    assert ids[0] == ids[1]


def test_an_event_lost_in_a_crash_is_logged_by_the_next_check(store: Store) -> None:
    t = target()
    record_capture(store, t, capture(page("A.")))
    out = record_capture(store, t, capture(page("B."), 1))
    event_id = (out.event or {})["id"]
    # the state a crash leaves after the head moved and before the event was logged
    _delete(store, f"events/ids/{event_id}")
    _delete(store, "events/log/000000000002.json")
    store.backend.overwrite("events/cursor", b"1")
    assert event_id not in [e["id"] for _, e in store.events()]
    again = record_capture(store, t, capture(page("B."), 2))
    assert again.status == "unchanged"
    assert [e["id"] for _, e in store.events()][-1] == event_id


def test_fetch_failure_is_an_event_with_the_status(store: Store) -> None:
    outs = [
        record_failure(
            store,
            target(),
            T0 + timedelta(minutes=i),
            FetchError("acme-privacy: HTTP 410 Gone", status=410),
        )
        for i in range(2)  # two checks (one check retried counts once: tests/test_retries.py)
    ]
    assert all(o.status == "error" and o.error_type == "fetch" for o in outs)
    assert outs[0].event is None and outs[1].event is not None
    [(_, event)] = list(store.events())
    assert event["type"] == events.FETCH_FAILED and event["data"]["http_status"] == 410


@pytest.mark.parametrize("kind", ["added", "removed", "moved"])
def test_clause_changes_are_classified(store: Store, kind: str) -> None:
    before = {"added": ("A.", "B."), "removed": ("A.", "B.", "C."), "moved": ("A.", "B.", "C.")}[
        kind
    ]
    after = {"added": ("A.", "B.", "New."), "removed": ("A.", "C."), "moved": ("C.", "A.", "B.")}[
        kind
    ]
    t = target()
    record_capture(store, t, capture(page(*before)))
    out = record_capture(store, t, capture(page(*after), 1))
    assert out.diff is not None and out.diff.counts[kind] == 1


def test_change_classes(store: Store) -> None:
    t = target()
    steps = [
        ("We keep data for 30 days.", "first", False, "captured"),
        ("We keep data for 30 days!", "cosmetic", False, None),  # punctuation
        ("WE KEEP DATA FOR 30 DAYS!", "cosmetic", False, None),  # casing
        ("1. We keep data for 30 days!", "cosmetic", False, None),  # list numbering
        ("We keep data for 14 days.", "substantive", True, "changed"),
        ("We keep data for 30 days.", "reverted", True, "changed"),
        ("We keep data for 14 days.", "flapping", True, "flapping"),  # announced once
        # the same word flipping again: folded once the flip-flop was announced
        ("We keep data for 30 days.", "cosmetic", False, None),
        ("We keep data for 7 days.", "substantive", True, "changed"),
    ]
    for minute, (text, cls, changed, event) in enumerate(steps):
        out = record_capture(store, t, capture(page(text), minute))
        assert (out.change_class, out.changed) == (cls, changed), text
        assert (out.event["type"].rsplit(".", 1)[1] if out.event else None) == event, text
    history = [m.change_class for _, m in store.chain(t.ref.id)]
    assert history == [s[1] for s in reversed(steps)]


def test_clauses_keep_their_ids_across_versions(store: Store) -> None:
    from clausewatch.changes.lineage import clause_id, lineage_of

    t = target()
    record_capture(
        store, t, capture(page("Alpha clause text.", "Beta clause text.", "Gamma keeps 30 days."))
    )
    out = record_capture(
        store,
        t,
        capture(
            page(
                "Gamma keeps 14 days.",
                "Alpha clause text.",
                "New delta clause.",
                "Beta clause text.",
            ),
            1,
        ),
    )
    assert out.diff is not None
    [(_, new), (_, old)] = list(store.chain(t.ref.id))
    ids_old, ids_new = lineage_of(store, old), lineage_of(store, new)
    assert ids_old is not None and ids_new is not None
    # heading "Privacy Policy" = c1, Alpha = c2, Beta = c3, Gamma = c4
    assert ids_new.ids == ("c1", "c4", "c2", "c5", "c3")
    by_change = {c.change: clause_id(c, ids_old, ids_new) for c in out.diff.changes}
    assert by_change == {"modified": "c4", "added": "c5"}
    assert {c["clause"] for c in (out.event or {})["data"]["clauses"]} >= {"c4", "c5"}


def test_reextract_rebuilds_history_from_stored_captures(store: Store) -> None:
    from clausewatch.extractors import extract
    from clausewatch.pipeline.reextract import reextract
    from clausewatch.storage.verify import verify_store

    t = target()
    # version 1 was recorded by an older extractor that kept a banner as text
    stale = extract(page("Clause one.", "Subscribe to our newsletter today."))
    record_capture(store, t, capture(page("Clause one.")), stale)
    record_capture(store, t, capture(page("Clause one."), 1))  # today's extractor: "changed"
    record_capture(store, t, capture(page("Clause two."), 2))
    events_before = len(list(store.events()))
    rebuilt = reextract(store, t.ref.id)
    assert (rebuilt.versions_before, rebuilt.versions_after, rebuilt.merged) == (3, 2, 1)
    chain = list(store.chain(t.ref.id))
    assert [m.version for _, m in chain] == [2, 1]
    assert all(m.reextracted_from for _, m in chain)
    assert [m.change_class for _, m in chain] == ["substantive", "first"]
    assert len(list(store.events())) == events_before  # no alerts for rebuilt history
    report = verify_store(store)
    assert report.ok and report.unreferenced_manifests == 3
