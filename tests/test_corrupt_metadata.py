"""Corrupt metadata (event-log entries, the cursor hint, check records, webhook states):
``verify`` names each, and the commands reading them skip the bad record with one clear line.

The corruption is written with the backend's own ``overwrite`` (local store: both backends share
the Store code these fixes are in)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.events.webhooks import Deliverer, Endpoint
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from clausewatch.storage.verify import verify_store
from tests.helpers import capture, page, target

runner = CliRunner()


def three_versions(tmp_path: Path) -> Store:
    """A local store holding doc-a at three versions: events 1, 2 and 3."""
    store = Store(LocalBackend(tmp_path / "store"))
    for minute, text in enumerate(("One.", "Two.", "Three.")):
        record_capture(store, target("doc-a"), capture(page(f"doc-a {text}"), minute))
    return store


def problems(store: Store) -> dict[str, str]:
    return {p.key: p.detail for p in verify_store(store).problems}


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# -- event-log entries ---------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_event_log_entry_is_skipped_by_readers_and_named_by_verify(
    tmp_path: Path, damage: str
) -> None:
    store = three_versions(tmp_path)
    key = "events/log/000000000002.json"
    data = store.backend.read(key)
    store.backend.overwrite(key, data[: len(data) // 2] if damage == "truncated" else b"\xff\x00")
    code, out, err = cli("events", "--store", store.url)
    assert code == 0 and key in err and err.count("\n") == 1
    assert [line.split()[0] for line in out.splitlines()] == ["1", "3"]
    code, out, err = cli("events", "--json", "--store", store.url)
    assert code == 0 and key in err and err.count("\n") == 1
    assert [json.loads(line)["sequence"] for line in out.splitlines()] == [
        "000000000001",
        "000000000003",
    ]
    code, out, err = cli("digest", "--since", "3000d", "--format", "json", "--store", store.url)
    assert code == 0 and key in err and err.count("\n") == 1
    assert json.loads(out)["changes"] == 1  # event 3; event 2 (a change too) is unreadable
    code, out, _ = cli("verify", "--store", store.url)
    assert code == 1 and f"INVALID: {key}: not a JSON event" in out
    assert set(problems(store)) == {key}


@pytest.mark.parametrize("entry", [b"{}", b'{"id": "x", "type": "t", "time": "soon"}'])
def test_a_log_entry_that_is_not_an_event_is_skipped_by_digest(
    tmp_path: Path, entry: bytes
) -> None:
    store = three_versions(tmp_path)
    key = "events/log/000000000002.json"
    store.backend.overwrite(key, entry)
    code, out, err = cli("digest", "--since", "3000d", "--format", "json", "--store", store.url)
    assert code == 0 and key in err and err.count("\n") == 1
    assert json.loads(out)["changes"] == 1
    assert set(problems(store)) == {key}


# -- the events cursor hint ----------------------------------------------------------------
@pytest.mark.parametrize(
    "garbage",
    [b"garbage\xff", b"-3", b"", b"1.5", b"9" * 5000, b"999999999999"],
    ids=["text", "negative", "empty", "float", "5000-digits", "ahead-of-the-log"],
)
def test_a_garbage_cursor_is_named_and_recording_goes_on(tmp_path: Path, garbage: bytes) -> None:
    store = three_versions(tmp_path)
    store.backend.overwrite("events/cursor", garbage)
    code, out, _ = cli("verify", "--store", store.url)
    assert code == 1 and "INVALID: events/cursor: " in out
    assert set(problems(store)) == {"events/cursor"}
    out4 = record_capture(store, target("doc-a"), capture(page("doc-a Four."), 10))  # head moves
    assert out4.changed
    assert [cursor for cursor, _ in store.events()] == [1, 2, 3, 4]  # logged next, no jump
    assert store.backend.read("events/cursor") == b"4"  # the hint is whole again
    assert verify_store(store).ok


def test_a_lagging_cursor_is_not_a_problem(tmp_path: Path) -> None:
    store = three_versions(tmp_path)
    store.backend.overwrite("events/cursor", b"1")  # a hint may lag (written after the entry)
    assert verify_store(store).ok


# -- check records -------------------------------------------------------------------------
def test_a_truncated_check_record_is_skipped_by_history_and_cite_and_named_by_verify(
    tmp_path: Path,
) -> None:
    store = three_versions(tmp_path)
    for minute in (5, 6):  # two unchanged checks of version 3
        record_capture(store, target("doc-a"), capture(page("doc-a Three."), minute))
    first, second = store.backend.list("checks/doc-a/")
    store.backend.overwrite(first, store.backend.read(first)[:30])
    code, out, err = cli("history", "doc-a", "--store", store.url)
    assert code == 0 and first in err and err.count("\n") == 1 and "1 unchanged check(s)" in out
    code, out, err = cli("history", "doc-a", "--json", "--store", store.url)
    assert code == 0 and first in err and json.loads(out)["checks"] == 1
    for fmt in ("md", "json"):
        code, out, err = cli("cite", "doc-a", "--format", fmt, "--store", store.url)
        assert code == 0 and first in err and err.count("\n") == 1
    assert json.loads(out)["last_seen"] == "2026-01-01T00:06:00Z"  # from the good check
    code, out, _ = cli("verify", "--store", store.url)
    assert code == 1 and f"INVALID: {first}: not a check record" in out and second not in out
    code, out, _ = cli("verify", "--document", "doc-a", "--store", store.url)
    assert code == 1 and first in out


def test_an_altered_check_record_is_named_by_verify(tmp_path: Path) -> None:
    store = three_versions(tmp_path)
    record_capture(store, target("doc-a"), capture(page("doc-a Three."), 5))
    [key] = store.backend.list("checks/doc-a/")
    check = json.loads(store.backend.read(key))
    check["checked_at"] = "2026-06-01T00:00:00Z"  # valid, but not what was recorded
    store.backend.overwrite(key, json.dumps(check).encode())
    found = problems(store)
    assert set(found) == {key} and "bytes hash to" in found[key]


# -- webhook delivery states ---------------------------------------------------------------
def test_a_corrupt_webhook_state_is_named_by_verify(tmp_path: Path) -> None:
    store = three_versions(tmp_path)
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204)))
    hook = Endpoint(name="receiver", url="https://hooks.example/in", secret="whsec_" + "A" * 32)
    report = Deliverer(store, client=client).deliver(hook)
    assert report.delivered == 3
    key = "webhooks/receiver/state.json"
    assert verify_store(store).ok  # a state written by deliver is valid
    for bad in (store.backend.read(key)[:25], b'{"cursor": "three"}', b"[]"):
        store.backend.overwrite(key, bad)
        code, out, _ = cli("verify", "--store", store.url)
        assert code == 1 and f"INVALID: {key}: not a webhook delivery state" in out
        assert set(problems(store)) == {key}


def test_follow_warns_once_about_a_damaged_entry_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`events --follow` looks past a damaged last entry after warning once (it warned again
    at every interval), and still prints events logged after it."""
    store = three_versions(tmp_path)
    key = "events/log/000000000003.json"
    store.backend.overwrite(key, b'{"trunc')
    looks = []

    def sleep(_: float) -> None:
        looks.append(1)
        if len(looks) == 2:
            record_capture(store, target("doc-a"), capture(page("doc-a Four."), 9))
        if len(looks) == 4:
            raise KeyboardInterrupt

    monkeypatch.setattr("time.sleep", sleep)
    result = runner.invoke(app, ["events", "--follow", "--store", store.url])
    assert result.exit_code == 130  # interrupted, as by Ctrl-C
    assert result.stderr.count(key) == 1, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["1", "2", "4"]
