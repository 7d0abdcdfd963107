#!/usr/bin/env python3
"""Monitoring at scale, measured in one run: what clausewatch adds to rendering pages.

Serves a local site of generated policy pages (100-300 KB each, their sections built by
JavaScript after load, with noise that changes on every request: a rotating promo, a clock, a
nonce in links), starts one Prefect API server (the test harness: SQLite), and runs:

  raw       a plain Playwright script: same Chromium, flags, viewport, pages at once and settle
            rule (load, network idle, DOM quiet), reading the DOM; no storage, no Prefect;
  first     the `monitor` flow over SMALL documents into an empty store (first versions);
  again     the `monitor` flow over the same documents: every page's bytes differ, its text
            does not (unchanged checks): store growth per check, steady-state throughput;
  plain     the same unchanged checks without Prefect (`clausewatch run --no-prefect`): the
            difference from `again` is Prefect's orchestration overhead per document;
  large     the `monitor` flow over LARGE documents into an empty store, sampling the RSS of
            the worker and its Chromium processes (the Prefect server is not counted).

The SMALL documents are split into rounds (--rounds, default about 100 documents each), and
each round runs raw and first on its own fresh documents, then raw, again and plain on them;
odd rounds run both groups in reverse order (ABBA), so a load that grows or fades weighs on
both sides of a ratio alike. A ratio is the median of its rounds' values, printed with its
spread and each round's value: a busy neighbour slows both sides of a round, not one phase.
A run's time is split where the site sees its first page requested: the start before (Python,
Prefect, the browser's launch; `start_seconds`, a fixed cost per run) and the pages after,
which the ratios compare, so short rounds measure the cost per document.

Each monitor run is a `clausewatch run` process, so its RSS is the worker's own.

With --server postgresql (or sqlite) the Prefect API is a real server instead, started by
`scripts/server.sh` (what `make server` runs) with its data in the benchmark's directory, and
with --workers N the `first` and `again` phases run as N flow runs at once of the `monitor`
deployment on a `process` work pool with N workers (one run each), each over its share of the
round's documents with PAGES / N pages at once; `plain` then runs N `--no-prefect` processes at
once over the same shares, so both sides render PAGES pages at a time, as `raw` does. With
--global-limits the runs share Prefect global concurrency limits (the pages and the one host,
set to PAGES beforehand as an operator would). The server's log is read at the end for
database errors and dropped events (`server`).

Prints one JSON object (keys in the README).
usage: bench.py [--small 500] [--large 2000, 0 to skip] [--rounds R]
                [--server harness|postgresql|sqlite] [--workers N] [--global-limits]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_server import PrefectServer, WorkerPool, create_limits

from clausewatch.pipeline.capture import (
    _DOM_QUIET_JS,
    CHROMIUM_ARGS,
    CaptureSettings,
    find_chromium,
)

PAGES = 4
ROUND = 100  # documents per round by default
WORDS = (
    "data personal information service account processing controller purposes consent third "
    "parties retention rights request law security transfer cookies provide use share may "
    "we you your our with for the and of to in by such as where when any other"
).split()


def policy_sections(doc: int) -> list[dict[str, Any]]:
    """The document's terms: deterministic per document, 100-300 KB once rendered."""
    rng = random.Random(doc)
    target = 100_000 + (doc * 7919) % 200_000
    sections, size = [], 0
    while size < target:
        paras = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90))).capitalize() + "."
            for _ in range(rng.randint(3, 8))
        ]
        sections.append({"h": f"{len(sections) + 1}. Section {rng.randint(1, 999)}", "p": paras})
        size += sum(len(p) for p in paras) + 40
    return sections


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Policy {doc}</title></head>
<body><nav><a href="/?n={nonce}">Home</a> <a href="/help?utm_source={nonce}">Help</a></nav>
<div id="cookie-banner"><p>We use cookies. {nonce}</p><button>Accept</button></div>
<aside class="promo">Offer {promo}: save now!</aside>
<main><h1>Privacy Policy {doc}</h1><div id="terms">Loading...</div></main>
<footer>Rendered at {clock}</footer>
<script>const DATA = {data};
setTimeout(() => {{
  const root = document.getElementById("terms"); root.textContent = "";
  for (const s of DATA) {{
    const sec = document.createElement("section"); const h = document.createElement("h2");
    h.textContent = s.h; sec.appendChild(h);
    for (const t of s.p) {{ const p = document.createElement("p"); p.textContent = t; sec.appendChild(p); }}
    root.appendChild(sec);
  }}
}}, 50);</script></body></html>"""


class Site:
    def __init__(self) -> None:
        cache: dict[int, str] = {}
        self.cache = cache
        requests: list[float] = []  # when each page was requested (time.time)
        self.requests = requests

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if not self.path.startswith("/doc/"):
                    self.send_error(404)
                    return
                requests.append(time.time())
                doc = int(self.path.rsplit("/", 1)[1])
                if doc not in cache:
                    cache[doc] = json.dumps(policy_sections(doc))
                nonce = hashlib.sha256(os.urandom(8)).hexdigest()[:12]
                body = PAGE.format(
                    doc=doc,
                    nonce=nonce,
                    promo=random.randint(1, 99),
                    clock=datetime.now(UTC).isoformat(),
                    data=cache[doc],
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def prepare(self, docs: range) -> None:
        for doc in docs:
            self.cache.setdefault(doc, json.dumps(policy_sections(doc)))

    def catalog(self, path: Path, docs: range) -> Path:
        lines = ["documents:"]
        for i in docs:
            lines += [
                f"  - id: policy-{i:05d}",
                "    entity: Bench",
                f"    title: Policy {i}",
                "    type: privacy policy",
                f"    url: {self.base}/doc/{i}",
            ]
        path.write_text("\n".join(lines) + "\n")
        return path


async def raw_render(urls: list[str]) -> float:
    """The baseline: render every URL with the same browser, concurrency and settle rule;
    returns when (time.time) the last page was read."""
    from playwright.async_api import async_playwright

    s = CaptureSettings()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=find_chromium(), args=list(CHROMIUM_ARGS)
        )
        width, height = s.viewport
        context = await browser.new_context(viewport={"width": width, "height": height})
        slots = asyncio.Semaphore(PAGES)
        done = [0.0]

        async def one(url: str) -> None:
            async with slots:
                page = await context.new_page()
                try:
                    await page.goto(url, wait_until="load", timeout=s.navigation_timeout_ms)
                    with contextlib.suppress(Exception):  # as capture does: idle is best effort
                        await page.wait_for_load_state("networkidle", timeout=s.idle_timeout_ms)
                    await page.evaluate(_DOM_QUIET_JS, [s.quiet_ms, s.settle_timeout_ms])
                    await page.content()
                    done[0] = max(done[0], time.time())
                finally:
                    await page.close()

        await asyncio.gather(*(one(u) for u in urls))
        await browser.close()
    return done[0]


def tree_rss_mb(root: int, skip: set[int]) -> float:
    """Memory of a process and its descendants (skipping ``skip`` subtrees), as the sum of
    their proportional set sizes (PSS: shared pages split between the processes sharing them,
    so Chromium's many processes are not each charged for the same libraries)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree and pid not in skip:
                tree.add(pid)
                grew = True
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def run_monitor(
    catalog: Path,
    store: Path,
    env: dict[str, str],
    prefect: bool = True,
    pages: int = PAGES,
    sample: bool = True,
) -> tuple[float, float, list[dict[str, Any]]]:
    """One `clausewatch run` process: (seconds, peak RSS in MB of it and Chromium, results;
    the RSS is 0 without ``sample``)."""
    cli = str(Path(sys.executable).parent / "clausewatch")
    args = [cli, "run", "--catalog", str(catalog), "--store", str(store)]
    args += ["--pages", str(pages), "--per-host", str(PAGES), "--host-gap", "0", "--json"]
    if not prefect:
        args.append("--no-prefect")
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0.0
    out: list[bytes] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()))  # type: ignore[union-attr]
    errors: list[bytes] = []
    err_reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    err_reader.start()
    while proc.poll() is None:
        if sample:
            peak = max(peak, tree_rss_mb(proc.pid, set()))
        time.sleep(0.25)
    elapsed = time.perf_counter() - started
    reader.join()
    err_reader.join()
    results = [json.loads(line) for line in out[0].splitlines() if line.startswith(b"{")]
    if not results:
        sys.exit(f"clausewatch run failed ({proc.returncode}):\n{errors[0][-3000:].decode()}")
    return elapsed, peak, results


