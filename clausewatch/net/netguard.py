"""Refusing to reach private addresses (server-side request forgery).

A catalog could name, or a page redirect to, ``http://169.254.169.254/`` or a service on the
monitoring host's network; the browser would fetch it and the store would keep what it said.
By default no request clausewatch makes (the browser's, at every hop; webhook deliveries;
Wayback submissions) may reach a host that is, or resolves to, a loopback, private,
link-local or otherwise non-global address. Names that are loopback by definition
(``localhost``, ``*.localhost``, with or without the trailing dot) are refused without asking
DNS, since Chromium resolves them to loopback itself.

``CLAUSEWATCH_ALLOW_PRIVATE_URLS=1`` allows them: one switch for every outbound request (the
demo and the tests set it, as their sites run on 127.0.0.1). It governs where clausewatch
connects, never what it asks the Wayback Machine to archive (see :func:`archivable`).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from clausewatch.settings import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def private_allowed() -> bool:
    """True when ``CLAUSEWATCH_ALLOW_PRIVATE_URLS`` allows non-public addresses."""
    return settings().allow_private_urls


def loopback_name(host: str) -> bool:
    """``localhost``, ``localhost.``, ``x.localhost`` and ``x.localhost.`` (RFC 6761)."""
    name = host.strip("[]").lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def literal(host: str) -> Address | None:
    """The address ``host`` spells, or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def resolve(host: str, port: int | None = None) -> list[Address]:
    """Every address ``host`` resolves to (blocking: call in a thread). Raises OSError."""
    if (address := literal(host)) is not None:
        return [address]
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


# IPv6 addresses that stand for an IPv4 address (RFC 6052 NAT64, RFC 8215 local-use NAT64,
# RFC 3056 6to4, RFC 4291 IPv4-compatible): Python calls most of them global whatever IPv4
# address they carry, but a translator or relay delivers them to that IPv4 address.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(address: Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 address(es) an IPv6 address carries (mapped, NAT64, 6to4, IPv4-compatible);
    empty for any other address. A local-use NAT64 address (64:ff9b:1::/48) gives both
    readings its operator may use: the last 32 bits (/96) and the RFC 6052 /48 layout."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    value = int(address)
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address in _NAT64 or (address in _COMPATIBLE and value > 1):  # not :: nor ::1
        return [ipaddress.IPv4Address(value & 0xFFFFFFFF)]
    if address in _NAT64_LOCAL:
        rfc6052_48 = ((value >> 64) & 0xFFFF) << 16 | (value >> 40) & 0xFFFF
        return [ipaddress.IPv4Address(value & 0xFFFFFFFF), ipaddress.IPv4Address(rfc6052_48)]
    return []


def is_public(address: Address) -> bool:
    """A global address; one that carries an IPv4 address is judged by that address."""
    if inner := embedded_ipv4(address):
        return all(v4.is_global for v4 in inner)
    return address.is_global


def address_refusal(host: str, addresses: list[Address]) -> str | None:
    """Why connecting to ``host`` at ``addresses`` is refused, or None when all are public."""
    for address in addresses:
        if inner := [v4 for v4 in embedded_ipv4(address) if not v4.is_global]:
            return (
                f"{host} is (or resolves to) {address}, which carries {inner[0]}, "
                "not a public address"
            )
        if not is_public(address):
            return f"{host} is (or resolves to) {address}, not a public address"
    return None


def refusal(host: str | None, *, unresolvable: bool = False) -> str | None:
    """Why ``host`` must not be reached, or None. Resolves names (blocking: call in a thread).

    A name that does not resolve is allowed by default (nothing can connect to it, and the
    caller's own error says so); ``unresolvable=True`` refuses it instead.
    """
    if not host:
        return "no host"
    host = host.strip("[]").lower()
    if loopback_name(host):
        return f"{host} is a loopback name, not a public address"
    try:
        addresses = resolve(host)
    except (OSError, UnicodeError):
        return f"{host} does not resolve" if unresolvable else None
    return address_refusal(host, addresses)


def url_refusal(url: str, *, unresolvable: bool = False) -> str | None:
    """Why ``url`` must not be reached, or None: not http(s), no host, or a private host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"{url!r} is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"{url!r} is not an http(s) URL"
    return refusal(parts.hostname, unresolvable=unresolvable)


def outbound_refusal(url: str) -> str | None:
    """Why clausewatch must not connect to ``url`` (webhooks, Wayback), honouring
    ``CLAUSEWATCH_ALLOW_PRIVATE_URLS``; None when it may."""
    if private_allowed():
        return None
    return url_refusal(url)


def archivable(url: str) -> bool:
    """True when ``url`` may be submitted to a public archive: an http(s) URL of a public
    host. Independent of ``CLAUSEWATCH_ALLOW_PRIVATE_URLS``: a page on a private address is
    never sent to Save Page Now."""
    return url_refusal(url, unresolvable=False) is None
