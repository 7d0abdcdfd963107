"""Rendering real pages from the bundled demo site with a real Chromium."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from clausewatch.demo.site import DemoSite
from clausewatch.errors import CaptureTimeout, ExtractionError, FetchError
from clausewatch.extractors import extract
from clausewatch.pipeline.capture import CaptureSettings, Renderer
from clausewatch.pipeline.catalog import CatalogDocument
from clausewatch.pipeline.model import Capture
from clausewatch.retry import is_transient

pytestmark = pytest.mark.browser
FAST = CaptureSettings(
    pages=4,
    per_host=4,
    host_gap_s=0,
    navigation_timeout_ms=10_000,
    idle_timeout_ms=2_000,
    quiet_ms=400,
)


def doc(url: str, wait_for: str | None = None) -> CatalogDocument:
    return CatalogDocument(
        id="demo",
        entity="Northwind AI",
        title="T",
        type="privacy policy",
        url=url,
        wait_for=wait_for,
    )


async def capture_all(
    *docs: CatalogDocument, settings: CaptureSettings = FAST
) -> list[Capture | BaseException]:
    async with Renderer(settings) as renderer:
        return list(
            await asyncio.gather(*(renderer.capture(d) for d in docs), return_exceptions=True)
        )


def test_capture_keeps_the_evidence_and_the_script_built_section(demo_site: DemoSite) -> None:
    [cap] = asyncio.run(capture_all(doc(demo_site.url("northwind-privacy"))))
    assert isinstance(cap, Capture), cap
    assert cap.status == 200 and cap.final_url == demo_site.url("northwind-privacy")
    assert cap.headers["content-type"].startswith("text/html")
    assert cap.screenshot is not None and cap.screenshot[:8] == b"\x89PNG\r\n\x1a\n"
    assert cap.browser is not None and cap.browser.startswith("Chromium ")
    assert cap.dom is not None
    assert set(cap.timings_ms) == {"load", "settle", "evidence", "total"}
    rendered = [c.text for c in extract(cap.dom).clauses]
    served = [c.text for c in extract(cap.body).clauses]
    assert "Your choices and rights" in rendered  # built by JavaScript after load
    assert "Your choices and rights" not in served
    assert not any("cookie" in t.lower() and "accept" in t.lower() for t in rendered)


def test_screenshot_modes(static_site: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The first screen by default; the whole page, or none, when asked."""
    import dataclasses
    import struct

    base, root = static_site
    (root / "long.html").write_text("<main>" + "<p>Clause.</p>" * 400 + "</main>")
    heights = {}
    for mode in ("viewport", "full", "none"):
        settings = dataclasses.replace(FAST, screenshot=mode)
        [cap] = asyncio.run(capture_all(doc(f"{base}/long.html"), settings=settings))
        assert isinstance(cap, Capture), cap
        shot = cap.screenshot
        heights[mode] = struct.unpack(">I", shot[20:24])[0] if shot else None
    assert heights["viewport"] == FAST.viewport[1]
    assert heights["full"] is not None and heights["full"] > 5 * FAST.viewport[1]
    assert heights["none"] is None
    monkeypatch.setenv("CLAUSEWATCH_SCREENSHOT", "everything")
    with pytest.raises(ValueError, match="CLAUSEWATCH_SCREENSHOT"):
        CaptureSettings()


def test_many_pages_share_one_browser(demo_site: DemoSite) -> None:
    docs = [
        doc(demo_site.url(p))
        for p in ("northwind-privacy", "northwind-terms", "northwind-acceptable-use")
    ] * 3
    caps = asyncio.run(capture_all(*docs))
    assert all(not isinstance(c, BaseException) for c in caps)


def test_http_errors_and_unreachable_hosts(demo_site: DemoSite) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    missing, refused, waiting = asyncio.run(
        capture_all(
            doc(demo_site.base_url + "/no-such-page"),
            doc(f"http://127.0.0.1:{dead}/privacy"),
            doc(demo_site.url("northwind-terms"), wait_for="#never-there"),
            settings=CaptureSettings(
                navigation_timeout_ms=3_000, idle_timeout_ms=1_000, quiet_ms=200
            ),
        )
    )
    assert isinstance(missing, FetchError) and missing.status == 404 and not is_transient(missing)
    assert "404" in str(missing) and "/no-such-page" in str(missing)
    assert (
        isinstance(refused, FetchError)
        and is_transient(refused)
        and "ERR_CONNECTION_REFUSED" in str(refused)
    )
    assert isinstance(waiting, CaptureTimeout) and is_transient(waiting)