def store_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def last_write(path: Path) -> float:
    """When (time.time) a file of the store was last written: the last document recorded."""
    return max(f.stat().st_mtime for f in path.rglob("*") if f.is_file())


def statuses(results: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def spread(values: list[float], digits: int) -> dict[str, float]:
    """The median of per-round values with their range and interquartile range."""
    q1, _, q3 = (
        statistics.quantiles(values, n=4, method="inclusive")
        if len(values) > 1
        else [values[0]] * 3
    )
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "iqr": round(q3 - q1, digits),
    }


def add_counts(total: dict[str, int], results: list[dict[str, Any]]) -> None:
    for status, n in statuses(results).items():
        total[status] = total.get(status, 0) + n


def stored_results(store: Path, docs: range, since: float) -> list[dict[str, Any]]:
    """What flow runs on workers did, read back from the store (their outcomes stay in the
    workers), in the CLI's words: a first version recorded after ``since`` is ``first``, a
    later one ``changed``, an unchanged check after it ``unchanged``; a document the phase
    left as it was is an ``error``."""
    from clausewatch.storage.store import open_store

    st = open_store(str(store))
    results = []
    for d in docs:
        head, _ = st.head(f"policy-{d:05d}")
        checked = st.last_checked(f"policy-{d:05d}")
        if head is not None and head.captured_at.timestamp() >= since:
            status = "first" if head.version == 1 else "changed"
        elif head is not None and checked is not None and checked.timestamp() >= since:
            status = "unchanged"
        else:
            status = "error"
        results.append({"status": status})
    return results


