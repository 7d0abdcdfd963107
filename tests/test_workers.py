"""Two Prefect process workers on one work pool run the `monitor` deployment over the same
catalog and store at the same time: one version per real change, one event per version, no
corrupted head, a store that verifies."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clausewatch.demo.site import DemoSite
from tests.helpers import assert_one_version_per_change

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("prefect_harness")]
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def pool_and_workers(tmp_path: Path) -> Iterator[tuple[str, list[Path]]]:
    """A fresh `process` work pool and two workers on it, each running one flow at a time."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.settings import PREFECT_API_URL

    pool = f"test-pool-{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        async with get_client() as client:
            await client.create_work_pool(WorkPoolCreate(name=pool, type="process"))

    asyncio.run(create())
    env = dict(
        os.environ,
        PREFECT_API_URL=str(PREFECT_API_URL.value()),
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_WORKER_PREFETCH_SECONDS="1",
        PREFECT_RESULTS_LOCAL_STORAGE_PATH=str(tmp_path / "results"),
        PYTHONUNBUFFERED="1",
    )
    prefect = str(Path(sys.executable).parent / "prefect")
    logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
    workers = [
        subprocess.Popen(
            [prefect, "worker", "start", "--pool", pool, "--type", "process", "--limit", "1"],
            env=env,
            cwd=REPO,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        # Runs are queued only once both workers poll: a worker that is still starting when
        # the first run is queued lets the other one take both runs, one after the other.
        deadline = time.monotonic() + 120
        while not all(b"started!" in log.read_bytes() for log in logs):
            if time.monotonic() > deadline:
                raise AssertionError(
                    "workers did not start: "
                    + " | ".join(log.read_text(errors="replace")[-1500:] for log in logs)
                )
            time.sleep(0.5)
        yield pool, logs
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()


def test_two_prefect_workers_one_store(
    pool_and_workers: tuple[str, list[Path]], tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client

    from clausewatch.flows.monitor import monitor

    pool, logs = pool_and_workers  # the logs are shown if the runs do not finish
    store_dir = str(tmp_path / "shared")
    with DemoSite() as site:
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(site.catalog_yaml())

        async def deploy() -> Any:
            async with get_client() as client:
                flow_id = await client.create_flow(monitor)
                return await client.create_deployment(
                    flow_id=flow_id,
                    name=f"two-workers-{uuid.uuid4().hex[:6]}",
                    work_pool_name=pool,
                    entrypoint="flows/monitor.py:monitor",
                    path=str(REPO),
                    pull_steps=[
                        {
                            "prefect.deployments.steps.set_working_directory": {
                                "directory": str(REPO)
                            }
                        }
                    ],
                )

        deployment = asyncio.run(deploy())
        # Three pages on one host, 2 s apart: a run lasts long enough (4 s of captures after
        # its process starts) for the other worker's next poll (every 1 s) to take the other
        # run while it goes on, even on a busy machine.
        parameters = {"catalog": str(catalog), "store": store_dir, "host_gap_s": 2.0}

        async def two_runs() -> list[Any]:
            async with get_client() as client:
                ids = [
                    (
                        await client.create_flow_run_from_deployment(
                            deployment, parameters=parameters
                        )
                    ).id
                    for _ in range(2)
                ]
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    runs = [await client.read_flow_run(i) for i in ids]
                    if all(r.state is not None and r.state.is_final() for r in runs):
                        return runs
                    await asyncio.sleep(1)
            raise AssertionError(
                "flow runs did not finish: "
                + " | ".join(log.read_text(errors="replace")[-1500:] for log in logs)
            )

        first = asyncio.run(two_runs())
        site.set_version(2)
        second = asyncio.run(two_runs())

    for run in first + second:
        assert run.state is not None and run.state.is_completed(), run.state
    # the two runs of a round overlapped: with one run at a time per worker, two workers
    for pair in (first, second):
        assert max(r.start_time for r in pair) < min(r.end_time for r in pair), pair
    assert_one_version_per_change(store_dir)
