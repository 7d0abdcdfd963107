"""Secrets never leave: a full run with canary credentials, and every output grepped for them.

The run: the Prefect `monitor` flow (as `clausewatch run`) over the demo site plus a missing
page, into an S3 store (moto) reached with canary AWS keys; webhook deliveries signed with a
canary secret, to a receiver and to an endpoint that refuses connections; the Wayback queue
submitted with canary SPN2 keys to the local SPN2 server, which refuses some jobs; the
auditors' commands; and a run against an S3 endpoint that is down. Grepped: every command's
stdout and stderr, the flow run's Prefect logs and artifacts, every object in the bucket, every
webhook payload, and the log records of the in-process archiver.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import os
import subprocess
import sys
from pathlib import Path

import boto3
import httpx
import pytest

from clausewatch.demo.site import DemoSite
from clausewatch.storage.layout import WAYBACK_QUEUE as QUEUE
from clausewatch.storage.models import dump
from clausewatch.storage.records import Entry
from clausewatch.storage.store import open_store
from clausewatch.wayback.archive import process_queue
from clausewatch.wayback.client import WaybackClient, WaybackSettings
from tests.fake_wayback import serve
from tests.receiver import Receiver, start

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("prefect_harness")]

AWS_KEY_ID = "AKIACANARY7X2Q9LEAKS"
AWS_SECRET = "canarySecretKey/Must+Never+Leak+0123456789ab"
RAW_WEBHOOK_SECRET = b"canary-webhook-secret-32-bytes!!"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(RAW_WEBHOOK_SECRET).decode()
WAYBACK_KEY, WAYBACK_SECRET = "canaryWaybackAccess42", "canaryWaybackSecret42"
CANARIES = (
    AWS_KEY_ID,
    AWS_SECRET,
    WEBHOOK_SECRET,
    base64.b64encode(RAW_WEBHOOK_SECRET).decode(),
    RAW_WEBHOOK_SECRET.decode(),
    WAYBACK_KEY,
    WAYBACK_SECRET,
)


def leaks(text: str) -> list[str]:
    return [c for c in CANARIES if c in text]


def test_a_full_run_never_shows_a_secret(
    moto_endpoint: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    bucket = "canary-bucket"
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id=AWS_KEY_ID,
        aws_secret_access_key=AWS_SECRET,
    )
    s3.create_bucket(Bucket=bucket)
    receiver = Receiver(secret=WEBHOOK_SECRET)
    hook = start(receiver)
    wayback_server, wayback = serve()
    cli = str(Path(sys.executable).parent / "clausewatch")
    store_url = f"s3://{bucket}/evidence"
    env = dict(
        os.environ,
        PREFECT_API_URL=str(PREFECT_API_URL.value()),
        AWS_ACCESS_KEY_ID=AWS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=AWS_SECRET,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL_S3=moto_endpoint,
        CLAUSEWATCH_WEBHOOK_URLS=f"http://127.0.0.1:{hook.server_port}/hook,http://127.0.0.1:9/down",
        CLAUSEWATCH_WEBHOOK_SECRET=WEBHOOK_SECRET,
        WAYBACK_ACCESS_KEY=WAYBACK_KEY,
        WAYBACK_SECRET_KEY=WAYBACK_SECRET,
        CLAUSEWATCH_WAYBACK_URL=f"http://127.0.0.1:{wayback_server.server_port}",
        CLAUSEWATCH_WAYBACK_POLL_INTERVAL="0.05",
        # the runs keep their versions queued: the archiver below submits them (under
        # public-looking page URLs: a private page URL is never submitted), so the canary keys
        # really go to the SPN2 server
        CLAUSEWATCH_WAYBACK="off",
    )
    outputs: list[str] = []

    def cw(*args: str, **extra: str) -> None:
        done = subprocess.run(
            [cli, *args], env={**env, **extra}, capture_output=True, text=True, timeout=300
        )
        outputs.append(f"$ clausewatch {' '.join(args)}\n{done.stdout}\n{done.stderr}")

    with DemoSite() as site:
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            site.catalog_yaml()
            + "  - id: missing-page\n    entity: Nobody\n    title: Gone\n"
            + "    type: terms of service\n"
            + f"    url: {site.url('northwind-privacy')}-gone\n"
        )
        cw("run", "--catalog", str(catalog), "--store", store_url, "--host-gap", "0.1")
        site.set_version(2)
        cw("run", "--catalog", str(catalog), "--store", store_url, "--host-gap", "0.1", "--json")
        for args in (
            ["deliver"],
            ["events"],
            ["verify"],
            ["history", "northwind-privacy"],
            ["diff", "northwind-privacy"],
            ["cite", "northwind-terms"],
            ["digest", "--since", "7d"],
            ["get", "0" * 64, "--output", str(tmp_path / "nothing")],
        ):
            cw(*args, "--store", store_url)
        # the store's endpoint is down: the error must name it, not the keys
        cw("verify", "--store", store_url, AWS_ENDPOINT_URL_S3="http://127.0.0.1:9")

    # the Wayback queue, in this process, so its log records are captured too
    caplog.set_level(logging.DEBUG)
    settings = dataclasses.replace(
        WaybackSettings(),
        base_url=f"http://127.0.0.1:{wayback_server.server_port}",
        access_key=WAYBACK_KEY,
        secret_key=WAYBACK_SECRET,
        poll_interval_s=0.01,
    )
    os.environ.update(
        AWS_ACCESS_KEY_ID=AWS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=AWS_SECRET,
        AWS_ENDPOINT_URL_S3=moto_endpoint,
    )
    try:
        queued = open_store(store_url)
        for key in list(queued.backend.list(QUEUE)):  # the demo site's pages are on 127.0.0.1
            entry = Entry.model_validate_json(queued.backend.read(key))
            public = entry.model_copy(update={"url": f"https://example.org/{entry.document}"})
            queued.backend.overwrite(key, dump(public))
        with httpx.Client() as http:
            done = process_queue(open_store(store_url), WaybackClient(settings, http))
    finally:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_S3"):
            os.environ.pop(name, None)
    assert done and wayback.submissions, "the queue was not exercised"
    assert any(a and WAYBACK_SECRET in a for a in wayback.authorizations)  # the keys were used
    outputs.append("\n".join(f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records))
    outputs.append(repr(done))
    wayback_server.shutdown()
    hook.shutdown()

    async def prefect_texts() -> list[str]:
        async with get_client() as client:
            logs = await client.read_logs(limit=200)
            artifacts = await client.read_artifacts(limit=200)
        return [log.message for log in logs] + [str(a.data) for a in artifacts]

    outputs += asyncio.run(prefect_texts())
    objects = [
        s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode("utf-8", "replace")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    ]
    deliveries = [repr(e) for e in receiver.received]

    assert len(objects) > 30 and len(deliveries) >= 5  # the run really happened
    assert any("missing-page" in o and "404" in o for o in outputs)
    assert any("127.0.0.1:9" in o for o in outputs)  # the down endpoints are named
    for where, texts in (("output", outputs), ("store", objects), ("webhook", deliveries)):
        found = {c: t[max(0, t.find(c) - 300) : t.find(c) + 100] for t in texts for c in leaks(t)}
        assert not found, f"secrets in the {where}: {found}"
