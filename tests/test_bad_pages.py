"""Hostile and broken pages: each gives a clear error or a sane result, never a crash."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clausewatch.errors import ExtractionError, FetchError
from clausewatch.extractors import extract
from clausewatch.pipeline.capture import CaptureSettings, Renderer
from clausewatch.pipeline.catalog import CatalogDocument
from clausewatch.pipeline.model import Capture, Outcome


@pytest.mark.slow
def test_a_page_with_50000_elements() -> None:
    html = "<main>" + "".join(f"<p>Clause {i} of the terms.</p>" for i in range(50_000)) + "</main>"
    clauses = extract(html).clauses
    assert len(clauses) == 50_000 and clauses[-1].text == "Clause 49999 of the terms."


def test_a_large_page() -> None:
    paragraph = "<p>" + "We process personal data lawfully. " * 40 + "</p>"
    html = ("<html><body><main>" + paragraph * 8_000 + "</main></body></html>").encode()
    assert len(html) > 10_000_000
    assert len(extract(html).clauses) == 8_000


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"", "text/html"),
        (b"   \n\t ", "text/html"),
    ],
)
def test_non_html_and_empty_answers_are_extraction_failures(body: bytes, content_type: str) -> None:
    with pytest.raises(ExtractionError):
        extract(body, content_type=content_type)


def test_plain_text_is_read_as_text() -> None:
    assert [
        c.text for c in extract(b"Terms of service. You agree.", content_type="text/plain").clauses
    ] == ["Terms of service. You agree."]


class _Hostile(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
            return
        status = {"/gone": 410, "/error": 500, "/missing": 404}.get(self.path, 200)
        body = b"<html><body><p>Please verify you are a human.</p></body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def hostile() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.browser
def test_http_errors_and_redirect_loops_are_named(hostile: str) -> None:
    def doc(path: str) -> CatalogDocument:
        return CatalogDocument(id="x", entity="E", title="T", type="t", url=hostile + path)

    async def go() -> list[object]:
        async with Renderer(
            CaptureSettings(host_gap_s=0, navigation_timeout_ms=5_000, idle_timeout_ms=500)
        ) as r:
            return list(
                await asyncio.gather(
                    *(
                        r.capture(doc(p))
                        for p in ("/loop", "/gone", "/error", "/missing", "/challenge")
                    ),
                    return_exceptions=True,
                )
            )

    loop, gone, error, missing, challenge = asyncio.run(go())
    assert (
        isinstance(loop, FetchError)
        and "ERR_TOO_MANY_REDIRECTS" in str(loop)
        and not loop.transient
    )
    assert isinstance(gone, FetchError) and gone.status == 410 and not gone.transient
    assert isinstance(error, FetchError) and error.status == 500 and error.transient
    assert isinstance(missing, FetchError) and missing.status == 404
    # a bot challenge answers 200: it is captured as what it is, and its text is the evidence
    assert isinstance(challenge, Capture) and b"verify you are a human" in (challenge.dom or b"")


@pytest.mark.browser
def test_a_50_mb_page_through_the_browser(tmp_path: pytest.TempPathFactory) -> None:
    """A 50 MB policy next to a normal one: both rendered, stored and verified whole."""
    from pathlib import Path

    from clausewatch.pipeline.monitor import monitor_documents
    from clausewatch.storage.store import open_store
    from clausewatch.storage.verify import verify_store

    paragraph = ("We process personal data lawfully and keep it safe. " * 100).encode()
    big = (
        b"<html><body><main>"
        + b"".join(b"<p>%d. " % i + paragraph + b"</p>" for i in range(10_000))
        + b"</main></body></html>"
    )
    assert len(big) > 50_000_000
    small = b"<html><body><main><p>Small terms.</p></main></body></html>"

    class Pages(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = big if self.path == "/big" else small
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    base = f"http://127.0.0.1:{server.server_port}"
    docs = [
        CatalogDocument(id=name, entity="A", title="T", type="terms", url=f"{base}/{name}")
        for name in ("big", "small")
    ]
    store = open_store(str(Path(str(tmp_path)) / "store"))

    async def run() -> list[Outcome]:
        settings = CaptureSettings(pages=2, per_host=2, host_gap_s=0)
        async with Renderer(settings) as renderer:
            return list(await monitor_documents(renderer, store, docs))

    outcomes = {o.document: o for o in asyncio.run(run())}
    server.shutdown()
    assert outcomes["small"].status == "first"
    big_outcome = outcomes["big"]
    # Chromium's inspector drops a body this large: it is fetched again (it was refused
    # with "Request content was evicted from inspector cache" before)
    assert big_outcome.status == "first", big_outcome.error
    head, _ = store.head("big")
    assert head is not None
    manifest = store.get_manifest(head.manifest)
    assert manifest.blobs["response"].size == len(big)
    assert manifest.extraction.clause_count == 10_000
    assert verify_store(store).ok
