"""The browser never reaches a non-public address, at any hop (issue 13, section 1).

Two servers on 127.0.0.1: a "public" site (the guard's policy is told to treat its port as
public, as it would a real public host) and an "internal" service holding a secret. With the
guard on, every path a page has to the internal service is tried: loopback names, sub-resource
redirects (iframe, img, fetch), a top-level redirect, the request API's re-fetch of a PDF,
WebSockets and a service worker. The internal service counts every connection it accepts: it
must see none. The same page with the guard off reaches it, so the count can fail.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from clausewatch.errors import FetchError
from clausewatch.net import netguard
from clausewatch.net.guardproxy import GuardProxy, Policy, public_only
from clausewatch.pipeline.capture import CaptureSettings, Renderer
from clausewatch.pipeline.catalog import CatalogDocument
from clausewatch.pipeline.model import Capture

pytestmark = pytest.mark.browser
SECRET = "INTERNAL-SECRET-7731"


class Internal:
    """A TCP service on 127.0.0.1 that counts connections and answers any HTTP request."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    body = f"<html><body><p>{SECRET}</p></body></html>".encode()
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


def _page(internal: int, public: int) -> str:
    hop = f"http://127.0.0.1:{public}/redirect?to=http://127.0.0.1:{internal}/secret"
    return f"""<!doctype html><html><head><title>Terms</title></head><body>
<main><h1>Terms of service</h1>
<p>These public terms are the document. Section one explains how the service works.</p>
<p>Section two explains what the user agrees to when using the service.</p>
<iframe src="{hop}"></iframe><img src="{hop}&img=1">
<iframe src="http://foo.localhost:{internal}/"></iframe>
<div id="log"></div></main>
<script>
const log = (m) => {{ const p = document.createElement('span'); p.textContent = m;
  document.getElementById('log').appendChild(p); }};
const tries = [
  fetch("{hop}&fetch=1").then(r => r.text()).then(t => log('fetch' + ':' + t.length), () => log('fetch' + '-failed')),
  new Promise(done => {{ try {{
      const ws = new WebSocket("ws://127.0.0.1:{internal}/");
      ws.onopen = () => {{ log('ws' + '-open'); done(); }}; ws.onerror = () => {{ log('ws' + '-failed'); done(); }};
    }} catch (e) {{ log('ws' + '-throw'); done(); }} }}),
  new Promise(done => {{ try {{
      const ws = new WebSocket("ws://localhost.:{internal}/");
      ws.onopen = () => done(); ws.onerror = () => done();
    }} catch (e) {{ done(); }} }}),
  (navigator.serviceWorker ? navigator.serviceWorker.register('/sw.js')
      .then(r => log(r ? 'sw' + '-registered' : 'sw' + '-blocked'), () => log('sw' + '-refused')) : Promise.resolve(log('sw' + '-none'))),
];
Promise.all(tries).then(() => setTimeout(() => {{
  const d = document.createElement('p'); d.id = 'done'; d.textContent = 'All checks ran.';
  document.body.appendChild(d); }}, 300));
</script></body></html>"""


def _rtc_page(udp_port: int) -> str:
    """A page that opens a WebRTC connection to a STUN server on 127.0.0.1: ICE gathering
    sends UDP, which no HTTP proxy sees. #done appears once gathering is over (or at the first
    candidate); the log keeps what happened."""
    return f"""<!doctype html><html><head><title>Terms</title></head><body>
<main><h1>Terms of service</h1>
<p>These public terms are the document. Section one explains how the service works.</p>
<div id="log"></div></main>
<script>
const log = (m) => {{ const p = document.createElement('span'); p.textContent = m + ' ';
  document.getElementById('log').appendChild(p); }};
const done = () => {{ if (document.getElementById('done')) return;
  const d = document.createElement('p'); d.id = 'done'; d.textContent = 'All checks ran.';
  document.body.appendChild(d); }};
(async () => {{ try {{
  const pc = new RTCPeerConnection({{iceServers: [{{urls: 'stun:127.0.0.1:{udp_port}'}}]}});
  pc.onicecandidate = (e) => {{
    if (e.candidate) {{ log('cand' + 'idate=' + e.candidate.candidate); done(); }}
    else {{ log('gathering' + '-complete'); done(); }} }};
  pc.createDataChannel('x');
  await pc.setLocalDescription(await pc.createOffer());
  log('offer' + '-set');
}} catch (e) {{ log('rtc' + '-failed:' + e); done(); }} }})();
</script></body></html>"""


