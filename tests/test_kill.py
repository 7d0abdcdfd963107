"""SIGKILL at random points of an import, many times over: after every restart the store
verifies, heads are consistent, and every capture that was acknowledged is there.

The number of kills is CLAUSEWATCH_KILL_LOOPS (8 by default, bounded for CI; raise it for a
soak run)."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from clausewatch.storage.verify import verify_store
from tests.helpers import page

LOOPS = int(os.environ.get("CLAUSEWATCH_KILL_LOOPS", "8"))


def batch(tmp_path: Path, n: int) -> Path:
    lines = []
    for i in range(n):
        f = tmp_path / f"{i:04d}.html"
        f.write_bytes(
            page(f"Clause text number {i // 2}.", noise=str(i))
        )  # every other step changes
        lines.append(
            json.dumps(
                {
                    "document": f"doc-{i % 3}",
                    "url": "https://x.example/",
                    "file": str(f),
                    "captured_at": f"2026-01-01T{i // 60:02d}:{i % 60:02d}:00Z",
                }
            )
        )
    path = tmp_path / "steps.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def acknowledged_are_there(store: Store, acks: list[dict[str, object]]) -> None:
    for ack in acks:
        if ack["status"] in ("first", "changed"):
            chain = {h for h, _ in store.chain(str(ack["document"]))}
            assert ack["manifest"] in chain, ack
        elif ack["status"] == "unchanged":
            assert store.get_manifest(str(ack["manifest"]))


def run_import(cli: str, steps: Path, root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [cli, "import", "--batch", str(steps), "--store", str(root), "--json", "--workers", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )


def expected_versions() -> int:
    expected = 0
    for d in range(3):
        texts = [i // 2 for i in range(90) if i % 3 == d]
        expected += 1 + sum(1 for a, b in itertools.pairwise(texts) if a != b)
    return expected


@pytest.mark.slow
@pytest.mark.timeout(120 + 10 * LOOPS)  # a round of three kills and a full import: ~10 s
def test_sigkill_loops(tmp_path: Path) -> None:
    """Rounds of: a fresh store, up to three imports each killed part-way through, then one
    that runs to the end. Every kill lands while the import is still running (a kill after it
    finished is not counted), at a random point of an uninterrupted import's duration."""
    steps = batch(tmp_path, 90)
    cli = str(Path(sys.executable).parent / "clausewatch")
    rng = random.Random(1234)
    start = time.monotonic()
    run_import(cli, steps, tmp_path / "reference").communicate()
    whole = time.monotonic() - start  # an uninterrupted import, start-up included
    kills = rounds = 0
    while kills < LOOPS:
        root = tmp_path / f"store-{rounds}"
        store = Store(LocalBackend(root))
        acks: list[dict[str, object]] = []
        for _ in range(3):
            if kills >= LOOPS:
                break
            proc = run_import(cli, steps, root)
            time.sleep(rng.uniform(0.2, 1.0) * whole)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            else:  # it finished first: the reference run was slower (a busy machine)
                whole *= 0.8
            out, _ = proc.communicate()
            acks += [json.loads(line) for line in out.splitlines() if line.endswith("}")]
            report = verify_store(store)
            assert report.ok, (rounds, report.problems)
            acknowledged_are_there(store, acks)
        done = subprocess.run(
            [cli, "import", "--batch", str(steps), "--store", str(root), "--json"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        # lines a killed import already recorded are older than the head now: each is an
        # error line ("older than the latest version"), so the batch exits 1 (import exits 1
        # when any line was an error); nothing else may fail
        rows = [json.loads(line) for line in done.stdout.splitlines() if line.endswith("}")]
        errors = [r for r in rows if r["status"] == "error"]
        assert all("older than the latest version" in str(r["error"]) for r in errors), errors
        assert done.returncode == (1 if errors else 0), done.stderr
        assert verify_store(store).ok
        acknowledged_are_there(store, acks)
        # the whole history is there once, exactly as an uninterrupted import makes it
        versions = sum(len(list(store.chain(f"doc-{d}"))) for d in range(3))
        assert versions == expected_versions(), rounds
        ids = [e["id"] for _, e in store.events()]
        # one event per version, none lost, none twice
        assert len(ids) == len(set(ids)) == expected_versions(), (rounds, len(ids))
        rounds += 1
        assert rounds <= 2 * LOOPS + 5, f"only {kills} kills landed in {rounds} rounds"
    print(f"\nkill loop: {kills} kills mid-import over {rounds} rounds, 0 events lost")
