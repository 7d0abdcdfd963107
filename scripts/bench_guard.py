"""What the SSRF guard costs: the same pages rendered with the guarding proxy and without.

Serves the generated policy pages of scripts/bench.py on 127.0.0.1 and renders them with
clausewatch's Renderer, alternating rounds with the guard on (every connection through the
in-process proxy; its policy told to treat the local site's port as public) and off, and
prints one JSON: pages per second each way, median of the rounds, and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import PAGES, Site

from clausewatch.net.guardproxy import public_only
from clausewatch.net.netguard import Address
from clausewatch.pipeline.capture import CaptureSettings, Renderer
from clausewatch.pipeline.catalog import CatalogDocument


async def render(urls: list[str], guard: bool, port: int) -> float:
    settings = CaptureSettings(
        pages=PAGES, per_host=PAGES, host_gap_s=0, allow_private=not guard, screenshot="none"
    )

    def policy(host: str, p: int, addresses: list[Address]) -> str | None:
        return None if p == port else public_only(host, p, addresses)

    docs = [
        CatalogDocument(id=f"d{i}", entity="E", title="T", type="t", url=url)
        for i, url in enumerate(urls)
    ]
    async with Renderer(settings, policy=policy) as renderer:
        t0 = time.perf_counter()
        await asyncio.gather(*(renderer.capture(d) for d in docs))
        return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    a = parser.parse_args()
    site = Site()
    port = site.server.server_port
    urls = [f"{site.base}/doc/{i}" for i in range(a.pages)]
    on: list[float] = []
    off: list[float] = []
    for _ in range(a.rounds):  # interleaved, so both see the same machine
        off.append(a.pages / asyncio.run(render(urls, False, port)))
        on.append(a.pages / asyncio.run(render(urls, True, port)))
    site.server.shutdown()
    ratios = [x / y for x, y in zip(on, off, strict=True)]
    print(
        json.dumps(
            {
                "pages": a.pages,
                "rounds": a.rounds,
                "guarded_pages_per_s": round(statistics.median(on), 2),
                "unguarded_pages_per_s": round(statistics.median(off), 2),
                "guarded_ratio_median": round(statistics.median(ratios), 3),
                "guarded_ratio_range": [round(min(ratios), 3), round(max(ratios), 3)],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
