"""Slow neighbours do not slow captures: a webhook receiver that hangs past the delivery
timeout and a Wayback Machine that is unreachable leave every capture of the run as fast as a
run without them; their work waits in the store for the next attempt."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from clausewatch.demo.site import DemoSite
from clausewatch.flows.monitor import monitor
from clausewatch.storage.store import open_store
from tests.helpers import SECRET
from tests.receiver import Receiver, start

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("prefect_harness")]


class Arrivals(Receiver):
    """A receiver that notes when each delivery arrives, then hangs."""

    arrivals: list[float]

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        self.arrivals.append(time.time())
        return super().handle(body, headers)


def capture_totals(store_dir: str) -> dict[str, float]:
    store = open_store(store_dir)
    totals = {}
    for doc in store.documents():
        head, _ = store.head(doc)
        assert head is not None
        totals[doc] = store.get_manifest(head.manifest).timings_ms["total"]
    return totals


def test_hanging_webhooks_and_wayback_do_not_slow_captures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = Arrivals(secret=SECRET, delay_s=12)  # past the 10 s delivery timeout
    receiver.arrivals = []
    hook = start(receiver)
    store_dir = str(tmp_path / "store")
    with DemoSite() as site:
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(site.catalog_yaml())
        monkeypatch.setenv("CLAUSEWATCH_WAYBACK", "off")
        asyncio.run(monitor(str(catalog), store_dir, host_gap_s=0.1))
        quiet = capture_totals(store_dir)

        site.set_version(2)
        monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_URLS", f"http://127.0.0.1:{hook.server_port}/")
        monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_SECRET", SECRET)
        monkeypatch.setenv("CLAUSEWATCH_WAYBACK", "on")
        monkeypatch.setenv("CLAUSEWATCH_WAYBACK_URL", "http://127.0.0.1:9")  # refuses
        started = time.time()
        results = asyncio.run(monitor(str(catalog), store_dir, host_gap_s=0.1))
        ended = time.time()
    hook.shutdown()
    assert {r["status"] for r in results} == {"changed", "unchanged"}
    busy = capture_totals(store_dir)
    changed = [r["document"] for r in results if r["status"] == "changed"]
    # captures of the noisy run cost what they cost in the quiet one (generous margin: 2 CPUs)
    assert all(busy[d] < 2 * quiet[d] + 3000 for d in changed), (quiet, busy)
    # every capture was recorded before the first delivery was even attempted
    store = open_store(store_dir)
    recorded = max(
        store.get_manifest(store.head(d)[0].manifest).captured_at.timestamp()  # type: ignore[union-attr]
        for d in changed
    )
    assert receiver.arrivals and min(receiver.arrivals) > recorded
    # the run waited for one delivery timeout at most, not for the receiver
    assert ended - started < 60
