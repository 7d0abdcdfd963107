"""Refusing to fetch private addresses (server-side request forgery).

A catalog could name, or a page redirect to, ``http://169.254.169.254/`` or a service on the
monitoring host's network; the browser would fetch it and the store would keep what it said.
By default every request the browser makes (navigations, redirects and sub-resources) to a
host that is or resolves to a loopback, private, link-local or otherwise non-global address is
refused. ``CLAUSEWATCH_ALLOW_PRIVATE_URLS=1`` allows them (the demo and the tests, whose sites
run on 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import os
import socket


def private_allowed() -> bool:
    return os.environ.get("CLAUSEWATCH_ALLOW_PRIVATE_URLS", "").lower() in (
        "1",
        "on",
        "true",
        "yes",
    )


def refusal(host: str | None) -> str | None:
    """Why ``host`` must not be fetched, or None. Resolves names (blocking: call in a thread)."""
    if not host:
        return "no host"
    host = host.strip("[]").lower()
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except socket.gaierror:
            return None  # unresolvable: the browser's own error says so
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        if not address.is_global:
            return f"{host} is (or resolves to) {address}, not a public address"
    return None