class Udp:
    """A UDP listener on 127.0.0.1 that counts datagrams (a STUN server that never answers).
    ``SENTINEL`` comes from the test itself: once it arrived, everything sent before it was
    counted."""

    SENTINEL = b"sentinel"

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received = 0
        self.first = threading.Event()
        self.sentinel = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                data, _ = self.sock.recvfrom(65536)
            except OSError:
                return
            if data == self.SENTINEL:
                self.sentinel.set()
            else:
                self.received += 1
                self.first.set()

    def drain(self) -> int:
        """The datagrams received from others, once the listener has read up to now."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(self.SENTINEL, ("127.0.0.1", self.port))
        assert self.sentinel.wait(60), "the UDP listener never read its sentinel"
        return self.received

    def close(self) -> None:
        self.sock.close()


class Public:
    """The 'public' site: the page above, redirects, a PDF whose second fetch redirects."""

    def __init__(self, internal: Internal) -> None:
        outer = self
        self.pdf_gets = 0
        self.sw_gets = 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes, kind: str, **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received = len(self.rfile.read(length))
                self._send(200, str(received).encode(), "text/plain")

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/rtc":
                    page = _rtc_page(int(parse_qs(parts.query)["udp"][0])).encode()
                    self._send(200, page, "text/html; charset=utf-8")
                elif parts.path == "/page":
                    page = _page(internal.port, outer.port).encode()
                    self._send(200, page, "text/html; charset=utf-8")
                elif parts.path == "/redirect":
                    to = parse_qs(parts.query)["to"][0]
                    self._send(302, b"", "text/plain", Location=to)
                elif parts.path == "/terms.pdf":
                    outer.pdf_gets += 1
                    if outer.pdf_gets == 1:
                        self._send(200, b"%PDF-1.4\n%%EOF\n", "application/pdf")
                    else:
                        where = f"http://127.0.0.1:{internal.port}/metadata"
                        self._send(302, b"", "text/plain", Location=where)
                elif parts.path == "/sw.js":
                    outer.sw_gets += 1
                    self._send(200, b"self.addEventListener('fetch', () => {});", "text/javascript")
                else:
                    self._send(404, b"no", "text/plain")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sites() -> Iterator[tuple[Public, Internal]]:
    internal = Internal()
    public = Public(internal)
    yield public, internal
    public.close()
    internal.close()


def _policy(public: Public) -> Policy:
    """The public site's port stands for a public host; everything else is judged as usual."""

    def policy(host: str, port: int, addresses: list[netguard.Address]) -> str | None:
        return None if port == public.port else public_only(host, port, addresses)

    return policy


def _doc(url: str, wait_for: str | None = None) -> CatalogDocument:
    return CatalogDocument(id="t", entity="E", title="T", type="terms", url=url, wait_for=wait_for)


def _capture(public: Public, doc: CatalogDocument, allow_private: bool) -> Capture | FetchError:
    settings = CaptureSettings(host_gap_s=0, allow_private=allow_private, screenshot="none")

    async def go() -> Capture | FetchError:
        async with Renderer(settings, policy=_policy(public)) as renderer:
            try:
                return await renderer.capture(doc)
            except FetchError as exc:
                return exc

    return asyncio.run(go())


def test_no_hop_of_a_public_page_reaches_an_internal_address(
    sites: tuple[Public, Internal],
) -> None:
    public, internal = sites
    capture = _capture(public, _doc(public.url("/page"), wait_for="#done"), allow_private=False)
    assert not isinstance(capture, Exception), capture
    dom = (capture.dom or b"").decode()
    assert "These public terms are the document" in dom  # the allowed page came through
    assert internal.accepted == 0
    assert SECRET not in dom
    assert "ws-open" not in dom and "ws-failed" in dom
    assert "sw-registered" not in dom and public.sw_gets == 0  # service workers are blocked


def test_without_the_guard_the_same_page_reaches_it(sites: tuple[Public, Internal]) -> None:
    """The control: the counting works, so the test above can fail."""
    public, internal = sites
    capture = _capture(public, _doc(public.url("/page"), wait_for="#done"), allow_private=True)
    assert not isinstance(capture, Exception), capture
    assert internal.accepted > 0


@pytest.fixture
def udp() -> Iterator[Udp]:
    listener = Udp()
    yield listener
    listener.close()


