#!/usr/bin/env python3
"""Cost flat as history grows: the same day's work on a store with a year of history and on one
with a day of it, as ratios, on the local backend and on S3 (moto's server).

Builds, through the store API (no browser), for DOCS documents:

  year   a first version, then 52 weeks of daily checks (a check record a day) and a change a
         week (a new version, its events, its Wayback entry archived and moved out of the
         queue), each logged on its own day (the store's clock), and webhook deliveries
         caught up to the end of that history;
  quarter  the same with 13 weeks of it: long enough that what a head remembers (the last 8
           substances, recent word flips) is full, so year / quarter shows whether anything
           still grows with age once those bounded lists are full;
  day    the same documents with only their first version.

Then, REPEAT times, rotating the stores (year, quarter, day, then day, quarter, year, ...), one
more day's work:

  monitor   the flow's planning with `every: 1d` (the cursor at the start, each document's last
            check) and the recording of every document (a seventh of them changed);
  digest    `digest --since 7d`;
  deliver   the day's events to a local webhook receiver;
  archive   the day's new versions to a local Save Page Now 2 server;
  verify    `verify --document` of one document.

Each figure is the median over repetitions; `ratio` is year / day (the issue's target: <= 1.2),
`ratio_to_quarter` is year / quarter. On S3 every request is
counted (botocore's before-call hook) and reported per document per operation.

Writing the history, fsync is off (it is a fixture: building a durable year would take an hour);
everything measured runs with it on. usage: bench_history.py [--docs 1000] [--s3-docs 20]
[--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["CLAUSEWATCH_ALLOW_PRIVATE_URLS"] = "1"  # the receiver and SPN2 server are local

import boto3  # noqa: E402

from clausewatch.events.webhooks import Deliverer, Endpoint  # noqa: E402
from clausewatch.evidence import digest  # noqa: E402
from clausewatch.pipeline.catalog import CatalogDocument  # noqa: E402
from clausewatch.pipeline.model import Capture, Target  # noqa: E402
from clausewatch.pipeline.monitor import plan  # noqa: E402
from clausewatch.pipeline.record import record_capture  # noqa: E402
from clausewatch.storage import layout  # noqa: E402
from clausewatch.storage.local import LocalBackend  # noqa: E402
from clausewatch.storage.models import CheckRecord, dump  # noqa: E402
from clausewatch.storage.records import DeliveryState, Entry  # noqa: E402
from clausewatch.storage.s3 import S3Backend  # noqa: E402
from clausewatch.storage.store import Store  # noqa: E402
from clausewatch.storage.verify import verify_store  # noqa: E402
from clausewatch.wayback.archive import process_queue  # noqa: E402
from clausewatch.wayback.client import WaybackClient, WaybackSettings  # noqa: E402
from tests.fake_wayback import serve as serve_wayback  # noqa: E402  (a local SPN2 server)

START = datetime(2025, 1, 6, 6, tzinfo=UTC)
DAYS = 364  # 52 weeks after the first version
HISTORIES = {"year": DAYS, "quarter": 91, "day": 0}  # the stores: days of history each
GAP = 9  # days from the history's end to the day's work: a digest's week holds none of it
SECRET = "whsec_" + "Y2xhdXNld2F0Y2gtYmVuY2gtaGlzdG9yeS1zZWNyZXQ="
WORDS = "data account consent retention rights request transfer security cookies law".split()


def document(i: int) -> CatalogDocument:
    return CatalogDocument(
        id=f"doc-{i:05d}",
        entity=f"Entity {i % 50}",
        title=f"Terms {i}",
        type="terms of service",
        url=f"https://policies.bench-{i % 50}.com/terms/{i}",
        every="1d",
    )


def page(i: int, week: int) -> bytes:
    """A policy page: several clauses, one of them reworded each week."""
    clauses = "".join(
        f"<h2>Section {n}</h2><p>{' '.join(WORDS[(n + k) % len(WORDS)] for k in range(40))}.</p>"
        for n in range(8)
    )
    return (
        f"<html><head><title>Terms {i}</title></head><body><main><h1>Terms {i}</h1>{clauses}"
        f"<h2>Changes</h2><p>Version {week} of these terms applies from week {week}.</p>"
        "</main></body></html>"
    ).encode()


def record(store: Store, doc: CatalogDocument, week: int, at: datetime) -> None:
    target = Target(ref=doc.ref())
    record_capture(store, target, Capture(doc.url, at, "browser", page(int(doc.id[4:]), week)))


@contextlib.contextmanager
def no_fsync() -> Iterator[None]:
    saved = os.fsync, os.fdatasync
    os.fsync = os.fdatasync = lambda fd: None  # type: ignore[assignment]
    try:
        yield
    finally:
        os.fsync, os.fdatasync = saved
        os.sync()


def build(store: Store, docs: list[CatalogDocument], days: int, threads: int) -> None:
    with no_fsync(), ThreadPoolExecutor(threads) as pool:
        for day in range(days + 1):
            at = START + timedelta(days=day)
            store.clock = lambda at=at: at  # type: ignore[misc]  # the day it is logged

            def one(doc: CatalogDocument, day: int = day, at: datetime = at) -> None:
                if day % 7 == 0:
                    record(store, doc, day // 7, at)
                    return
                head, _ = store.head(doc.id)
                assert head is not None
                check = CheckRecord(
                    document=doc.id,
                    checked_at=at,
                    manifest=head.manifest,
                    content_hash=head.content_hash,
                )
                store.add_check(check)

            list(pool.map(one, docs))
        # every version so far was archived: its entry is in wayback/done/, as a pass leaves it
        for key in list(store.backend.list(layout.WAYBACK_QUEUE)):
            entry = Entry.model_validate_json(store.backend.read(key))
            done = entry.model_copy(update={"status": "archived", "archive_url": "https://x/"})
            store.backend.create(layout.wayback_done(entry.document, entry.manifest), dump(done))
            store.backend.delete(key)
        # and every event was delivered
        state = DeliveryState(cursor=store.last_cursor())
        store.backend.overwrite(
            layout.webhook("bench", "state.json"), state.model_dump_json().encode()
        )
    store.clock = lambda: datetime.now(UTC)  # type: ignore[misc]


class Receiver:
    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/"


def one_day(
    store: Store,
    docs: list[CatalogDocument],
    day: int,
    hook: Endpoint,
    wayback: WaybackClient,
    timed: Callable[[str, Callable[[], Any]], Any],
) -> None:
    """One more day's work, each operation timed."""
    at = START + timedelta(days=DAYS + GAP + 1 + day)
    store.clock = lambda: at  # type: ignore[misc]

    def monitor() -> None:
        store.last_cursor()
        due, _ = plan(store, docs, now=at)
        assert len(due) == len(docs), f"{len(due)} of {len(docs)} due"
        for doc in due:  # a seventh of the documents change today
            changed = int(doc.id[4:]) % 7 == day % 7
            record(store, doc, 1000 + day if changed else -1, at)

    # unchanged pages must read as unchanged: the "-1" week is a fixed text per store
    timed("monitor", monitor)
    timed("digest", lambda: digest.build(store, at - timedelta(days=7), at + timedelta(1)))
    timed("deliver", lambda: Deliverer(store, clock=lambda: at).deliver(hook))
    timed("archive", lambda: process_queue(store, wayback))  # entries are queued at real times
    timed("verify", lambda: verify_store(store, docs[0].id))