def test_capture_records_whether_the_page_settled(
    demo_site: DemoSite, static_site: tuple[str, Path]
) -> None:
    base, root = static_site
    (root / "busy.html").write_text(
        "<html><body><main><p>Terms.</p><p id=t>0</p></main>"
        "<script>setInterval(() => { t.textContent = Date.now(); }, 50)</script></body></html>"
    )
    settings = CaptureSettings(idle_timeout_ms=1_000, quiet_ms=300, settle_timeout_ms=1_500)
    busy, calm = asyncio.run(
        capture_all(
            doc(f"{base}/busy.html"), doc(demo_site.url("northwind-terms")), settings=settings
        )
    )
    assert isinstance(busy, Capture) and busy.settled is False
    assert isinstance(calm, Capture) and calm.settled is True


async def print_pdf(html: str) -> bytes:
    """A real PDF, printed by Chromium from HTML."""
    async with Renderer(FAST) as renderer:
        assert renderer._context is not None
        page = await renderer._context.new_page()
        await page.set_content(html)
        return bytes(await page.pdf())


POLICY_PDF = (
    "<h1>Acme Terms</h1><h2>1. Data</h2><p>We keep your data for {days} days after you close "
    "your account, unless the law requires longer.</p><h2>2. Rights</h2><p>You may ask for a copy.</p>"
)


def test_pdf_documents_are_captured_and_compared(
    static_site: tuple[str, Path], tmp_path: Path
) -> None:
    from clausewatch.evidence.history import clauses_of, versions
    from clausewatch.pipeline.monitor import target_of
    from clausewatch.pipeline.record import record_capture
    from clausewatch.storage.local import LocalBackend
    from clausewatch.storage.store import Store

    base, root = static_site
    store = Store(LocalBackend(tmp_path / "store"))
    document = doc(f"{base}/terms.pdf")
    outcomes = []
    for days in ("thirty", "thirty", "fourteen"):
        (root / "terms.pdf").write_bytes(asyncio.run(print_pdf(POLICY_PDF.format(days=days))))
        [cap] = asyncio.run(capture_all(document))
        assert isinstance(cap, Capture), cap
        assert cap.body.startswith(b"%PDF-") and cap.dom is None and cap.screenshot is None
        outcomes.append(record_capture(store, target_of(document), cap))
    assert [o.status for o in outcomes] == ["first", "unchanged", "changed"]
    assert outcomes[2].diff is not None
    [change] = outcomes[2].diff.changes
    assert change.word_diff == (
        "We keep your data for [-thirty-] {+fourteen+} days after you close your account, "
        "unless the law requires longer."
    )
    [(_, latest), *_] = versions(store, "demo")
    assert [c.text for c in clauses_of(store, latest)][:2] == ["Acme Terms", "1. Data"]


def test_unreadable_pdf_is_an_extraction_failure() -> None:
    with pytest.raises(ExtractionError, match="PDF"):
        extract(b"%PDF-1.7\n garbage that is not a PDF")


def test_politeness_per_host(tmp_path: Path) -> None:
    """At most one page of the host at once, and at least 0.3 s between request starts."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    starts: list[float] = []
    active = [0, 0]  # now, most at once

    class Slow(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path != "/favicon.ico":
                starts.append(time.monotonic())
                active[0] += 1
                active[1] = max(active)
                time.sleep(0.1)
                active[0] -= 1
            body = b"<main><p>Terms.</p></main>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    settings = CaptureSettings(
        pages=4, per_host=1, host_gap_s=0.3, idle_timeout_ms=500, quiet_ms=100
    )
    docs = [doc(f"http://127.0.0.1:{server.server_port}/p{i}") for i in range(4)]
    caps = asyncio.run(capture_all(*docs, settings=settings))
    server.shutdown()
    assert all(isinstance(c, Capture) for c in caps)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 4 and min(gaps) >= 0.29
    assert active[1] == 1


def test_the_host_gap_holds_for_requests_queued_behind_other_pages() -> None:
    """Two pages of one host wait for page slots held by another host's slow pages; when the
    slots free up together they must still start ``host_gap_s`` apart (they started together
    when the gap was taken before the wait for a slot)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    starts: dict[str, float] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            starts[self.path] = time.monotonic()
            if self.path.startswith("/slow"):
                time.sleep(1.5)
            body = b"<main><p>Terms of the service.</p></main>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    # one server per loopback address: the slow pages are of two other hosts, so they take
    # both page slots at once
    servers = [ThreadingHTTPServer((f"127.0.0.{n}", 0), Handler) for n in (1, 2, 3)]
    for server in servers:
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
    settings = CaptureSettings(
        pages=2, per_host=2, host_gap_s=1.0, idle_timeout_ms=300, quiet_ms=50, screenshot="none"
    )
    a, slow0, slow1 = (
        f"http://127.0.0.{n}:{s.server_port}" for n, s in zip((1, 2, 3), servers, strict=True)
    )
    docs = [doc(f"{slow0}/slow0"), doc(f"{slow1}/slow1"), doc(f"{a}/a0"), doc(f"{a}/a1")]
    caps = asyncio.run(capture_all(*docs, settings=settings))
    for server in servers:
        server.shutdown()
        server.server_close()
    assert all(isinstance(c, Capture) for c in caps), caps
    assert starts["/a1"] - starts["/a0"] >= 0.9
    # and they did wait for the slow pages (the situation this test is about)
    assert starts["/a0"] >= max(starts["/slow0"], starts["/slow1"]) + 1.0


