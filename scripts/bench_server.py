"""`make bench SERVER=postgresql WORKERS=2`: the monitor flow on a real Prefect server and work pool.

`PrefectServer` starts `scripts/server.sh` (what `make server` runs: Prefect on a PostgreSQL
cluster of its own, or on SQLite) on free ports with its data in the benchmark's directory,
waits for its API, and when it stops reads the server's log for database errors and dropped
events. `WorkerPool` creates a `process` work pool, starts process workers on it (one flow run
at a time each), deploys the `monitor` flow from this checkout, and runs a phase as one flow
run per worker, all at once, waiting for every one to finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# what counts as a database error in the server's log (the SQLite persister's failure, locks,
# dropped events, any traceback)
PROBLEMS = re.compile(
    r"database is locked|NOT NULL constraint|[Dd]ropping \d+ events|[Dd]ropping event|Traceback"
    r"|\| (ERROR|CRITICAL) +\||IntegrityError|OperationalError|DBAPIError|DeadlockDetected"
    r"|TooManyConnections|QueuePool"
)
PG_PROBLEMS = re.compile(r"\b(ERROR|FATAL|PANIC):")  # in PostgreSQL's own log
# Prefect's task-run recorder racing another insert of the same task run: PostgreSQL logs the
# refused insert, and the recorder retries it (PrefectHQ/prefect#21807). Counted apart: it is
# Prefect's, handled by Prefect, and whether it happens depends on timing alone.
KNOWN_RACE = re.compile(r'duplicate key value violates unique constraint "pk_task_run"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrefectServer:
    """`scripts/server.sh` in the background: PostgreSQL (``database="postgresql"``) or
    SQLite; ``url`` is its API."""

    def __init__(self, work: Path, database: str) -> None:
        self.work, self.database = work, database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.log = work / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.used = "unknown"  # which database the server said it runs on

    def __enter__(self) -> PrefectServer:
        pgdata = self.work / "pg"
        # PostgreSQL runs as the `postgres` user when the benchmark runs as root: it must be
        # able to enter the benchmark's directory (which mkdtemp made private)
        self.work.chmod(0o711)
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
        env = dict(
            inherited,
            PREFECT=str(Path(sys.executable).parent / "prefect"),
            PREFECT_PORT=str(self.port),
            PGPORT=str(free_port()),
            CLAUSEWATCH_PGDATA=str(pgdata),
            PREFECT_HOME=str(self.work / "prefect-server"),
        )
        if self.database == "sqlite":
            env["CLAUSEWATCH_SERVER_DB"] = "sqlite"
        self.proc = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "server.sh")],
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stopped as a group: the script, Prefect, its workers
        )
        try:  # an error or Ctrl-C while it starts stops it too (it runs in its own session)
            self._wait()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the Prefect server exited:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(1)
        else:
            raise SystemExit(f"the Prefect server did not answer in 240 s:\n{self.tail()}")
        text = self.log.read_text(errors="replace")
        found = re.search(r"server: Prefect on (PostgreSQL [0-9.]+|SQLite)", text)
        self.used = found.group(1) if found else "SQLite"
        if self.database == "postgresql" and not self.used.startswith("PostgreSQL"):
            raise SystemExit(f"PostgreSQL was asked for, the server runs on SQLite:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Prefect, then PostgreSQL (server.sh stops it on its way out); if the script does not
        end within two minutes, the session is killed and the cluster stopped at once."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self._stop_cluster()

    def _stop_cluster(self) -> None:
        """pg_ctl runs the postmaster in a session of its own: killing the script's leaves it."""
        pgdata = self.work / "pg"
        if not (pgdata / "postmaster.pid").exists():
            return
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        for pg_ctl in sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)[:1]:
            subprocess.run(
                [*as_pg, str(pg_ctl), "stop", "-D", str(pgdata), "-m", "immediate"],
                capture_output=True,
                timeout=60,
            )

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def problems(self) -> tuple[list[str], list[str]]:
        """The lines of the server's log (so far: call it before stopping the server, whose
        shutdown may print tracebacks of its own) and of PostgreSQL's that name a database
        error or dropped events, and apart from them PostgreSQL's lines of the known recorder
        race (:data:`KNOWN_RACE`)."""
        found = [
            line.strip()
            for line in self.log.read_text(errors="replace").splitlines()
            if PROBLEMS.search(line)
        ]
        races: list[str] = []
        pg_log = self.work / "pg" / "postgres.log"
        if pg_log.exists():
            for line in pg_log.read_text(errors="replace").splitlines():
                if PG_PROBLEMS.search(line):
                    (races if KNOWN_RACE.search(line) else found).append(
                        f"postgres.log: {line.strip()}"
                    )
        return found, races