def measure(
    stores: dict[str, Store],
    docs: list[CatalogDocument],
    repeat: int,
    requests: Counter[str] | None,
) -> dict[str, Any]:
    receiver = Receiver()
    hook = Endpoint(name="bench", url=receiver.url, secret=SECRET, timeout_s=5)
    server, _ = serve_wayback()
    wayback = WaybackClient(
        WaybackSettings(
            base_url=f"http://127.0.0.1:{server.server_port}",
            poll_interval_s=0.01,
            max_polls=5,
            timeout_s=5,
            access_key="BENCH",
            secret_key="BENCH",
        )
    )
    seconds: dict[str, dict[str, list[float]]] = {n: {} for n in stores}
    calls: dict[str, dict[str, list[int]]] = {n: {} for n in stores}
    # the unchanged text every later day records: first, untimed, on every store
    for store in stores.values():
        for doc in docs:
            record(store, doc, -1, START + timedelta(days=DAYS + GAP))
    for day in range(repeat):
        order = list(stores) if day % 2 == 0 else list(reversed(stores))
        for name in order:

            def timed(op: str, step: Callable[[], Any], name: str = name) -> Any:
                before = sum(requests.values()) if requests is not None else 0
                started = time.perf_counter()
                result = step()
                seconds[name].setdefault(op, []).append(time.perf_counter() - started)
                if requests is not None:
                    calls[name].setdefault(op, []).append(sum(requests.values()) - before)
                return result

            one_day(stores[name], docs, day, hook, wayback, timed)
    server.shutdown()
    receiver.server.shutdown()
    out: dict[str, Any] = {}
    for op in seconds["year"]:
        median = {n: statistics.median(seconds[n][op]) for n in stores}
        out[op] = {
            "ratio": round(median["year"] / median["day"], 3),
            "ratio_to_quarter": round(median["year"] / median["quarter"], 3),
            **{f"{n}_s": round(median[n], 3) for n in stores},
            **{f"{n}_runs_s": [round(x, 3) for x in seconds[n][op]] for n in stores},
        }
        if requests is not None:
            per = {n: statistics.median(calls[n][op]) / len(docs) for n in stores}
            out[op]["s3_requests_per_document"] = {n: round(v, 2) for n, v in per.items()}
    return out


