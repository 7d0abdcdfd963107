"""The event model beyond versions: failure streaks, cosmetic opt-in, digest, --follow."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.errors import FetchError
from clausewatch.events import cloudevents as events
from clausewatch.pipeline.record import record_capture, record_failure
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from tests.helpers import T0, capture, page, target, validate

runner = CliRunner()


def types(store: Store) -> list[str]:
    return [e["type"].rsplit(".", 1)[1] for _, e in store.events()]


def test_fetch_failed_once_per_streak_then_recovered(store: Store) -> None:
    t = target()
    record_capture(store, t, capture(page("Terms.")))
    for minute in (1, 2, 3):  # three failed checks in a row: one alert, at the second
        record_failure(store, t, T0 + timedelta(minutes=minute), FetchError("HTTP 503", status=503))
    assert types(store) == ["captured", "fetch_failed"]
    record_capture(store, t, capture(page("Terms."), 4))
    assert types(store) == ["captured", "fetch_failed", "recovered"]
    record_failure(store, t, T0 + timedelta(minutes=5), FetchError("HTTP 503", status=503))
    record_capture(store, t, capture(page("Terms."), 6))  # a single failure: no alert, no recovery
    assert types(store) == ["captured", "fetch_failed", "recovered"]
    failed = next(e for _, e in store.events() if e["type"] == events.FETCH_FAILED)
    assert failed["data"]["consecutive_failures"] == 2 and failed["data"]["http_status"] == 503
    for _, event in store.events():
        validate(event)


def test_cosmetic_events_are_opt_in(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    t = target()
    record_capture(store, t, capture(page("We keep data for 30 days.")))
    record_capture(store, t, capture(page("We keep data for 30 days!"), 1))
    assert types(store) == ["captured"]
    monkeypatch.setenv("CLAUSEWATCH_EVENTS_COSMETIC", "on")
    record_capture(store, t, capture(page("WE KEEP DATA FOR 30 DAYS!"), 2))
    assert types(store) == ["captured", "cosmetic"]
    validate([e for _, e in store.events()][-1])


def test_digest_formats_and_event(tmp_path: Path) -> None:
    store = Store(LocalBackend(tmp_path / "store"))
    hostile = target("acme-terms")
    hostile = type(hostile)(
        ref=hostile.ref.model_copy(update={"title": "<script>alert(1)</script>"})
    )
    record_capture(store, hostile, capture(page("One.")))
    record_capture(store, hostile, capture(page("One.", "Two."), 1))
    for minute in (2, 3):  # two failed checks in a row
        record_failure(store, hostile, T0 + timedelta(minutes=minute), FetchError("HTTP 500"))
    since = "2000-01-01"
    summary = json.loads(
        runner.invoke(
            app, ["digest", "--store", store.url, "--since", since, "--format", "json"]
        ).output
    )
    row = summary["entities"]["Acme"]["acme-terms"]
    assert (len(row["changes"]), row["clauses_touched"], row["failures"]) == (1, 1, 1)
    page_html = runner.invoke(
        app, ["digest", "--store", store.url, "--since", since, "--format", "html"]
    ).output
    assert "<script>" not in page_html and "&lt;script&gt;" in page_html
    text = runner.invoke(app, ["digest", "--store", store.url, "--since", since, "--emit"]).output
    assert "1 change(s) and 1 failure(s)" in text
    [digest] = [e for _, e in store.events() if e["type"] == events.DIGEST]
    validate(digest)
    bad = runner.invoke(app, ["digest", "--store", store.url, "--since", "last tuesday"])
    assert bad.exit_code == 2 and "use 7d, 24h, 2w" in bad.output


def test_events_follow_prints_new_events(tmp_path: Path) -> None:
    store = Store(LocalBackend(tmp_path / "store"))
    record_capture(store, target(), capture(page("One.")))
    cli = str(Path(sys.executable).parent / "clausewatch")
    proc = subprocess.Popen(
        [cli, "events", "--store", store.url, "--follow", "--json", "--interval", "0.1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        record_capture(store, target(), capture(page("Two."), 1))
        second = json.loads(proc.stdout.readline())
        assert (first["type"], second["type"]) == (events.CAPTURED, events.CHANGED)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
