"""A forward proxy in-process that every browser connection goes through (SSRF guard).

Chromium is launched with this proxy for all traffic, loopback included
(``--proxy-bypass-list=<-loopback>``), so the browser never resolves or connects to a host
itself: navigations, every redirect hop, sub-resources, iframes, ``fetch``, WebSockets and the
body re-fetches made with the context's request API all arrive here as ``CONNECT host:port``
(https, ws, wss) or as an absolute-form request (plain http). For each one the proxy resolves
the host once, refuses it unless every address is public (:mod:`clausewatch.net.netguard`), and
connects to the address it checked, so a DNS answer that changes between check and connect
(rebinding) cannot slip through. Checking where connections go, rather than which URLs are
asked for, is what covers redirects and WebSockets by construction.

A refused plain-http request is answered ``403`` with the reason in ``X-Clausewatch-Refused``;
a refused ``CONNECT`` is answered ``403``, which the browser reports as a failed tunnel. Each
plain-http request gets its own upstream connection (``Connection: close`` both ways), so bytes
meant for one host can never travel on a connection opened to another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from clausewatch.net import netguard

log = logging.getLogger(__name__)

# (host, port, addresses it resolved to) -> why it is refused, or None to allow
Policy = Callable[[str, int, list[netguard.Address]], str | None]
REFUSED_HEADER = "X-Clausewatch-Refused"
_HEAD_LIMIT = 64 * 1024
_CONNECT_TIMEOUT_S = 15.0
_HOP_BY_HOP = {
    "connection",
    "proxy-connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "upgrade",
}


def public_only(host: str, port: int, addresses: list[netguard.Address]) -> str | None:
    """The default policy: every address of the host must be public."""
    return netguard.address_refusal(host, addresses)


class Refused(Exception):
    """A connection the policy refuses; the message says why."""


class GuardProxy:
    """``async with GuardProxy() as proxy``: ``proxy.url`` is the address to give Chromium."""

    def __init__(self, policy: Policy = public_only) -> None:
        self.policy = policy
        self.refused: list[tuple[str, str]] = []  # (host:port, reason), newest last
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = ""

    async def __aenter__(self) -> GuardProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
        self._server = None

    async def check(self, host: str, port: int) -> list[netguard.Address]:
        """The addresses to connect to for ``host:port``; raises :class:`Refused`."""
        host = host.strip("[]").lower()
        if not host:
            raise Refused("no host")
        if netguard.loopback_name(host):
            raise Refused(f"{host} is a loopback name, not a public address")
        try:
            addresses = await asyncio.to_thread(netguard.resolve, host, port)
        except (OSError, UnicodeError) as exc:
            raise Refused(f"{host} does not resolve ({exc})") from exc
        if not addresses:
            raise Refused(f"{host} does not resolve")
        if why := self.policy(host, port, addresses):
            raise Refused(why)
        return addresses

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # the browser or the server went away, or sent garbage: drop the connection
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _read_head(reader)
        if head is None:
            return
        request_line, headers = head
        method, target, version = _split_request_line(request_line)
        if method == "CONNECT":
            host, port = _host_port(target, 443)
            await self._tunnel(host, port, reader, writer)
        else:
            await self._forward(method, target, version, headers, reader, writer)

    async def _open(
        self, host: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        addresses = await self.check(host, port)
        last: OSError | None = None
        for address in addresses:
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(str(address), port), _CONNECT_TIMEOUT_S
                )
            except (OSError, TimeoutError) as exc:
                last = exc if isinstance(exc, OSError) else OSError(str(exc))
        raise last or OSError(f"cannot connect to {host}:{port}")

    def _note_refusal(self, host: str, port: int, why: str) -> None:
        self.refused.append((f"{host}:{port}", why))
        del self.refused[:-1000]
        level = logging.INFO if "does not resolve" in why else logging.WARNING
        log.log(level, "browser request to %s:%s refused: %s", host, port, why)

    async def _tunnel(
        self, host: str, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            up_reader, up_writer = await self._open(host, port)
        except Refused as exc:
            self._note_refusal(host, port, str(exc))
            await _answer(writer, 403, str(exc))
            return
        except OSError as exc:
            await _answer(writer, 502, f"cannot connect to {host}:{port}: {exc}")
            return
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        await _pipe_both(reader, writer, up_reader, up_writer)

    async def _forward(
        self,
        method: str,
        target: str,
        version: str,
        headers: list[tuple[str, str]],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            await _answer(writer, 400, f"not an absolute http URL: {target[:200]}")
            return
        port = parts.port or 80
        try:
            up_reader, up_writer = await self._open(parts.hostname, port)
        except Refused as exc:
            self._note_refusal(parts.hostname, port, str(exc))
            await _answer(writer, 403, str(exc))
            return
        except OSError as exc:
            await _answer(writer, 502, f"cannot connect to {parts.hostname}:{port}: {exc}")
            return
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            kept = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
            lines = [f"{method} {path} {version}", *(f"{k}: {v}" for k, v in kept)]
            up_writer.write(("\r\n".join([*lines, "Connection: close", "", ""])).encode("latin-1"))
            await _send_body(headers, reader, up_writer)
            response = await _read_head(up_reader)
            if response is None:
                return
            status_line, response_headers = response
            kept = [(k, v) for k, v in response_headers if k.lower() not in _HOP_BY_HOP]
            lines = [status_line, *(f"{k}: {v}" for k, v in kept), "Connection: close"]
            writer.write(("\r\n".join([*lines, "", ""])).encode("latin-1"))
            await _copy(up_reader, writer)
        finally:
            up_writer.close()
            with contextlib.suppress(Exception):
                await up_writer.wait_closed()


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, list[tuple[str, str]]] | None:
    """The first line and headers of an HTTP message, or None at end of stream."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    if len(raw) > _HEAD_LIMIT:
        raise ValueError("message head too large")
    lines = raw.decode("latin-1").split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"bad header line {line[:80]!r}")
        headers.append((name.strip(), value.strip()))
    return lines[0], headers