def test_webrtc_sends_no_udp_around_the_guard(sites: tuple[Public, Internal], udp: Udp) -> None:
    """WebRTC's STUN/ICE traffic is UDP, which the guarding proxy never sees: with the guard
    on the browser may not send it at all (nor show the page a host candidate)."""
    public, _ = sites
    doc = _doc(public.url(f"/rtc?udp={udp.port}"), wait_for="#done")
    capture = _capture(public, doc, allow_private=False)
    assert not isinstance(capture, Exception), capture
    dom = (capture.dom or b"").decode()
    assert "offer-set" in dom and "rtc-failed" not in dom  # the page really tried
    assert udp.drain() == 0
    assert "candidate=" not in dom  # no host candidate (local address) reaches the page
    assert "gathering-complete" in dom  # and gathering was over: nothing more to send


def test_without_the_guard_webrtc_reaches_the_udp_listener(
    sites: tuple[Public, Internal], udp: Udp
) -> None:
    """The control: the same page with the guard off sends STUN to the listener."""
    public, _ = sites
    doc = _doc(public.url(f"/rtc?udp={udp.port}"), wait_for="#done")
    capture = _capture(public, doc, allow_private=True)
    assert not isinstance(capture, Exception), capture
    assert "candidate=" in (capture.dom or b"").decode()
    assert udp.first.wait(60), "no STUN datagram reached the listener"


def test_a_top_level_redirect_to_an_internal_address_is_refused_before_it_is_sent(
    sites: tuple[Public, Internal],
) -> None:
    public, internal = sites
    to = f"http://127.0.0.1:{internal.port}/secret"
    error = _capture(public, _doc(public.url(f"/redirect?to={to}")), allow_private=False)
    assert isinstance(error, FetchError) and "refused" in str(error), error
    assert "CLAUSEWATCH_ALLOW_PRIVATE_URLS" in str(error) and not error.transient
    assert internal.accepted == 0


@pytest.mark.parametrize("name", ["foo.localhost", "localhost.", "LOCALHOST", "a.b.localhost."])
def test_loopback_names_are_refused(sites: tuple[Public, Internal], name: str) -> None:
    public, internal = sites
    error = _capture(public, _doc(f"http://{name}:{internal.port}/"), allow_private=False)
    assert isinstance(error, FetchError) and "refused" in str(error), error
    assert internal.accepted == 0


def test_the_request_api_refetch_of_a_pdf_cannot_be_redirected_inside(
    sites: tuple[Public, Internal],
) -> None:
    """The PDF's bytes are fetched again with the context's request API: that fetch, and its
    redirect to an internal address, go through the guard too."""
    public, internal = sites
    error = _capture(public, _doc(public.url("/terms.pdf")), allow_private=False)
    assert public.pdf_gets == 2  # the browser's navigation, then the request API's fetch
    assert isinstance(error, FetchError) and "refused" in str(error), error
    assert internal.accepted == 0


def test_the_proxy_forwards_bodies_and_survives_garbage(sites: tuple[Public, Internal]) -> None:
    """Plain-http forwarding keeps the request body, a refused CONNECT gets 403, and a
    malformed request only closes that connection."""
    public, internal = sites

    async def go() -> tuple[bytes, bytes, bytes, bytes]:
        async with GuardProxy(_policy(public)) as proxy:
            port = int(proxy.url.rsplit(":", 1)[1])

            async def exchange(raw: bytes) -> bytes:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(raw)
                await writer.drain()
                data = await asyncio.wait_for(reader.read(), 30)
                writer.close()
                return data

            garbage = await exchange(b"\x00\xff nonsense\r\n\r\n")
            connect = await exchange(f"CONNECT 127.0.0.1:{internal.port} HTTP/1.1\r\n\r\n".encode())
            body = b"a=1&b=" + b"x" * 100_000
            post = await exchange(
                f"POST {public.url('/echo')} HTTP/1.1\r\nHost: x\r\n".encode()
                + f"Content-Length: {len(body)}\r\nProxy-Connection: keep-alive\r\n\r\n".encode()
                + body
            )
            get = await exchange(f"GET {public.url('/page')} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            return garbage, connect, post, get

    garbage, connect, post, get = asyncio.run(go())
    assert garbage == b""
    assert connect.startswith(b"HTTP/1.1 403") and b"not a public address" in connect
    assert post.startswith(b"HTTP/1.0 200") and post.endswith(b"100006")  # bytes received
    assert b"These public terms are the document" in get
    assert internal.accepted == 0
