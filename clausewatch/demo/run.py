"""``clausewatch demo``: the main job, offline, on a bundled site and embedded defaults.

Three runs of the Prefect ``monitor`` flow (ephemeral API) into a local-directory store:

1. version 1 of the site: every document is captured for the first time;
2. version 2: real changes (a carve-out, a moved section, a changed notice period) are
   reported with a clause diff, the change event and the commands an auditor would run;
3. version 3: only noise changes (banner, promo, timestamps, link nonces, nav order), and
   nothing is reported.

The demo only ever empties a store that it created itself (marked with ``DEMO-STORE``).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from clausewatch.demo.site import DemoSite
from clausewatch.errors import InputError
from clausewatch.evidence.history import diff_versions
from clausewatch.pipeline import report
from clausewatch.storage.store import Store, open_store
from clausewatch.storage.verify import verify_store

MARKER = "DEMO-STORE"
_PREFECT_FLUSH_S = 3.0  # let the ephemeral API record the last task runs before exit


def prepare_store(url: str, fresh: bool) -> Path:
    """The demo's local store directory, emptied if (and only if) the demo made it."""
    parsed = urlparse(url)
    if parsed.scheme not in ("", "file"):
        raise InputError(f"the demo writes to a local directory; {url!r} is not one")
    root = Path(parsed.path if parsed.scheme else url).resolve()
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise InputError(
                f"{root} already holds data that the demo did not create; the demo will not "
                "touch it: pass --store with another directory"
            )
        if fresh:
            shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("Created by `clausewatch demo`; it may empty this directory.\n")
    return root


def run_demo(store_url: str = "./archive", fresh: bool = True) -> None:
    root = prepare_store(store_url, fresh)
    # the bundled site runs on 127.0.0.1, which real runs refuse to fetch (see netguard)
    os.environ["CLAUSEWATCH_ALLOW_PRIVATE_URLS"] = "1"
    asyncio.run(_demo(root))
    time.sleep(_PREFECT_FLUSH_S)


async def _demo(root: Path) -> None:
    from clausewatch.flows.monitor import monitor

    store = open_store(str(root))
    with DemoSite() as site, tempfile.TemporaryDirectory() as tmp:
        catalog = Path(tmp) / "catalog.yaml"
        catalog.write_text(site.catalog_yaml())
        _say(f"Demo site on {site.base_url}, store {root}, Prefect ephemeral API")
        for version, title in (
            (1, "first capture"),
            (2, "the policies change"),
            (3, "only noise changes"),
        ):
            site.set_version(version)
            cursor = store.last_cursor()
            _say(f"Run {version}: site version {version} ({title})")
            # the bundled site is local: a short gap between requests is polite enough
            results = await monitor(str(catalog), str(root), host_gap_s=0.2)
            _print_results(results)
            if version == 2:
                _print_changes(store, results, root)
            if version == 3:
                _print_quiet(store, results, cursor)
    _print_verify(store, root)


def _say(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 76 - len(title)), flush=True)


def _print_results(results: list[dict[str, Any]]) -> None:
    for r in results:
        detail = r["error"] or f"content {str(r['content_hash'])[:16]}  version {r['version']}"
        print(f"  {r['document']:28s} {r['status']:9s} {detail}")


def _print_changes(store: Store, results: list[dict[str, Any]], root: Path) -> None:
    changed = [r for r in results if r["changed"]]
    print(f"\nChanged: {', '.join(r['document'] for r in changed) or 'nothing'}")
    for r in changed:
        (_, old), (_, new), diff, lineages = diff_versions(store, r["document"], None, None)
        print(
            f"\n--- {r['document']}: version {old.version} -> {new.version}: {report.counts_text(diff)}"
        )
        print(report.diff_text(diff, lineages))
    if changed:
        first = changed[0]
        event = next(e for _, e in store.events() if e["id"] == first["event_id"])
        print(
            f"\nThe change event for {first['document']} (CloudEvents 1.0, from the store's event log):"
        )
        print(json.dumps(event, indent=2, ensure_ascii=False))
        print("\nWhat an auditor runs to retrieve and check the evidence:")
        print(f"  .venv/bin/clausewatch get {first['content_hash']} --store {root} -o clauses.json")
        print(f"  .venv/bin/clausewatch get {first['manifest']} --store {root} -o manifest.json")
        print(f"  .venv/bin/clausewatch verify --store {root}")
        print(f"  .venv/bin/clausewatch diff {first['document']} --store {root}")
        print(f"  .venv/bin/clausewatch history {first['document']} --store {root}")


def _print_quiet(store: Store, results: list[dict[str, Any]], cursor: int) -> None:
    changed = [r["document"] for r in results if r["changed"]]
    new_events = list(store.events(cursor))
    if changed or new_events:
        print(
            f"\nUNEXPECTED: noise was reported: changed={changed}, {len(new_events)} new event(s)"
        )
    else:
        print(
            "\nNothing reported: the banner, promo, timestamps, link nonces and nav order changed, "
            "the legal text did not; each check was recorded in a few hundred bytes."
        )


def _print_verify(store: Store, root: Path) -> None:
    result = verify_store(store)
    _say("Verify")
    print(
        f"  {result.blobs} blobs, {result.manifests} manifests, {result.versions} versions: "
        + ("hash verified" if result.ok else f"{len(result.problems)} PROBLEM(S)")
    )
    print(f"  Explore: .venv/bin/clausewatch events --store {root}")
