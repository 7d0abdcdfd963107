#!/usr/bin/env python3
"""The search index on a labelled corpus imported into one store (issue 17), in one run.

1. The import's share of time that keeping the index up to date adds: the corpus imported
   with `CLAUSEWATCH_INDEX=off` and with an index, in interleaved rounds (off, on, on, off,
   ...: ABBA), each into a fresh store; `index_overhead_share` is (on - off) / off of the
   medians (target: <= 0.10).
2. Building the index from the store (`clausewatch index --rebuild`): seconds and bytes, and
   both per 1,000 clause wordings.
3. Search latency over QUERIES queries (two words each, drawn from the indexed text with a
   fixed seed): median and p95 of `Index.search` as `clausewatch search` runs it (the store's
   heads compared first, each hit's text checked against its version read back from the
   store), and without comparing the heads (`query_only_*`: the query and that check).

usage: bench_index.py CORPUS [--cli PATH] [--rounds N] [--queries N]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def batch_file(corpus: Path, out: Path) -> int:
    lines = 0
    with out.open("w") as fh:
        for doc in sorted(os.listdir(corpus)):
            labels = corpus / doc / "labels.json"
            if not labels.is_file():
                continue
            for step in json.loads(labels.read_text())["steps"]:
                fh.write(
                    json.dumps(
                        {
                            "document": doc,
                            "url": f"https://{doc}.example.test/",
                            "file": str(corpus / doc / step["file"]),
                            "captured_at": step["captured_at"],
                        }
                    )
                    + "\n"
                )
                lines += 1
    return lines


def timed_import(cli: list[str], batch: Path, store: Path, index: str) -> float:
    env = {**os.environ, "CLAUSEWATCH_INDEX": index}
    started = time.monotonic()
    done = subprocess.run(
        [*cli, "import", "--batch", str(batch), "--store", str(store), "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.monotonic() - started
    if done.returncode not in (0, 1):
        sys.exit(f"import failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--cli", default="clausewatch")
    ap.add_argument("--rounds", type=int, default=2, help="ABBA rounds (each: off, on, on, off)")
    ap.add_argument("--queries", type=int, default=100)
    a = ap.parse_args()
    cli = a.cli.split()
    work = Path(tempfile.mkdtemp(prefix="bench-index-"))
    batch = work / "steps.jsonl"
    pages = batch_file(a.corpus, batch)

    times: dict[str, list[float]] = {"off": [], "on": []}
    for r in range(a.rounds):
        for mode in ("off", "on", "on", "off"):
            n = len(times["off"]) + len(times["on"])
            index = "off" if mode == "off" else str(work / f"index-{n}.sqlite")
            times[mode].append(timed_import(cli, batch, work / f"store-{r}-{n}", index))
    off, on = statistics.median(times["off"]), statistics.median(times["on"])

    # the last store with an index: rebuild it from the store, then search it
    store_dir = sorted(work.glob("store-*"))[-1]
    from clausewatch.evidence.index import Index, rebuild
    from clausewatch.storage.store import open_store

    store = open_store(str(store_dir))
    index = Index(store, work / "rebuilt.sqlite")
    started = time.monotonic()
    done = rebuild(index)
    build_s = time.monotonic() - started
    stats = index.stats()
    with sqlite3.connect(index.path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        words = [
            w
            for (text,) in db.execute("SELECT text FROM wordings WHERE valid_to IS NULL")
            for w in re.findall(r"[^\W\d_]{5,}", text.lower())
        ]
    size = os.path.getsize(index.path)
    rng = random.Random(17)
    queries = [f"{rng.choice(words)} AND {rng.choice(words)[:4]}*" for _ in range(a.queries)]
    full, alone, hits = [], [], 0
    for q in queries:
        started = time.monotonic()
        hits += len(index.search(q))
        full.append(time.monotonic() - started)
    # without comparing the heads (refresh skipped): the query and the check of its hits
    index.refresh = lambda documents=None: None  # type: ignore[method-assign,assignment,misc,return-value]
    for q in queries:
        started = time.monotonic()
        index.search(q)
        alone.append(time.monotonic() - started)
    per_k = 1000 / max(1, stats["wordings"])
    print(
        json.dumps(
            {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
                "pages": pages,
                "import_seconds_without_index": [round(t, 2) for t in times["off"]],
                "import_seconds_with_index": [round(t, 2) for t in times["on"]],
                "index_overhead_share": round((on - off) / off, 3),
                "documents": done.documents,
                "wordings": stats["wordings"],
                "current_clauses": stats["current_clauses"],
                "build_seconds": round(build_s, 2),
                "build_seconds_per_1000_wordings": round(build_s * per_k, 3),
                "index_bytes": size,
                "index_bytes_per_1000_wordings": round(size * per_k),
                "queries": len(queries),
                "hits": hits,
                "search_ms_median": round(statistics.median(full) * 1000, 2),
                "search_ms_p95": round(percentile(full, 0.95) * 1000, 2),
                "query_only_ms_median": round(statistics.median(alone) * 1000, 2),
                "query_only_ms_p95": round(percentile(alone, 0.95) * 1000, 2),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