class WorkerPool:
    """A `process` work pool with ``count`` workers (``--limit 1`` each) and the `monitor`
    deployment; ``run`` starts one flow run per parameter set and waits for all of them."""

    def __init__(self, work: Path, env: dict[str, str], count: int) -> None:
        self.work, self.count = work, count
        self.name = f"bench-{uuid.uuid4().hex[:8]}"
        self.env = dict(
            env,
            PREFECT_WORKER_QUERY_SECONDS="1",
            PREFECT_WORKER_PREFETCH_SECONDS="1",
            PYTHONUNBUFFERED="1",
        )
        self.logs = [work / f"worker-{i}.log" for i in range(count)]
        self.workers: list[subprocess.Popen[bytes]] = []
        self.deployment: Any = None

    def __enter__(self) -> WorkerPool:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.actions import WorkPoolCreate

        from clausewatch.flows.monitor import monitor

        async def create() -> Any:
            async with get_client() as client:
                await client.create_work_pool(WorkPoolCreate(name=self.name, type="process"))
                flow_id = await client.create_flow(monitor)
                return await client.create_deployment(
                    flow_id=flow_id,
                    name=self.name,
                    work_pool_name=self.name,
                    entrypoint="flows/monitor.py:monitor",
                    path=str(ROOT),
                    pull_steps=[
                        {
                            "prefect.deployments.steps.set_working_directory": {
                                "directory": str(ROOT)
                            }
                        }
                    ],
                )

        self.deployment = asyncio.run(create())
        prefect = str(Path(sys.executable).parent / "prefect")
        start = [prefect, "worker", "start", "--pool", self.name, "--type", "process"]
        try:
            for log in self.logs:
                self.workers.append(
                    subprocess.Popen(
                        [*start, "--limit", "1"],
                        env=self.env,
                        cwd=ROOT,
                        stdout=log.open("wb"),
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # stopped with its flow runs and their browsers
                    )
                )
            deadline = time.monotonic() + 180
            while not all(b"started!" in log.read_bytes() for log in self.logs):
                if time.monotonic() > deadline:
                    raise SystemExit(f"the workers did not start:\n{self.tails()}")
                time.sleep(0.5)
        except BaseException:
            self.__exit__()
            raise
        return self

    def tails(self) -> str:
        return "\n---\n".join(
            "\n".join(log.read_text(errors="replace").splitlines()[-20:]) for log in self.logs
        )

    def run(self, parameters: list[dict[str, Any]], timeout_s: float = 3600) -> bool:
        """One flow run per parameter set, created at once; returns when all have finished,
        whether they ran at the same time (each began before any ended), and exits naming
        the run that did not complete."""
        from prefect.client.orchestration import get_client

        async def runs() -> list[Any]:
            async with get_client() as client:
                ids = [
                    (await client.create_flow_run_from_deployment(self.deployment, parameters=p)).id
                    for p in parameters
                ]
                deadline = time.monotonic() + timeout_s
                while time.monotonic() < deadline:
                    found = [await client.read_flow_run(i) for i in ids]
                    if all(r.state is not None and r.state.is_final() for r in found):
                        return found
                    await asyncio.sleep(0.25)
            raise SystemExit(f"flow runs did not finish in {timeout_s} s:\n{self.tails()}")

        finished = asyncio.run(runs())
        for flow_run in finished:
            if not flow_run.state.is_completed():
                raise SystemExit(
                    f"flow run {flow_run.name} ended {flow_run.state.name}:\n{self.tails()}"
                )
        return max(r.start_time for r in finished) < min(r.end_time for r in finished)

    def __exit__(self, *exc: object) -> None:
        """Each worker's session: the worker, any flow run it started, their Chromium."""
        for worker in self.workers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in self.workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(timeout=30)
            with contextlib.suppress(ProcessLookupError):  # what is left of its session
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def create_limits(pages: int, host: str) -> None:
    """The global limits an operator sets for a pool of workers sharing ``pages`` browser
    pages and one host (every page of the benchmark is on 127.0.0.1): created before the
    first run, so no run creates them with its own, smaller, share."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    from clausewatch.flows.limits import PAGES, host_limit

    async def create() -> None:
        async with get_client() as client:
            for name in (PAGES, host_limit(host)):
                await client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=pages)
                )

    asyncio.run(create())
