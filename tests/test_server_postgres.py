"""``make server`` on PostgreSQL (issue 16): ``scripts/server.sh`` creates a cluster in a data
directory of its own, starts Prefect's server on it, runs a flow against it, and on Ctrl-C stops
Prefect and PostgreSQL and leaves no process behind. Without PostgreSQL it says so in one line and
starts on SQLite.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import needs_postgresql, pg_bindir

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "server.sh"
PREFECT = Path(sys.executable).parent / "prefect"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def in_session(sid: int) -> list[str]:
    """The processes still running in the session the script was started in."""
    left = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid and fields[0] != "Z":  # state, ppid, pgrp, session
            left.append(Path(stat).parent.name)
    return left


def alive(pid: int) -> bool:
    """Running, not a zombie (an exited process that a container's init may never reap)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def gone(pid: int, within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def health(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


REPUBLISHED = 100
REPUBLISH = f"""
import uuid
from prefect.events import emit_event
from prefect.events.worker import EventsWorker
from clausewatch.flows.monitor import publish

def cloudevent(i):
    return {{"id": f"republished-{{i}}", "type": "dev.clausewatch.document.changed",
             "subject": f"doc-{{i}}", "data": {{}}}}

for i in range({REPUBLISHED}):
    publish(cloudevent(i))
for _ in range(1001):  # more events than the server remembers ids of
    emit_event(event="filler", resource={{"prefect.resource.id": f"filler.{{uuid.uuid4()}}"}})
EventsWorker.drain_all()
for i in range(2 * {REPUBLISHED}):  # the first {REPUBLISHED} again, then as many new ones
    publish(cloudevent(i))
EventsWorker.drain_all()
"""


def clausewatch_events(api: str) -> int:
    body = {
        "filter": {
            "resource": {"id_prefix": ["clausewatch.document."]},
            "occurred": {"since": "2000-01-01T00:00:00Z"},
        },
        "limit": 1,
    }
    request = urllib.request.Request(
        api + "/events/filter",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        total: int = json.load(response)["total"]
        return total


@pytest.fixture
def work() -> Iterator[Path]:
    # not tmp_path: pytest's base is private to root, and as root the cluster is run by the
    # unprivileged `postgres` user, who must be able to reach its data directory
    path = Path(tempfile.mkdtemp(prefix="clausewatch-pg-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def server_env(work: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PREFECT_API_URL", "PREFECT_API_DATABASE_CONNECTION_URL"}
    }
    env.update(
        PREFECT=str(PREFECT),
        PREFECT_HOME=str(work / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_PORT=str(free_port()),
        PGPORT=str(free_port()),
        CLAUSEWATCH_PGDATA=str(work / "pg"),
    )
    env.update(extra)
    return env


@pytest.mark.slow
@pytest.mark.prefect
@pytest.mark.timeout(120)
@needs_postgresql
def test_make_server_runs_prefect_on_a_local_postgresql_cluster(work: Path) -> None:
    env = server_env(work)
    api = f"http://127.0.0.1:{env['PREFECT_PORT']}/api"
    pgdata = work / "pg"
    log = (work / "server.log").open("w+")
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(SCRIPT)], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    postmaster = 0
    try:
        while not health(api):
            assert proc.poll() is None, Path(log.name).read_text()
            assert time.monotonic() - started < 90, Path(log.name).read_text()
            time.sleep(0.25)
        output = Path(log.name).read_text()
        assert f"server: Prefect on PostgreSQL {(pgdata / 'PG_VERSION').read_text().strip()}" in (
            output
        )
        assert "password" not in output.lower()
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
        assert alive(postmaster)

        # a flow against it, in a process of its own (as a worker would run one)
        flow = "from prefect import flow\n@flow\ndef trivial():\n    return 42\nprint(trivial())\n"
        ran = subprocess.run(
            [sys.executable, "-c", flow],
            env={**env, "PREFECT_API_URL": api},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.strip().splitlines()[-1] == "42"

        request = urllib.request.Request(
            api + "/flow_runs/filter",
            data=b"{}",
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            runs = json.load(response)
        assert [(r["flow_id"] is not None, r["state_type"]) for r in runs] == [(True, "COMPLETED")]

        # ... and it is in PostgreSQL's database, not in a SQLite file
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        query = "SELECT state_type FROM flow_run"
        psql = [*as_pg, f"{pg_bindir()}/psql", "-h", "127.0.0.1", "-p", env["PGPORT"]]
        rows = subprocess.run(
            [*psql, "-U", "prefect", "-d", "prefect", "-qtAX", "-c", query],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
        assert rows == ["COMPLETED"]
        assert not list((work / "prefect-home").glob("*.db"))

        # events published again once the server has forgotten their ids (it remembers 1,000):
        # on SQLite, Prefect 3.9 fails on such a batch (`NOT NULL constraint failed:
        # events.occurred`) and drops it and what is flushed with it; here each is stored once
        ran = subprocess.run(
            [sys.executable, "-c", REPUBLISH],
            env={**env, "PREFECT_API_URL": api},
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert ran.returncode == 0, ran.stderr
        deadline = time.monotonic() + 30
        while (stored := clausewatch_events(api)) < 2 * REPUBLISHED and time.monotonic() < deadline:
            time.sleep(0.5)
        assert stored == 2 * REPUBLISHED
        output = Path(log.name).read_text()
        assert "dropping" not in output and "NOT NULL" not in output

        # Ctrl-C in the terminal: the whole foreground group gets SIGINT
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) != 0
        assert "server: PostgreSQL stopped" in Path(log.name).read_text()
        assert not (pgdata / "postmaster.pid").exists()
        assert gone(postmaster)
        assert in_session(proc.pid) == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if postmaster and alive(postmaster):
            os.kill(postmaster, signal.SIGQUIT)
        log.close()


def test_without_postgresql_one_line_says_so_and_starts_on_sqlite(work: Path) -> None:
    # `echo` stands in for prefect: what matters is the line and the command it is given
    env = server_env(work, PG_BINDIR=str(work / "no-postgresql"), PREFECT="echo")
    ran = subprocess.run(
        [str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, check=True
    )
    assert ran.stderr.splitlines() == [
        "server: PostgreSQL not found (no pg_ctl and initdb on PATH, in PG_BINDIR or in"
        " /usr/lib/postgresql/*/bin): Prefect on SQLite; for PostgreSQL: apt-get install -y"
        " postgresql"
    ]
    assert ran.stdout.split() == [
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        env["PREFECT_PORT"],
    ]
    assert not (work / "pg").exists()
