"""The S3 endpoint goes away mid-run and comes back: clean failures, then a clean catch-up."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from clausewatch.errors import StoreUnavailable
from clausewatch.pipeline.importer import import_batch
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.s3 import S3Backend
from clausewatch.storage.store import Store
from clausewatch.storage.verify import verify_store
from tests.conftest import s3_client
from tests.helpers import capture, page, target

pytestmark = pytest.mark.s3  # its own moto server, stopped and started again


def test_s3_outage_fails_cleanly_and_loses_nothing(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    bucket = f"cw-{uuid.uuid4().hex[:10]}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    store = Store(S3Backend(bucket, "x", client=s3_client(endpoint)))
    t = target()
    record_capture(store, t, capture(page("Before the outage.")))

    server.stop()  # the endpoint goes away
    with pytest.raises(StoreUnavailable, match="retry later"):
        record_capture(store, t, capture(page("During the outage."), 1))
    lines = [
        f'{{"document": "acme-privacy", "url": "https://example.org/p", "file": "{tmp_path / "p.html"}", "captured_at": "2026-01-01T00:02:00Z"}}'
    ]
    (tmp_path / "p.html").write_bytes(page("During the outage."))
    [outcome] = list(import_batch(store, lines))
    assert outcome.status == "error" and outcome.error_type == "StoreUnavailable"

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()  # it comes back (moto keeps its state in this process)
    try:
        again = record_capture(store, t, capture(page("During the outage."), 3))
        assert (again.status, again.changed) == ("changed", True)
        assert [e["type"].rsplit(".", 1)[1] for _, e in store.events()] == ["captured", "changed"]
        assert len({e["id"] for _, e in store.events()}) == 2
        assert verify_store(store).ok
    finally:
        server.stop()