def _chromium_descendants() -> list[int]:
    """PIDs of the Chromium processes started from this test process."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            pid, rest = int(entry.name), stat.rsplit(")", 1)
            parents[pid] = int(rest[1].split()[1])
            names[pid] = stat[stat.index("(") + 1 : stat.rindex(")")]
    mine, found = {os.getpid()}, []
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in mine and pid not in mine:
                mine.add(pid)
                changed = True
                if "chrom" in names[pid]:
                    found.append(pid)
    return found


def test_a_looping_page_times_out_and_a_killed_browser_is_relaunched(
    demo_site: DemoSite, static_site: tuple[str, Path]
) -> None:
    base, root = static_site
    (root / "loop.html").write_text(
        "<main><p>Terms.</p></main><script>setTimeout(() => { while (true) {} }, 50)</script>"
    )
    settings = CaptureSettings(
        host_gap_s=0,
        navigation_timeout_ms=2_000,
        idle_timeout_ms=500,
        quiet_ms=200,
        settle_timeout_ms=1_000,
        evidence_timeout_ms=3_000,
    )

    async def scenario() -> tuple[object, object, object]:
        async with Renderer(settings) as renderer:
            looping = await asyncio.gather(
                renderer.capture(doc(f"{base}/loop.html")), return_exceptions=True
            )
            after_loop = await renderer.capture(doc(demo_site.url("northwind-terms")))
            for pid in _chromium_descendants():  # Chromium crashes
                with contextlib.suppress(ProcessLookupError):  # a child may go with its parent
                    os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.5)
            after_crash = await renderer.capture(doc(demo_site.url("northwind-privacy")))
            return looping[0], after_loop, after_crash

    looping, after_loop, after_crash = asyncio.run(scenario())
    assert isinstance(looping, CaptureTimeout) and "looping" in str(looping)
    assert isinstance(after_loop, Capture) and after_loop.status == 200
    assert isinstance(after_crash, Capture) and after_crash.status == 200


def test_legacy_charset_pages_come_out_right_live_and_re_extracted(
    static_site: tuple[str, Path], tmp_path: Path
) -> None:
    """A windows-1252 page (declared in its <meta>) renders to a UTF-8 DOM: the clauses,
    their hashes and a later re-extraction must read "café", never "cafÃ©"."""
    from clausewatch.evidence.history import clauses_of, versions
    from clausewatch.pipeline.monitor import target_of
    from clausewatch.pipeline.record import record_capture
    from clausewatch.pipeline.reextract import reextract
    from clausewatch.storage.local import LocalBackend
    from clausewatch.storage.store import Store

    base, root = static_site
    html = (
        '<html><head><meta charset="windows-1252"><title>Conditions</title></head><body><main>'
        "<h1>Conditions générales</h1><p>Le café est servi à Müller, à l'été 2026.</p>"
        "<p>Les données sont conservées « trente » jours.</p></main></body></html>"
    )
    (root / "cgu.html").write_bytes(html.encode("cp1252"))
    document = doc(f"{base}/cgu.html")
    [cap] = asyncio.run(capture_all(document))
    assert isinstance(cap, Capture), cap
    store = Store(LocalBackend(tmp_path / "store"))
    record_capture(store, target_of(document), cap)
    [(_, latest)] = versions(store, "demo")
    text = " ".join(c.text for c in clauses_of(store, latest))
    assert "Le café est servi à Müller" in text and "« trente »" in text
    assert "Ã" not in text
    rebuilt = reextract(store, "demo")
    assert (rebuilt.versions_before, rebuilt.versions_after) == (1, 1)
    [(_, again)] = versions(store, "demo")
    assert again.content_hash == latest.content_hash
