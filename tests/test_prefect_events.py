"""Outcome events reach Prefect's event stream (captured with Prefect's own asserting client)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect.events.clients import AssertingEventsClient
from prefect.events.worker import EventsWorker

from clausewatch.events import cloudevents as events
from clausewatch.flows.monitor import publish_since
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.store import Store
from tests.helpers import capture, page, target


@pytest.fixture
def prefect_events(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EventsWorker]:
    """As Prefect's `asserting_events_worker` fixture: events go to a recording client."""
    AssertingEventsClient.reset()
    worker = EventsWorker.instance(AssertingEventsClient)
    monkeypatch.setattr(EventsWorker, "instance", lambda *_: worker)
    yield worker
    worker.drain()


def test_changes_are_published_as_prefect_events(
    store: Store, prefect_events: EventsWorker
) -> None:
    t = target()
    record_capture(store, t, capture(page("A.")))
    changed = record_capture(store, t, capture(page("B."), 1))
    unchanged = record_capture(store, t, capture(page("B."), 2))
    assert unchanged.event is None
    assert publish_since(store, 0) == 2
    prefect_events.drain()
    assert AssertingEventsClient.last is not None
    sent = AssertingEventsClient.last.events
    assert [e.event for e in sent] == [events.CAPTURED, events.CHANGED]
    assert {e.resource.id for e in sent} == {"clausewatch.document.acme-privacy"}
    assert sent[1].payload["cloudevent"]["id"] == (changed.event or {})["id"]
