"""Rendering pages in Chromium with Playwright, and keeping the evidence.

One browser and one context serve a whole run; at most ``pages`` pages render at once. A page
is captured once it has settled: the ``load`` event, then network idle (bounded), then the
``wait_for`` selector if the catalog names one, then a DOM quiet period (no mutations for
``quiet_ms``, bounded by ``settle_timeout_ms``).

The evidence kept: the main document's HTTP response body, status, headers and final URL; the
rendered DOM; a PNG screenshot (of the viewport unless CLAUSEWATCH_SCREENSHOT=full); the
browser version; timings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urlparse, urlsplit

from playwright.async_api import Browser, BrowserContext, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from clausewatch.errors import BrowserNotFound, CaptureTimeout, FetchError
from clausewatch.net import netguard
from clausewatch.net.guardproxy import REFUSED_HEADER, GuardProxy, Policy, Refused, public_only
from clausewatch.pipeline.catalog import CatalogDocument
from clausewatch.pipeline.model import Capture
from clausewatch.retry import transient_status
from clausewatch.settings import settings

log = logging.getLogger(__name__)
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# WebRTC's UDP (STUN/TURN, ICE checks) does not go through an HTTP proxy, so the guard
# cannot see it: with the guard on, the profile's WebRTC policy allows only proxied traffic
# (Chromium then sends no UDP and gathers no candidates). The command-line switch
# --force-webrtc-ip-handling-policy has no effect in Chromium 156 (tried); the preference
# does, which is why the browser runs on a profile of its own.
_GUARDED_PREFERENCES = {
    "webrtc": {
        "ip_handling_policy": "disable_non_proxied_udp",
        "multiple_routes_enabled": False,
        "nonproxied_udp_enabled": False,
    }
}
_SYSTEM_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Resolves true after `quiet` ms without DOM mutations, or false after `limit` ms in any case.
_DOM_QUIET_JS = """([quiet, limit]) => new Promise(resolve => {
  let timer = setTimeout(() => done(true), quiet);
  const stop = setTimeout(() => done(false), limit);
  const observer = new MutationObserver(() => {
    clearTimeout(timer); timer = setTimeout(() => done(true), quiet);
  });
  observer.observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
  function done(quiet) { observer.disconnect(); clearTimeout(timer); clearTimeout(stop); resolve(quiet); }
})"""
# Transient network failures worth a retry; anything else (DNS, TLS, bad URL) is permanent.
_TRANSIENT_NET = (
    "has been closed",
    "Target crashed",
    "Browser closed",
    "ERR_CONNECTION_REFUSED",
    "ERR_CONNECTION_RESET",
    "ERR_CONNECTION_CLOSED",
    "ERR_TIMED_OUT",
    "ERR_NETWORK_CHANGED",
    "ERR_EMPTY_RESPONSE",
)


class Gate(Protocol):
    """Limits shared by every worker (e.g. Prefect global concurrency limits): ``turn(host)``
    is held while one page of ``host`` renders."""

    def turn(self, host: str) -> contextlib.AbstractAsyncContextManager[None]: ...


@dataclass(frozen=True)
class CaptureSettings:
    """How pages are rendered; every timing is configuration, never guessed from context."""

    pages: int = 4
    per_host: int = 2  # pages of one host at once
    host_gap_s: float = 1.0  # seconds between the starts of two requests to one host
    navigation_timeout_ms: int = 30_000
    idle_timeout_ms: int = 10_000
    quiet_ms: int = 500
    settle_timeout_ms: int = 5_000
    evidence_timeout_ms: int = 20_000  # body, DOM and screenshot, after the page settled
    viewport: tuple[int, int] = (1280, 900)
    # "viewport": the first screen (cheap); "full": the whole page (a 200 KB policy is a
    # 4-5 MB PNG and ~5 s of rasterising); "none". The DOM and the response are the evidence
    # of the text; the screenshot only shows how it looked.
    screenshot: str = field(default_factory=lambda: _screenshot_mode())
    executable: str | None = None
    allow_private: bool = field(default_factory=netguard.private_allowed)


def _screenshot_mode() -> str:
    """``CLAUSEWATCH_SCREENSHOT``; a bad value is a :class:`SettingsError` (a ValueError)."""
    return settings().screenshot


def find_chromium(explicit: str | None = None) -> str | None:
    """The Chromium to launch: ``explicit`` or ``CLAUSEWATCH_CHROMIUM``, else None when
    Playwright's own build is installed, else a system Chromium on the PATH.

    Raises :class:`BrowserNotFound` with what to install when there is none.
    """
    chosen = explicit or settings().chromium
    if chosen:
        if not Path(chosen).is_file():
            raise BrowserNotFound(f"Chromium not found at {chosen!r} (CLAUSEWATCH_CHROMIUM)")
        return chosen
    if _playwright_chromium_installed():
        return None
    for name in _SYSTEM_CHROMIUMS:
        if found := shutil.which(name):
            return found
    raise BrowserNotFound(
        "no Chromium found: run `make install` (or `.venv/bin/playwright install chromium`, or "
        "`apt-get install chromium`), or set CLAUSEWATCH_CHROMIUM to a Chromium executable"
    )


def _playwright_chromium_installed() -> bool:
    base = Path(
        os.environ.get("PLAYWRIGHT_BROWSERS_PATH", Path.home() / ".cache" / "ms-playwright")
    )
    return any(base.glob("chromium-*/chrome-linux*/chrome")) if base.is_dir() else False


class Renderer:
    """An open browser that captures pages; use as ``async with Renderer() as r``."""

    def __init__(
        self,
        settings: CaptureSettings | None = None,
        gate: Gate | None = None,
        policy: Policy = public_only,
    ) -> None:
        """``policy`` decides which addresses the guard lets the browser reach when
        ``settings.allow_private`` is false (the default: public addresses only)."""
        self.settings = settings or CaptureSettings()
        self.gate = gate
        self.policy = policy
        self._proxy: GuardProxy | None = None
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._profile: str | None = None  # the browser's own profile directory
        self._slots = asyncio.Semaphore(self.settings.pages)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._host_locks: dict[str, asyncio.Lock] = {}
        self._host_last: dict[str, float] = {}
        self._refusals: dict[tuple[str, int], str | None] = {}  # why refused (None: allowed)
        self._relaunch_lock = asyncio.Lock()

    async def _refusal(self, url: str) -> str | None:
        """Why the guard refuses ``url``, or None (also None for names that do not resolve:
        the browser's own error says so). The proxy enforces; this only gives a clear error
        before a page is opened."""
        if self._proxy is None or not url.startswith(("http://", "https://")):
            return None  # data:, blob:, about: stay inside the browser
        try:
            parts = urlsplit(url)
            key = (parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        except ValueError as exc:
            return f"not a valid URL: {exc}"
        if key not in self._refusals:
            try:
                await self._proxy.check(*key)
                self._refusals[key] = None
            except Refused as exc:
                unresolved = "does not resolve" in str(exc)
                self._refusals[key] = None if unresolved else str(exc)
        return self._refusals[key]

    async def __aenter__(self) -> Renderer:
        self._playwright = await async_playwright().start()
        try:
            if not self.settings.allow_private:
                self._proxy = await GuardProxy(self.policy).__aenter__()
            await self._launch()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def _launch(self) -> None:
        assert self._playwright is not None
        # With the guard on, every connection of the browser (loopback included: Playwright
        # adds <-loopback> to the bypass list) and of the context's request API goes through
        # the guarding proxy, and WebRTC may not send UDP around it (see
        # _GUARDED_PREFERENCES); service workers, which could fetch behind the page's back,
        # are blocked either way.
        proxy = {"server": self._proxy.url} if self._proxy is not None else None
        self._drop_profile()
        self._profile = tempfile.mkdtemp(prefix="clausewatch-chromium-")
        if self._proxy is not None:
            default = Path(self._profile, "Default")
            default.mkdir()
            (default / "Preferences").write_text(json.dumps(_GUARDED_PREFERENCES))
        width, height = self.settings.viewport
        self._context = await self._playwright.chromium.launch_persistent_context(
            self._profile,
            executable_path=find_chromium(self.settings.executable),
            args=list(CHROMIUM_ARGS),
            proxy=proxy,  # type: ignore[arg-type]
            viewport={"width": width, "height": height},
            service_workers="block",
        )
        self._browser = self._context.browser

    def _drop_profile(self) -> None:
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    async def _ensure_browser(self) -> None:
        """Relaunch Chromium if it crashed or was killed: other documents go on."""
        async with self._relaunch_lock:
            if self._browser is not None and self._browser.is_connected():
                return
            log.warning("Chromium is gone; launching it again")
            with contextlib.suppress(PlaywrightError):
                if self._browser is not None:
                    await self._browser.close()
            await self._launch()

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()
        self._drop_profile()
        if self._proxy is not None:
            await self._proxy.__aexit__(None, None, None)
        self._browser = self._context = self._playwright = None
        self._proxy = None

    @property
    def version(self) -> str:
        return f"Chromium {self._browser.version}" if self._browser else "unknown"

    async def capture(self, doc: CatalogDocument) -> Capture:
        """Render ``doc.url`` and return the evidence; raises FetchError or CaptureTimeout."""
        if self._context is None:
            raise RuntimeError("Renderer is not open: use `async with Renderer() as r`")
        if not self.settings.allow_private and (why := await self._refusal(doc.url)):
            raise _refused(doc, why)
        host = urlparse(doc.url).hostname or ""
        async with self._host_slot(host), self._slots, self._gate_turn(host):
            await self._ensure_browser()
            assert self._context is not None
            page = await self._context.new_page()
            try:
                # the gap is waited for last, once every other wait is over, so that queued
                # requests to one host never start together
                await self._host_gap(host)
                return await asyncio.wait_for(self._capture(page, doc), self._budget_s())
            except TimeoutError as exc:
                raise CaptureTimeout(
                    f"{doc.id} ({doc.url}): no result within {self._budget_s():.0f} s "
                    "(the page never finished, or a script on it is looping)"
                ) from exc
            except PlaywrightTimeout as exc:
                raise CaptureTimeout(
                    f"{doc.id} ({doc.url}): timed out: {exc.message.splitlines()[0]}"
                ) from exc
            except PlaywrightError as exc:
                raise self._fetch_error(doc, exc) from exc
            finally:
                await self._close(page)

    def _fetch_error(self, doc: CatalogDocument, exc: PlaywrightError) -> FetchError:
        """A browser error; a tunnel the guard refused says what it refused and why."""
        first = (exc.message or str(exc)).splitlines()[0]
        if self._proxy is not None and "ERR_TUNNEL_CONNECTION_FAILED" in first:
            host = urlparse(doc.url).hostname or ""
            why = next((w for h, w in reversed(self._proxy.refused) if h.startswith(host)), None)
            if why is None and self._proxy.refused:
                why = self._proxy.refused[-1][1]
            if why:
                return _refused(doc, why)
        transient = any(code in first for code in _TRANSIENT_NET)
        return FetchError(f"{doc.id} ({doc.url}): {first}", transient=transient)

    def _budget_s(self) -> float:
        """The longest one capture may take, everything included."""
        s = self.settings
        total = (
            2 * s.navigation_timeout_ms
            + s.idle_timeout_ms
            + s.settle_timeout_ms
            + s.evidence_timeout_ms
        )
        return total / 1000

    async def _close(self, page: Any) -> None:
        """Close a page; one whose renderer hangs (a looping script) takes the browser down
        with it, and the next capture launches a fresh one."""
        try:
            await asyncio.wait_for(page.close(run_before_unload=False), 5)
        except (TimeoutError, PlaywrightError):
            if self._browser is not None:
                with contextlib.suppress(TimeoutError, PlaywrightError):
                    await asyncio.wait_for(self._browser.close(), 10)

    @contextlib.asynccontextmanager
    async def _gate_turn(self, host: str) -> AsyncIterator[None]:
        """The limits shared with other workers (if a gate is set), inside the local ones."""
        if self.gate is None:
            yield
            return
        async with self.gate.turn(host):
            yield

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        """Politeness: at most ``per_host`` pages of one host at once."""
        return self._hosts.setdefault(host, asyncio.Semaphore(self.settings.per_host))

    async def _host_gap(self, host: str) -> None:
        """Politeness: at least ``host_gap_s`` between the starts of two requests to one
        host. Called right before the request starts, after every other wait."""
        lock = self._host_locks.setdefault(host, asyncio.Lock())
        async with lock:
            loop = asyncio.get_running_loop()
            wait = self._host_last.get(host, -1e9) + self.settings.host_gap_s - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._host_last[host] = loop.time()

    async def _capture(self, page: Any, doc: CatalogDocument) -> Capture:
        s = self.settings
        captured_at = datetime.now(UTC)
        t0 = time.monotonic()
        response = await page.goto(doc.url, wait_until="load", timeout=s.navigation_timeout_ms)
        if response is None:
            raise FetchError(f"{doc.id} ({doc.url}): the browser got no response")
        self._check_refused(doc, response.headers, response.url)
        if not self.settings.allow_private and (why := await self._refusal(page.url)):
            raise FetchError(f"{doc.id} ({doc.url}): refused after redirects to {page.url}: {why}")
        if response.status >= 400:
            raise FetchError(
                f"{doc.id} ({doc.url}): HTTP {response.status} {response.status_text}".rstrip(),
                status=response.status,
                transient=transient_status(response.status),
            )
        t_load = time.monotonic()
        if "application/pdf" in (await response.all_headers()).get("content-type", ""):
            return await self._capture_pdf(doc, captured_at, t0)
        await _ignore_timeout(page.wait_for_load_state("networkidle", timeout=s.idle_timeout_ms))
        if doc.wait_for:
            await page.wait_for_selector(doc.wait_for, timeout=s.navigation_timeout_ms)
        settled = bool(await page.evaluate(_DOM_QUIET_JS, [s.quiet_ms, s.settle_timeout_ms]))
        t_settled = time.monotonic()
        body = await self._body(response, doc)
        dom = (await page.content()).encode()
        shot = (
            await page.screenshot(full_page=s.screenshot == "full", type="png")
            if s.screenshot != "none"
            else None
        )
        t_done = time.monotonic()
        return Capture(
            url=doc.url,
            captured_at=captured_at,
            source="browser",
            body=body,
            dom=dom,
            screenshot=shot,
            final_url=page.url,
            status=response.status,
            headers=await response.all_headers(),
            browser=self.version,
            settled=settled,
            timings_ms={
                "load": _ms(t_load - t0),
                "settle": _ms(t_settled - t_load),
                "evidence": _ms(t_done - t_settled),
                "total": _ms(t_done - t0),
            },
        )

    def _check_refused(self, doc: CatalogDocument, headers: dict[str, str], url: str) -> None:
        """A response made by the guard (a hop it refused) is an error, never a page."""
        if self._proxy is not None and (why := headers.get(REFUSED_HEADER.lower())):
            raise _refused(doc, f"{why} (at {url})")

    async def _body(self, response: Any, doc: CatalogDocument) -> bytes:
        """The HTTP body as the browser received it. Chromium's inspector drops bodies of very
        large pages (tens of MB) from its cache; those are fetched again with the browser's
        context (same cookies and headers), which is logged."""
        try:
            body: bytes = await response.body()
            return body
        except PlaywrightError as exc:
            if "evicted" not in str(exc):
                raise
        assert self._context is not None
        log.warning("%s (%s): the browser dropped the body; fetching it again", doc.id, doc.url)
        again = await self._context.request.get(
            doc.url, timeout=self.settings.navigation_timeout_ms
        )
        self._check_refused(doc, again.headers, again.url)
        if again.status >= 400:
            raise FetchError(f"{doc.id} ({doc.url}): fetching the body again: HTTP {again.status}")
        refetched: bytes = await again.body()
        return refetched

    async def _capture_pdf(self, doc: CatalogDocument, captured_at: datetime, t0: float) -> Capture:
        """A PDF: the browser shows it in a viewer, so its bytes are fetched with the same
        browser context (cookies, headers) instead; there is no DOM or screenshot."""
        assert self._context is not None
        response = await self._context.request.get(
            doc.url, timeout=self.settings.navigation_timeout_ms
        )
        self._check_refused(doc, response.headers, response.url)
        if response.status >= 400:
            raise FetchError(
                f"{doc.id} ({doc.url}): HTTP {response.status}",
                status=response.status,
                transient=transient_status(response.status),
            )
        body = await response.body()
        return Capture(
            url=doc.url,
            captured_at=captured_at,
            source="browser",
            body=body,
            final_url=response.url,
            status=response.status,
            headers=response.headers,
            browser=self.version,
            timings_ms={"total": _ms(time.monotonic() - t0)},
            settled=True,
        )


async def _ignore_timeout(awaitable: Any) -> None:
    # pages that poll forever never go idle; the DOM quiet period still bounds the wait
    with contextlib.suppress(PlaywrightTimeout):
        await awaitable


def _refused(doc: CatalogDocument, why: str) -> FetchError:
    return FetchError(
        f"{doc.id} ({doc.url}): refused: {why}. Set CLAUSEWATCH_ALLOW_PRIVATE_URLS=1 "
        "to monitor private addresses"
    )


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)
