"""A bundled local demo website serving fictional Northwind AI policy pages.

The site has a switchable version (1, 2, 3): v1 is the baseline, v2 makes
substantive policy changes, v3 changes only page noise relative to v2. See
:mod:`clausewatch.demo.pages` for where the content and differences live.
"""

from __future__ import annotations

import html
import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import urlsplit

from clausewatch.demo.pages import ENTITY, STUB_PAGES, check_version, policy_for
from clausewatch.demo.render import render_document, render_simple_page


@dataclass(frozen=True)
class DemoPage:
    id: str
    path: str
    title: str
    type: str


PAGES: tuple[DemoPage, ...] = (
    DemoPage(
        id="northwind-privacy",
        path="/privacy",
        title="Northwind AI Privacy Policy",
        type="privacy policy",
    ),
    DemoPage(
        id="northwind-terms",
        path="/terms",
        title="Northwind AI Terms of Service",
        type="terms of service",
    ),
    DemoPage(
        id="northwind-acceptable-use",
        path="/acceptable-use",
        title="Northwind AI Acceptable Use Policy",
        type="acceptable use policy",
    ),
)

_PAGES_BY_ID = {page.id: page for page in PAGES}
_PAGES_BY_PATH = {page.path: page for page in PAGES}


def _page(page_id: str) -> DemoPage:
    try:
        return _PAGES_BY_ID[page_id]
    except KeyError:
        raise ValueError(f"unknown demo page id {page_id!r}") from None


def render_page(page_id: str, version: int, rng: random.Random, now: datetime) -> str:
    """Render one policy page; all noise comes from ``rng`` and ``now``."""
    _page(page_id)
    return render_document(policy_for(page_id, version), version, rng, now)


def _render_index() -> str:
    items = "".join(
        f'<li><a href="{html.escape(page.path)}">{html.escape(page.title)}</a></li>'
        for page in PAGES
    )
    return render_simple_page("Northwind AI Legal", f"<ul>{items}</ul>")


def _render_stub(title: str) -> str:
    body = "<p>This page is part of the Northwind AI demo site.</p>"
    return render_simple_page(title, body + '<p><a href="/">Back to Legal</a></p>')


def _respond(path: str, version: int) -> tuple[int, str]:
    """Return (HTTP status, HTML body) for a request path."""
    if path in _PAGES_BY_PATH:
        page_id = _PAGES_BY_PATH[path].id
        now = datetime.now(UTC)
        return 200, render_page(page_id, version, random.Random(), now)
    if path == "/":
        return 200, _render_index()
    if path in STUB_PAGES:
        return 200, _render_stub(STUB_PAGES[path])
    return 404, render_simple_page("Page not found", "<p>No such page.</p>")


class _DemoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: DemoSite) -> None:
        super().__init__(address, _Handler)
        self.site = site


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._reply(send_body=True)

    def do_HEAD(self) -> None:
        self._reply(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the demo server quiet (no request log on stderr)."""

    def _reply(self, send_body: bool) -> None:
        site = cast(_DemoServer, self.server).site
        status, text = _respond(urlsplit(self.path).path, site.version)
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)


class DemoSite:
    """The demo website, served from a daemon thread on ``host:port``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, version: int = 1) -> None:
        check_version(version)
        self._host = host
        self._port = port
        self._version = version
        self._lock = threading.Lock()
        self._server: _DemoServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Start serving (idempotent) and return the base URL."""
        if self._server is None:
            server = _DemoServer((self._host, self._port), self)
            thread = threading.Thread(
                target=server.serve_forever, name="clausewatch-demo-site", daemon=True
            )
            thread.start()
            self._server, self._thread = server, thread
        return self.base_url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("demo site is not running; call start() first")
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def version(self) -> int:
        with self._lock:
            return self._version

    def set_version(self, version: int) -> None:
        check_version(version)
        with self._lock:
            self._version = version

    def url(self, page_id: str) -> str:
        return self.base_url + _page(page_id).path

    def catalog_yaml(self) -> str:
        """A clausewatch catalog listing the three demo pages."""
        lines = ["documents:"]
        for page in PAGES:
            lines += [
                f"  - id: {page.id}",
                f"    entity: {ENTITY}",
                f"    title: {page.title}",
                f"    type: {page.type}",
                f"    url: {self.url(page.id)}",
            ]
        return "\n".join(lines) + "\n"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