def _split_request_line(line: str) -> tuple[str, str, str]:
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError(f"bad request line {line[:80]!r}")
    return parts[0].upper(), parts[1], parts[2]


def _host_port(authority: str, default: int) -> tuple[str, int]:
    parts = urlsplit(f"//{authority}")
    if not parts.hostname:
        raise ValueError(f"bad CONNECT target {authority[:80]!r}")
    return parts.hostname, parts.port or default


async def _answer(writer: asyncio.StreamWriter, status: int, why: str) -> None:
    reason = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"}[status]
    body = f"clausewatch refused this request: {why}\n".encode()
    safe = why.encode("ascii", "replace").decode().replace("\r", " ").replace("\n", " ")
    writer.write(
        (
            f"HTTP/1.1 {status} {reason}\r\n{REFUSED_HEADER}: {safe}\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        + body
    )
    await writer.drain()


async def _send_body(
    headers: list[tuple[str, str]], reader: asyncio.StreamReader, up: asyncio.StreamWriter
) -> None:
    """The request body: exactly Content-Length bytes, or chunks up to the last one."""
    names = {k.lower(): v for k, v in headers}
    if "chunked" in names.get("transfer-encoding", "").lower():
        while True:
            size_line = await reader.readuntil(b"\r\n")
            up.write(size_line)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                # trailers (rare) end with an empty line
                while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                    up.write(line)
                up.write(b"\r\n")
                break
            up.write(await reader.readexactly(size + 2))
    elif length := int(names.get("content-length", "0") or "0"):
        remaining = length
        while remaining:
            chunk = await reader.read(min(remaining, 65536))
            if not chunk:
                raise asyncio.IncompleteReadError(b"", remaining)
            up.write(chunk)
            remaining -= len(chunk)
    await up.drain()


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    while chunk := await source.read(65536):
        sink.write(chunk)
        await sink.drain()


async def _pipe_both(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    """Bytes both ways until either side closes."""

    async def one_way(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            await _copy(source, sink)
        finally:
            with contextlib.suppress(Exception):
                sink.close()

    try:
        await asyncio.gather(
            one_way(reader, up_writer), one_way(up_reader, writer), return_exceptions=True
        )
    finally:
        up_writer.close()
