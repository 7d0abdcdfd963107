"""The demo scenario end to end: the Prefect `monitor` flow, real Chromium, both stores."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clausewatch.demo.site import DemoSite
from clausewatch.events import cloudevents as events
from clausewatch.flows.monitor import monitor
from clausewatch.storage import layout
from clausewatch.storage.models import load_json
from clausewatch.storage.store import Store, open_store
from clausewatch.storage.verify import verify_store
from tests.helpers import SECRET, assert_one_version_per_change, validate
from tests.receiver import Receiver, start

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("prefect_harness")]


def run(catalog: Path, store: str) -> dict[str, dict[str, Any]]:
    return {r["document"]: r for r in asyncio.run(monitor(str(catalog), store, host_gap_s=0.1))}


def catalog_for(site: DemoSite, tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(site.catalog_yaml() + extra)
    return path


def test_demo_scenario_on_a_local_store(demo_site: DemoSite, tmp_path: Path) -> None:
    catalog = catalog_for(demo_site, tmp_path)
    url = str(tmp_path / "archive")
    first = run(catalog, url)
    assert {d: r["status"] for d, r in first.items()} == dict.fromkeys(first, "first")
    # every new version was queued for the Wayback Machine; the demo site is not public
    # and, skipped, moved out of the queue
    store = open_store(url)
    assert not list(store.backend.list(layout.WAYBACK_QUEUE))
    done = [load_json(store.backend.read(k)) for k in store.backend.list(layout.WAYBACK_DONE)]
    assert [(q["status"], "not a public address" in q["reason"]) for q in done] == [
        ("skipped", True)
    ] * 3

    demo_site.set_version(2)
    second = run(catalog, url)
    assert {d: r["changed"] for d, r in second.items()} == {
        "northwind-privacy": True,
        "northwind-terms": True,
        "northwind-acceptable-use": False,
    }
    store = open_store(url)
    privacy = changed_event(store, "northwind-privacy")
    changes = {c["change"] for c in privacy["data"]["clauses"]}
    assert {"modified", "moved"} <= changes
    carve_out = [
        c for c in privacy["data"]["clauses"] if "Even if you opt out" in (c["after"] or "")
    ]
    assert carve_out
    assert any(
        o["op"] == "insert" and o["text"].startswith("Even if you opt out")
        for o in carve_out[0]["word_ops"]
    )
    terms = changed_event(store, "northwind-terms")
    assert any(
        {"op": "delete", "text": "30"} in (c["word_ops"] or [])
        and {"op": "insert", "text": "14"} in (c["word_ops"] or [])
        for c in terms["data"]["clauses"]
    )

    logged = len(list(store.events()))
    demo_site.set_version(3)  # noise only
    third = run(catalog, url)
    assert {r["status"] for r in third.values()} == {"unchanged"}
    assert len(list(store.events())) == logged
    for _, event in store.events():
        validate(event)
    assert verify_store(store).ok
    keys = asyncio.run(artifact_keys())
    assert {"monitor-run", "change-northwind-privacy", "change-northwind-terms"} <= keys


async def artifact_keys() -> set[str]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return {a.key for a in await client.read_artifacts() if a.key}


def changed_event(store: Store, document: str) -> dict[str, Any]:
    [event] = [
        e for _, e in store.events() if e["type"] == events.CHANGED and e["subject"] == document
    ]
    return event


def test_flow_on_s3_with_a_failing_document(
    demo_site: DemoSite,
    tmp_path: Path,
    s3_env: str,
    s3_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Also: the run delivers its events to a webhook receiver once they are logged."""
    receiver = Receiver(SECRET)
    server = start(receiver)
    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_URLS", f"http://127.0.0.1:{server.server_port}/hook")
    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("CLAUSEWATCH_FETCH_FAILURES", "1")
    extra = (
        "  - id: northwind-gone\n    entity: Northwind AI\n    title: Gone\n    type: policy\n"
        f"    url: {demo_site.base_url}/gone\n"
    )
    catalog = catalog_for(demo_site, tmp_path, extra)
    url = f"s3://{s3_bucket}/clausewatch"
    results = run(catalog, url)
    assert results["northwind-gone"]["status"] == "error"
    assert "404" in str(results["northwind-gone"]["error"])
    assert {r["status"] for d, r in results.items() if d != "northwind-gone"} == {"first"}
    store = open_store(url)
    types = sorted(e["type"] for _, e in store.events())
    assert types == sorted([events.CAPTURED] * 3 + [events.FETCH_FAILED])
    assert verify_store(store).ok
    assert receiver.ids() == [e["id"] for _, e in store.events()]
    server.shutdown()


def test_run_without_prefect(demo_site: DemoSite, tmp_path: Path) -> None:
    catalog = catalog_for(demo_site, tmp_path)
    cli = str(Path(sys.executable).parent / "clausewatch")
    store = str(tmp_path / "plain")
    done = subprocess.run(
        [cli, "run", "--no-prefect", "--catalog", str(catalog), "--store", store, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["status"] for x in done.stdout.splitlines()] == ["first"] * 3


def test_two_worker_processes_one_store(demo_site: DemoSite, tmp_path: Path) -> None:
    """Two processes check the same catalog into the same store at the same time: one version
    per real change, one event per version, a consistent history."""
    catalog = catalog_for(demo_site, tmp_path)
    cli = str(Path(sys.executable).parent / "clausewatch")
    store_dir = str(tmp_path / "shared")

    def both() -> None:
        procs = [
            subprocess.Popen(
                [
                    cli,
                    "run",
                    "--no-prefect",
                    "--catalog",
                    str(catalog),
                    "--store",
                    store_dir,
                    "--host-gap",
                    "0.1",
                    "--json",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err.decode()[-2000:]

    both()
    demo_site.set_version(2)
    both()
    assert_one_version_per_change(store_dir)