def shares(docs: range, n: int) -> list[range]:
    """``docs`` cut into ``n`` contiguous shares, one per worker."""
    cuts = [docs.start + len(docs) * k // n for k in range(n + 1)]
    return [range(cuts[k], cuts[k + 1]) for k in range(n)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=500)
    ap.add_argument("--large", type=int, default=2000, help="0 skips the large phase")
    ap.add_argument(
        "--rounds", type=int, default=0, help=f"default: rounds of about {ROUND} documents"
    )
    ap.add_argument(
        "--server",
        choices=("harness", "postgresql", "sqlite"),
        default="harness",
        help="the Prefect API: the test harness (SQLite), or scripts/server.sh on either",
    )
    ap.add_argument("--workers", type=int, default=0, help="process workers (with --server)")
    ap.add_argument("--global-limits", action="store_true", help="runs share global limits")
    a = ap.parse_args()
    rounds = a.rounds or max(1, round(a.small / ROUND))
    if not 1 <= rounds <= a.small:
        sys.exit("--rounds must be between 1 and --small")
    if a.workers and a.server == "harness":
        sys.exit("--workers needs --server postgresql or sqlite (a server the workers reach)")
    if not 0 <= a.workers <= PAGES or (a.workers and PAGES % a.workers):
        sys.exit(f"--workers must divide the {PAGES} pages at once: 1, 2 or 4")
    if a.small // rounds < max(1, a.workers):
        sys.exit("every round needs a document per worker: fewer --rounds or more --small")
    if a.global_limits and not a.workers:
        sys.exit("--global-limits needs --workers")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ["CLAUSEWATCH_ALLOW_PRIVATE_URLS"] = "1"  # the site is on 127.0.0.1
    work = Path(tempfile.mkdtemp(prefix="clausewatch-bench-"))
    os.environ.setdefault("PREFECT_HOME", str(work / "prefect"))
    site = Site()
    # round r's documents: a contiguous share of the small set, fresh for its first pass
    bounds = [a.small * r // rounds for r in range(rounds + 1)]
    chunks = [range(bounds[r], bounds[r + 1]) for r in range(rounds)]
    catalogs = [site.catalog(work / f"small-{r}.yaml", c) for r, c in enumerate(chunks)]
    ways = max(1, a.workers)  # runs at once in a phase, each over its share of the documents
    parts = [
        [
            (part, site.catalog(work / f"small-{r}-{k}.yaml", part))
            for k, part in enumerate(shares(c, ways))
        ]
        for r, c in enumerate(chunks)
    ]
    warm = site.catalog(work / "warm.yaml", range(a.small + a.large, a.small + a.large + 1))
    large = site.catalog(work / "large.yaml", range(a.large)) if a.large else None
    site.prepare(range(a.small))  # no phase pays for generating the pages' terms
    store = work / "store-small"

    per_round: list[dict[str, Any]] = []
    counts: dict[str, dict[str, int]] = {"first": {}, "again": {}, "plain": {}}
    with contextlib.ExitStack() as stack:  # stops the server and workers however the run ends
        server: PrefectServer | None = None
        if a.server != "harness":  # before Prefect is imported: its settings see this API
            server = stack.enter_context(PrefectServer(work, a.server))
            os.environ["PREFECT_API_URL"] = server.url

        from prefect.settings import PREFECT_API_URL
        from prefect.testing.utilities import prefect_test_harness

        if server is None:
            stack.enter_context(prefect_test_harness(server_startup_timeout=120))
        env = dict(os.environ, PREFECT_API_URL=str(PREFECT_API_URL.value()))
        env["PREFECT_RESULTS_LOCAL_STORAGE_PATH"] = str(work / "results")
        pool = stack.enter_context(WorkerPool(work, env, a.workers)) if a.workers else None
        if a.global_limits:
            create_limits(PAGES, "127.0.0.1")
        # warm-up, not counted: the first process of each kind pays for cold caches
        asyncio.run(raw_render([f"{site.base}/doc/{a.small + a.large}"]))
        run_monitor(warm, work / "store-warm", env)
        if pool is not None:  # and each worker's first flow run
            pool.run(
                [
                    {"catalog": str(warm), "store": str(work / f"store-warm-{k}")}
                    for k in range(a.workers)
                ]
            )
        peak = {"first": 0.0}

        overlapped: dict[str, bool] = {}  # whether every phase's flow runs ran at once

        def on_workers(name: str, round_parts: list[tuple[range, Path]]) -> None:
            """A phase as flow runs on the pool (first, again) or as as many processes
            without Prefect (plain), all at once, each over its share."""
            since = time.time()
            if name == "plain":
                with ThreadPoolExecutor(len(round_parts)) as threads:
                    done = threads.map(  # no memory sampling: the flow runs have none either
                        lambda part: run_monitor(
                            part[1], store, env, False, PAGES // ways, sample=False
                        ),
                        round_parts,
                    )
                    for _, _, results in done:
                        add_counts(counts[name], results)
                return
            assert pool is not None
            at_once = pool.run(
                [
                    {
                        "catalog": str(catalog),
                        "store": str(store),
                        "pages": PAGES // ways,
                        "per_host": PAGES,
                        "host_gap_s": 0.0,
                        "global_limits": a.global_limits,
                    }
                    for _, catalog in round_parts
                ]
            )
            overlapped[name] = overlapped.get(name, True) and at_once
            for docs, _ in round_parts:
                add_counts(counts[name], stored_results(store, docs, since))

        def phase(
            name: str,
            urls: list[str],
            catalog: Path,
            r: dict[str, Any],
            round_parts: list[tuple[range, Path]],
        ) -> None:
            """One measured run of a round: raw renders, or a `clausewatch run` into the store.
            Its seconds are split in three: the start (Python, Prefect, the browser's launch)
            until the site sees the first page requested, the pages until the last page is
            read (raw) or the last document written to the store, and the finish."""
            seen = len(site.requests)
            started = time.time()
            if name.startswith("raw"):
                last = asyncio.run(raw_render(urls))
            elif a.workers:
                before = store_bytes(store)
                on_workers(name, round_parts)
                if name == "again":
                    r["grown"] = store_bytes(store) - before
                last = last_write(store)
            else:
                before = store_bytes(store)
                _, rss, results = run_monitor(catalog, store, env, prefect=name != "plain")
                if name == "first":
                    peak["first"] = max(peak["first"], rss)
                if name == "again":
                    r["grown"] = store_bytes(store) - before
                add_counts(counts[name], results)
                last = last_write(store)
            ended = time.time()
            first_request = site.requests[seen]
            r["start"][name] = first_request - started
            r["seconds"][name] = last - first_request
            r["finish"][name] = ended - last

        for i, (docs, catalog, round_parts) in enumerate(zip(chunks, catalogs, parts, strict=True)):
            urls = [f"{site.base}/doc/{d}" for d in docs]
            # ABBA: odd rounds run each pair the other way round, so a load that grows or
            # fades during a round weighs on both sides of a ratio alike
            fresh, steady = ["raw_first", "first"], ["raw", "again", "plain"]
            if i % 2:
                fresh.reverse()
                steady.reverse()
            r: dict[str, Any] = {"seconds": {}, "start": {}, "finish": {}}
            for name in fresh + steady:
                phase(name, urls, catalog, r, round_parts)
            n, t = len(docs), r["seconds"]
            per_round.append(
                {
                    "documents": n,
                    "order": fresh + steady,
                    "first_pass_throughput_ratio": round(t["raw_first"] / t["first"], 3),
                    "throughput_ratio": round(t["raw"] / t["again"], 3),
                    "overhead_ms_per_document": round(1000 * (t["again"] - t["plain"]) / n, 1),
                    "bytes_per_unchanged_check": round(r["grown"] / n, 1),
                    "seconds": {k: round(v, 2) for k, v in t.items()},
                    "start": {k: round(v, 2) for k, v in r["start"].items()},
                    "finish": {k: round(v, 2) for k, v in r["finish"].items()},
                }
            )
        if large is not None:
            large_s, large_rss, big = run_monitor(large, work / "store-large", env)
        # the server's log up to here: not what it prints while it is being stopped
        problems, races = server.problems() if server is not None else ([], [])

    def figures(key: str) -> list[float]:
        return [x[key] for x in per_round]

    def total(key: str) -> float:
        return sum(x["seconds"][key] for x in per_round)

    def fixed(part: str, key: str) -> float:
        return statistics.median(x[part][key] for x in per_round)

    phases = ("raw_first", "first", "raw", "again", "plain")
    ratio = spread(figures("throughput_ratio"), 3)
    first_ratio = spread(figures("first_pass_throughput_ratio"), 3)
    overhead = spread(figures("overhead_ms_per_document"), 1)
    summary: dict[str, Any] = {
        "throughput_ratio": ratio["median"],
        "bytes_per_unchanged_check": round(
            sum(x["bytes_per_unchanged_check"] * x["documents"] for x in per_round) / a.small, 1
        ),
        "peak_rss_mb": None,
        "growth_ratio": None,
        "overhead_ms_per_document": overhead["median"],
        "first_pass_throughput_ratio": first_ratio["median"],
        "spread": {
            "throughput_ratio": ratio,
            "first_pass_throughput_ratio": first_ratio,
            "overhead_ms_per_document": overhead,
        },
        "raw_pages_per_s": round(a.small / total("raw"), 2),
        "monitor_pages_per_s": round(a.small / total("again"), 2),
        "first_pass_pages_per_s": round(a.small / total("first"), 2),
        "no_prefect_pages_per_s": round(a.small / total("plain"), 2),
        "seconds": {k: round(total(k), 1) for k in phases},
        "start_seconds": {k: round(fixed("start", k), 2) for k in phases},
        "finish_seconds": {k: round(fixed("finish", k), 2) for k in phases},
        "rounds": per_round,
        "documents": {"small": a.small, "large": a.large, "rounds": rounds},
        "peak_rss_mb_small": round(peak["first"], 1) if not a.workers else None,
        "statuses": dict(counts),
        "pages_at_once": PAGES,
        "prefect": {
            "api": "test harness (SQLite)"
            if server is None
            else f"scripts/server.sh ({server.used})",
            "workers": a.workers or None,
            "global_limits": a.global_limits,
            "runs_at_once": overlapped or None,
        },
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "date": datetime.now(UTC).date().isoformat(),
    }
    if large is not None:
        # seconds per document of one run at LARGE over one at SMALL: the first passes'
        # pages, one start and one finish
        per_small = (total("first") + fixed("start", "first") + fixed("finish", "first")) / a.small
        summary["peak_rss_mb"] = round(large_rss, 1)
        summary["growth_ratio"] = round((large_s / a.large) / per_small, 3)
        summary["seconds"]["large"] = round(large_s, 1)
        summary["statuses"]["large"] = statuses(big)
    if server is not None:
        summary["prefect"]["server_log_problems"] = len(problems)
        summary["prefect"]["server_log_problem_lines"] = problems[:10]
        summary["prefect"]["postgres_task_run_races"] = len(races)  # Prefect's, retried by it
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
