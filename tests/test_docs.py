"""Docs that cannot drift: every command, event type and setting is in the README, and every
deployment entrypoint imports."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml

from clausewatch.cli import app
from clausewatch.events import cloudevents as events
from clausewatch.schemas import SCHEMA_DIR

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_commands() -> None:
    assert README.index("make demo") < README.index("make test") < 400


@pytest.mark.parametrize("command", [c.name for c in app.registered_commands])
def test_every_command_is_documented(command: str) -> None:
    assert f"clausewatch {command}" in README


@pytest.mark.parametrize("event_type", events.EVENT_TYPES)
def test_every_event_type_is_documented(event_type: str) -> None:
    assert f"`{event_type}`" in README
    assert (SCHEMA_DIR / "events" / f"{event_type.rsplit('.', 1)[1]}.schema.json").is_file()


def test_every_setting_is_documented() -> None:
    used = set()
    for path in [
        *ROOT.glob("clausewatch/**/*.py"),
        *ROOT.glob("storage/*.py"),
        *ROOT.glob("flows/*.py"),
    ]:
        used |= set(re.findall(r"\"(CLAUSEWATCH_[A-Z_]+)\"", path.read_text()))
    assert used, "no settings found: the pattern is stale"
    assert sorted(s for s in used if f"`{s}`" not in README) == []


def test_deployment_entrypoints_import() -> None:
    spec = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())
    assert spec["deployments"]
    for deployment in spec["deployments"]:
        module, _, name = deployment["entrypoint"].partition(":")
        flow = getattr(importlib.import_module(module.removesuffix(".py").replace("/", ".")), name)
        assert getattr(flow, "name", None), f"{deployment['entrypoint']} is not a Prefect flow"
        assert set(deployment.get("parameters", {})) <= set(flow.parameters.properties)


def test_the_consumer_example_verifies_and_deduplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util
    from datetime import UTC, datetime

    from clausewatch.events.webhooks import Endpoint, sign
    from clausewatch.pipeline.record import record_capture
    from clausewatch.storage.local import LocalBackend
    from clausewatch.storage.store import Store
    from tests.helpers import SECRET, capture, page, target

    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_SECRET", SECRET)
    spec = importlib.util.spec_from_file_location(
        "consumer_example", ROOT / "docs" / "consumer_example.py"
    )
    assert spec and spec.loader
    consumer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(consumer)
    store = Store(LocalBackend(tmp_path / "store"))
    record_capture(store, target(), capture(page("We keep data for 30 days.")))
    record_capture(store, target(), capture(page("We keep data for 14 days."), 1))
    endpoint = Endpoint(name="docs", url="http://unused/", secret=SECRET)
    [(_, changed)] = [(c, e) for c, e in store.events() if e["type"].endswith(".changed")]
    body, headers = sign(endpoint, changed, datetime.now(UTC))
    assert consumer.handle(body, headers) == 204
    assert consumer.handle(body, headers) == 204  # a duplicate: processed once
    assert capsys.readouterr().out.count("changed (substantive)") == 1
    forged = {**headers, "webhook-signature": "v1,AAAA"}
    assert consumer.handle(body, forged) == 401


def test_the_automation_script_imports() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "automation", ROOT / "deployments" / "automation.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.main)
