#!/usr/bin/env python3
"""Webhook delivery cost to a healthy local receiver: deliveries per second, one endpoint.

Builds a throwaway local store with N events (recorded changes of a few documents), starts a
receiver on 127.0.0.1 that verifies every signature, delivers everything, prints one JSON.
usage: bench_webhooks.py [--events N]          (make bench-webhooks)
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from clausewatch.events.webhooks import Deliverer, Endpoint
from clausewatch.pipeline.model import Capture, Target
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.models import DocumentRef
from clausewatch.storage.store import Store
from tests.receiver import Receiver, start

os.environ.setdefault("CLAUSEWATCH_ALLOW_PRIVATE_URLS", "1")  # the receiver is on 127.0.0.1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=500)
    n = ap.parse_args().events
    store = Store(LocalBackend(Path(tempfile.mkdtemp(prefix="bench-webhooks-")) / "store"))
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        doc = f"doc-{i % 10}"
        ref = DocumentRef(id=doc, url=f"https://example.com/{doc}", entity="Bench", title=doc)
        body = f"<main><h1>Terms</h1><p>Clause {i} of {doc}.</p></main>".encode()
        record_capture(
            store,
            Target(ref),
            Capture(f"https://example.com/{doc}", t0 + timedelta(minutes=i), "import", body),
        )
    secret = "whsec_" + base64.b64encode(b"bench-secret-bench-secret-32byte").decode()
    receiver = Receiver(secret)
    server = start(receiver)
    endpoint = Endpoint(name="bench", url=f"http://127.0.0.1:{server.server_port}/", secret=secret)
    started = time.perf_counter()
    report = Deliverer(store, httpx.Client()).deliver(endpoint)
    elapsed = time.perf_counter() - started
    server.shutdown()
    print(
        json.dumps(
            {
                "events": n,
                "delivered": report.delivered,
                "verified_by_receiver": len(receiver.received),
                "seconds": round(elapsed, 2),
                "deliveries_per_s": round(report.delivered / elapsed, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
