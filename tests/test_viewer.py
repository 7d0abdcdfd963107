"""The auditors' viewer, driven in real Chromium: pages load, the diff shows, a download
verifies, and a captured page's script-injection attempt does not run."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import async_playwright

from clausewatch.pipeline.capture import CHROMIUM_ARGS, find_chromium
from clausewatch.pipeline.model import Capture
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from clausewatch.web.viewer import create_app
from tests.helpers import T0, target

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
HOSTILE = (
    "<main><h1>Terms</h1><p>We keep data for {days} days.</p>"
    "<p>&lt;script&gt;window.__pwned = 1&lt;/script&gt; &lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;</p>"
    "</main>"
)


@pytest.fixture
def viewer(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    store = Store(LocalBackend(tmp_path / "store"))
    for minute, days in enumerate(("30", "14")):
        body = HOSTILE.format(days=days).encode()
        cap = Capture(
            url="https://acme.example/terms",
            captured_at=T0.replace(minute=minute),
            source="import",
            body=body,
            screenshot=_png(),
        )
        record_capture(store, target("acme-terms"), cap)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(store, tmp_path / "index.sqlite"),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", store
    server.should_exit = True
    thread.join(timeout=10)


def _png() -> bytes:
    """A real 1x1 PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


async def browse(base: str) -> dict[str, object]:
    ARTIFACTS.mkdir(exist_ok=True)
    seen: dict[str, object] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=find_chromium(), args=list(CHROMIUM_ARGS))
        page = await browser.new_page(viewport={"width": 1200, "height": 800})
        for name, path in (
            ("documents", "/"),
            ("document", "/doc/acme-terms"),
            ("diff", "/doc/acme-terms/diff"),
            ("cite", "/doc/acme-terms/cite"),
            ("clause", "/doc/acme-terms/clause/c2"),
            ("search", "/search?q=script"),
        ):
            response = await page.goto(base + path)
            assert response is not None
            seen[f"{name}_status"] = response.status
            seen[f"{name}_text"] = await page.inner_text("body")
            seen[f"{name}_pwned"] = await page.evaluate(
                "window.__pwned === undefined ? null : window.__pwned"
            )
            seen[f"{name}_html"] = await page.inner_html("body")
            seen[f"{name}_csp"] = response.headers.get("content-security-policy")
            await page.screenshot(path=str(ARTIFACTS / f"viewer-{name}.png"), full_page=True)
        await page.goto(base + "/doc/acme-terms")
        link = page.locator("a", has_text="manifest").first
        href = str(await link.get_attribute("href"))
        async with page.expect_download() as info:
            await link.click()
        download = await info.value
        seen["download_name"] = href.rsplit("/", 1)[1]
        seen["download_sha256"] = hashlib.sha256(
            Path(str(await download.path())).read_bytes()
        ).hexdigest()
        await browser.close()
    return seen


def test_viewer_in_chromium(viewer: tuple[str, Store]) -> None:
    base, _ = viewer
    seen = asyncio.run(browse(base))
    pages = ("documents", "document", "diff", "cite", "clause", "search")
    assert all(seen[f"{n}_status"] == 200 for n in pages)
    assert "Acme" in str(seen["documents_text"]) and "hash verified" in str(seen["document_text"])
    assert "<del>30</del> <ins>14</ins>" in str(seen["diff_html"])
    # the captured text is shown as text, and nothing of it runs
    assert "<script>window.__pwned = 1</script>" in str(seen["cite_text"])
    assert "&lt;script&gt;" in str(seen["cite_html"])
    assert all(seen[f"{n}_pwned"] is None for n in pages)
    assert all("default-src 'none'" in str(seen[f"{n}_csp"]) for n in pages)
    # the search page lists the clause holding the hostile text, as text, nothing of it run
    assert "<[script]>window.__pwned = 1</[script]>" in str(seen["search_text"])  # [match]
    # the history at a glance: an inline SVG, a mark per version, each but the first linked
    assert str(seen["document_html"]).count("<rect") == 2 and "<svg" in str(seen["clause_html"])
    # the diff links each changed clause to its timeline, which shows both wordings
    assert "/doc/acme-terms/clause/c2" in str(seen["diff_html"])
    assert "<del>30</del> <ins>14</ins>" in str(seen["clause_html"])
    assert "1 change(s)" in str(seen["clause_text"]) and "hash verified" in str(seen["clause_text"])
    # a download from the browser hashes to the name it was asked for by
    assert seen["download_sha256"] == seen["download_name"]


def test_downloads_are_verified_and_never_rendered(viewer: tuple[str, Store]) -> None:
    base, store = viewer
    head, _ = store.head("acme-terms")
    assert head is not None
    manifest = store.get_manifest(head.manifest)
    page_hash = manifest.blobs["response"].sha256
    response = httpx.get(f"{base}/blob/{page_hash}")
    assert response.status_code == 200 and hashlib.sha256(response.content).hexdigest() == page_hash
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment")
    shot = httpx.get(f"{base}/doc/acme-terms/v/2/screenshot")
    assert shot.headers["content-type"] == "image/png" and shot.content.startswith(b"\x89PNG")


def test_viewer_has_no_write_endpoints_and_reports_corruption(viewer: tuple[str, Store]) -> None:
    base, store = viewer
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert httpx.request(method, f"{base}/doc/acme-terms").status_code == 405
    assert httpx.get(f"{base}/doc/nope").status_code == 404
    head, _ = store.head("acme-terms")
    assert head is not None
    store.backend.overwrite(f"blobs/{head.content_hash[:2]}/{head.content_hash}", b"tampered")
    listing = httpx.get(f"{base}/doc/acme-terms")
    assert "FAILED" in listing.text
    assert httpx.get(f"{base}/blob/{head.content_hash}").status_code == 409
