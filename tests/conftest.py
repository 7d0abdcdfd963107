"""Shared fixtures: real local parts only.

- stores: a local directory and S3 through moto's HTTP server (``ThreadedMotoServer``);
- pages: the bundled demo site on 127.0.0.1, rendered by a real Chromium;
- Prefect: one ``prefect_test_harness`` per session, with a temporary PREFECT_HOME and
  result storage so nothing leaks between runs.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

# Prefect reads its settings when imported: isolate it before anything imports it.
_PREFECT_TMP = tempfile.mkdtemp(prefix="clausewatch-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_TMP
os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"] = os.path.join(_PREFECT_TMP, "results")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
# the tests' sites run on 127.0.0.1; test_security turns the refusal back on where it is tested
os.environ["CLAUSEWATCH_ALLOW_PRIVATE_URLS"] = "1"
# the search index is kept by `import` and `run` in ~/.cache unless told otherwise: tests that
# are about the index give it a file of their own (tests/test_index.py)
os.environ["CLAUSEWATCH_INDEX"] = "off"
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
import pytest  # noqa: E402

from clausewatch.demo.site import DemoSite  # noqa: E402
from clausewatch.storage.local import LocalBackend  # noqa: E402
from clausewatch.storage.s3 import S3Backend  # noqa: E402
from clausewatch.storage.store import Store  # noqa: E402
from tests.fake_wayback import FakeWayback, serve  # noqa: E402

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint: str) -> S3Client:
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


@pytest.fixture
def s3_bucket(moto_endpoint: str) -> str:
    bucket = f"cw-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
def s3_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point boto3 at moto the standard way (AWS_ENDPOINT_URL_S3), as users point it at MinIO."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_endpoint)
    return moto_endpoint


@pytest.fixture
def wayback() -> Iterator[tuple[str, FakeWayback]]:
    """A local Save Page Now 2 server (tests/fake_wayback.py): its base URL and its state."""
    server, fake = serve()
    yield f"http://127.0.0.1:{server.server_port}", fake
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """The same tests run against both backends."""
    if request.param == "local":
        return Store(LocalBackend(tmp_path / "store"))
    endpoint = request.getfixturevalue("moto_endpoint")
    bucket = request.getfixturevalue("s3_bucket")
    return Store(S3Backend(bucket, "archive", client=s3_client(endpoint)))


@pytest.fixture
def demo_site() -> Iterator[DemoSite]:
    with DemoSite() as site:
        yield site


@pytest.fixture
def static_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server over a temporary folder: (base URL, folder)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    root = tmp_path / "site"
    root.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", root
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``prefect`` on every test that starts the Prefect harness and ``s3`` on every test
    that talks to moto's server (the ``s3`` variant of ``store``, or a moto fixture), so
    the fast lane (``make test-fast``) can leave them out."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "prefect_harness" in fixtures:
            item.add_marker(pytest.mark.prefect)
        callspec = getattr(item, "callspec", None)
        on_s3 = callspec is not None and "s3" in callspec.params.values()
        if on_s3 or fixtures & {"moto_endpoint", "s3_bucket", "s3_env"}:
            item.add_marker(pytest.mark.s3)
