"""`make bench SERVER=postgresql WORKERS=2 LIMITS=1` runs end to end (tiny sizes: a smoke test):
the phases run as flow runs on two process workers at once, every document is recorded and
then checked unchanged, and the server's log holds no database error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import needs_postgresql

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.prefect
@pytest.mark.timeout(600)
@needs_postgresql
def test_bench_on_postgresql_with_two_workers() -> None:
    # not tmp_path: pytest's base is private to root, and as root the cluster is run by the
    # unprivileged `postgres` user, who must be able to reach its data directory
    work = Path(tempfile.mkdtemp(prefix="clausewatch-bench-test-"))
    work.chmod(0o711)
    try:
        figures = _bench(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert figures["statuses"] == {
        "first": {"first": 4},
        "again": {"unchanged": 4},
        "plain": {"unchanged": 4},
    }
    prefect = figures["prefect"]
    assert prefect["api"].startswith("scripts/server.sh (PostgreSQL"), prefect
    assert prefect["workers"] == 2 and prefect["global_limits"] is True
    assert prefect["runs_at_once"] == {"first": True, "again": True}, prefect
    assert prefect["server_log_problems"] == 0, prefect["server_log_problem_lines"]


def _bench(work: Path) -> dict[str, Any]:
    command = ["scripts/bench.py", "--small", "4", "--large", "0", "--rounds", "1"]
    command += ["--server", "postgresql", "--workers", "2", "--global-limits"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CLAUSEWATCH_"))}
    result = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
        env=dict(env, TMPDIR=str(work)),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


def test_the_known_prefect_task_run_race_is_counted_apart(tmp_path: Path) -> None:
    """Found by a fresh-clone run: PostgreSQL's line for Prefect's task-run recorder race
    (retried by Prefect, PrefectHQ/prefect#21807) failed the benchmark test when the timing
    made it happen. It is counted apart; any other database error is still a problem."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from bench_server import PrefectServer  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    server = PrefectServer(tmp_path, "postgresql")
    server.log.write_text("started\n")
    (tmp_path / "pg").mkdir(exist_ok=True)
    (tmp_path / "pg" / "postgres.log").write_text(
        '2026-12-04 23:38:20 UTC [1] ERROR:  duplicate key value violates unique constraint "pk_task_run"\n'
        '2026-12-04 23:38:21 UTC [1] ERROR:  relation "x" does not exist\n'
    )
    problems, races = server.problems()
    assert len(races) == 1 and "pk_task_run" in races[0]
    assert problems == [
        'postgres.log: 2026-12-04 23:38:21 UTC [1] ERROR:  relation "x" does not exist'
    ]
