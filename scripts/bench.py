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

Each monitor run is a `clausewatch run` process, so its RSS is the worker's own.
Prints one JSON object (keys in the README). usage: bench.py [--small 500] [--large 2000]
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
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clausewatch.pipeline.capture import (
    _DOM_QUIET_JS,
    CHROMIUM_ARGS,
    CaptureSettings,
    find_chromium,
)

PAGES = 4
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

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if not self.path.startswith("/doc/"):
                    self.send_error(404)
                    return
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

    def catalog(self, path: Path, count: int) -> Path:
        lines = ["documents:"]
        for i in range(count):
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
    """The baseline: render every URL with the same browser, concurrency and settle rule."""
    from playwright.async_api import async_playwright

    s = CaptureSettings()
    started = time.perf_counter()  # like a monitor run, the browser's launch is counted
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=find_chromium(), args=list(CHROMIUM_ARGS)
        )
        width, height = s.viewport
        context = await browser.new_context(viewport={"width": width, "height": height})
        slots = asyncio.Semaphore(PAGES)

        async def one(url: str) -> None:
            async with slots:
                page = await context.new_page()
                try:
                    await page.goto(url, wait_until="load", timeout=s.navigation_timeout_ms)
                    with contextlib.suppress(Exception):  # as capture does: idle is best effort
                        await page.wait_for_load_state("networkidle", timeout=s.idle_timeout_ms)
                    await page.evaluate(_DOM_QUIET_JS, [s.quiet_ms, s.settle_timeout_ms])
                    await page.content()
                finally:
                    await page.close()

        await asyncio.gather(*(one(u) for u in urls))
        await browser.close()
    return time.perf_counter() - started


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
    catalog: Path, store: Path, env: dict[str, str], prefect: bool = True
) -> tuple[float, float, list[dict[str, Any]]]:
    """One `clausewatch run` process: (seconds, peak RSS in MB of it and Chromium, results)."""
    cli = str(Path(sys.executable).parent / "clausewatch")
    args = [cli, "run", "--catalog", str(catalog), "--store", str(store)]
    args += ["--pages", str(PAGES), "--per-host", str(PAGES), "--host-gap", "0", "--json"]
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


def statuses(results: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=500)
    ap.add_argument("--large", type=int, default=2000)
    a = ap.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ["CLAUSEWATCH_ALLOW_PRIVATE_URLS"] = "1"  # the site is on 127.0.0.1
    work = Path(tempfile.mkdtemp(prefix="clausewatch-bench-"))
    os.environ.setdefault("PREFECT_HOME", str(work / "prefect"))
    site = Site()
    small = site.catalog(work / "small.yaml", a.small)
    large = site.catalog(work / "large.yaml", a.large)

    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        env = dict(os.environ, PREFECT_API_URL=str(PREFECT_API_URL.value()))
        env["PREFECT_RESULTS_LOCAL_STORAGE_PATH"] = str(work / "results")
        raw_s = asyncio.run(raw_render([f"{site.base}/doc/{i}" for i in range(a.small)]))
        first_s, first_rss, first = run_monitor(small, work / "store-small", env)
        before = store_bytes(work / "store-small")
        again_s, _, again = run_monitor(small, work / "store-small", env)
        grown = store_bytes(work / "store-small") - before
        plain_s, _, plain = run_monitor(small, work / "store-small", env, prefect=False)
        large_s, large_rss, big = run_monitor(large, work / "store-large", env)

    per_small, per_large = first_s / a.small, large_s / a.large
    summary = {
        "throughput_ratio": round((a.small / again_s) / (a.small / raw_s), 3),
        "bytes_per_unchanged_check": round(grown / a.small, 1),
        "peak_rss_mb": round(large_rss, 1),
        "growth_ratio": round(per_large / per_small, 3),
        "overhead_ms_per_document": round(1000 * (again_s - plain_s) / a.small, 1),
        "raw_pages_per_s": round(a.small / raw_s, 2),
        "monitor_pages_per_s": round(a.small / again_s, 2),
        "first_pass_pages_per_s": round(a.small / first_s, 2),
        "first_pass_throughput_ratio": round((a.small / first_s) / (a.small / raw_s), 3),
        "no_prefect_pages_per_s": round(a.small / plain_s, 2),
        "seconds": {
            "raw": round(raw_s, 1),
            "first": round(first_s, 1),
            "again": round(again_s, 1),
            "plain": round(plain_s, 1),
            "large": round(large_s, 1),
        },
        "documents": {"small": a.small, "large": a.large},
        "peak_rss_mb_small": round(first_rss, 1),
        "statuses": {
            "first": statuses(first),
            "again": statuses(again),
            "plain": statuses(plain),
            "large": statuses(big),
        },
        "pages_at_once": PAGES,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "date": datetime.now(UTC).date().isoformat(),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
