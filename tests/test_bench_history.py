"""`make bench-history` runs end to end and prints its ratios (tiny sizes: a smoke test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_history_prints_a_ratio_for_every_operation(tmp_path: Path) -> None:
    command = ["scripts/bench_history.py", "--docs", "3", "--s3-docs", "2", "--repeat", "1"]
    result = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(result.stderr.splitlines()) < 10, result.stderr[:2000]  # not moto's request log
    figures = json.loads(result.stdout)
    for backend in ("local", "s3"):
        operations = figures[backend]["operations"]
        assert set(operations) == {"monitor", "digest", "deliver", "archive", "verify"}
        assert all(op["ratio"] > 0 and op["ratio_to_quarter"] > 0 for op in operations.values())
    assert figures["s3"]["operations"]["monitor"]["s3_requests_per_document"]["year"] > 0
