"""The Prefect Automation's notification reads as text: deployments/automation.py's action,
rendered with Prefect's own template renderer against the event the monitor flow publishes."""

from __future__ import annotations

import asyncio
import importlib.util
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from prefect.automations import Automation, SendNotification
from prefect.blocks.core import Block
from prefect.server.events.schemas.events import ReceivedEvent
from prefect.server.utilities.user_templates import render_user_template, validate_user_template

import clausewatch.flows.monitor
from clausewatch.events import cloudevents as events
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from tests.helpers import capture, page, target

ROOT = Path(__file__).resolve().parent.parent


def automation_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "automation", ROOT / "deployments" / "automation.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def created_action(monkeypatch: pytest.MonkeyPatch) -> SendNotification:
    """What ``automation.py BLOCK`` creates, without a Prefect server."""
    created: list[Automation] = []
    block = SimpleNamespace(_block_document_id=uuid.uuid4())
    monkeypatch.setattr(Block, "load", staticmethod(lambda name: block))

    def create(self: Automation) -> Any:
        created.append(self)
        return SimpleNamespace(id="automation-id")

    monkeypatch.setattr(Automation, "create", create)
    automation_module().main("slack-webhook/legal-team")
    [automation] = created
    [action] = automation.actions
    assert isinstance(action, SendNotification)
    return action


def published_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReceivedEvent:
    """A ``changed`` event as the monitor flow emits it to Prefect, as Prefect receives it."""
    store = Store(LocalBackend(tmp_path / "store"))
    record_capture(store, target(), capture(page("One.", "Two.")))
    record_capture(store, target(), capture(page("One!", "Two.", "Three."), 1))
    [changed] = [e for _, e in store.events() if e["type"] == events.CHANGED]
    emitted: list[dict[str, Any]] = []
    monkeypatch.setattr(clausewatch.flows.monitor, "emit_event", lambda **kw: emitted.append(kw))
    clausewatch.flows.monitor.publish(changed)
    [kwargs] = emitted
    now = datetime.now(UTC)
    return ReceivedEvent.model_validate({**kwargs, "occurred": now, "received": now})


def test_notification_lists_the_change_readably(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    action = created_action(monkeypatch)
    event = published_event(tmp_path, monkeypatch)
    for template in (action.subject, action.body):
        validate_user_template(template)  # what the Prefect server checks on create
    subject, body = (
        asyncio.run(render_user_template(t, {"event": event}))
        for t in (action.subject, action.body)
    )
    assert subject == "Acme Privacy changed"
    assert body.splitlines() == [
        "Acme: Acme Privacy (privacy policy) changed (substantive).",
        "Clauses: 2 added, 1 removed",
        "Version 1 (2026-01-01T00:00:00Z) -> version 2 (2026-01-01T00:01:00Z)",
        "Page: https://acme.example/acme-privacy",
        f"Document: acme-privacy, manifest sha256:{event.payload['cloudevent']['data']['current']['manifest']}",
        "History: clausewatch history acme-privacy",
    ]
    assert "{" not in body and "'" not in body  # no Python dict


def test_a_change_with_no_clause_counts_still_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    action = created_action(monkeypatch)
    event = published_event(tmp_path, monkeypatch)
    event.payload["cloudevent"]["data"]["summary"] = {}
    event.payload["cloudevent"]["data"]["truncated"] = True
    body = asyncio.run(render_user_template(action.body, {"event": event}))
    assert "Clauses: no clause counts (the event lists the first 50)" in body.splitlines()