def local(work: Path, n: int, repeat: int) -> dict[str, Any]:
    docs = [document(i) for i in range(n)]
    stores = {name: Store(LocalBackend(work / f"local-{name}")) for name in HISTORIES}
    started = time.perf_counter()
    build(stores["year"], docs, HISTORIES["year"], threads=2)
    built = time.perf_counter() - started
    for name in ("quarter", "day"):
        build(stores[name], docs, HISTORIES[name], threads=2)
    figures = measure(stores, docs, repeat, None)
    return {"documents": n, "build_s": round(built, 1), "operations": figures}


def s3(n: int, repeat: int) -> dict[str, Any]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request on stderr
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    client = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1")
    requests: Counter[str] = Counter()
    counting = [False]

    def count(event_name: str, **_: Any) -> None:
        if counting[0]:
            requests[event_name.rsplit(".", 1)[-1]] += 1

    client.meta.events.register("before-call.s3.*", count)
    docs = [document(i) for i in range(n)]
    stores = {}
    for name in HISTORIES:
        client.create_bucket(Bucket=f"bench-{name}")
        stores[name] = Store(S3Backend(f"bench-{name}", "archive", client=client))
    started = time.perf_counter()
    build(stores["year"], docs, HISTORIES["year"], threads=8)
    built = time.perf_counter() - started
    for name in ("quarter", "day"):
        build(stores[name], docs, HISTORIES[name], threads=8)
    counting[0] = True
    figures = measure(stores, docs, repeat, requests)
    server.stop()
    return {"documents": n, "build_s": round(built, 1), "operations": figures}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1000, help="documents on the local backend")
    ap.add_argument("--s3-docs", type=int, default=20, help="documents on S3 (0: skip)")
    ap.add_argument("--repeat", type=int, default=3, help="days measured on each store")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="clausewatch-bench-history-"))
    result: dict[str, Any] = {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "history_days": DAYS + 1,
        "local": local(work, a.docs, a.repeat),
    }
    if a.s3_docs:
        result["s3"] = s3(a.s3_docs, a.repeat)
    ratios = [
        op["ratio"]
        for backend in ("local", "s3")
        if backend in result
        for name, op in result[backend]["operations"].items()
        if name != "verify"  # one document's whole history is what verify --document checks
    ]
    result["worst_ratio"] = max(ratios)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
