"""Guarded HTTP for what clausewatch sends out itself: webhook deliveries and the Wayback API.

The browser's traffic goes through :mod:`clausewatch.net.guardproxy`; this module guards the other
outbound requests, each where it is made:

- **before a request**, :func:`check` refuses a URL that is not http(s), or whose host is (or
  resolves to) a loopback, private, link-local or otherwise non-public address, and refuses to
  send credentials (Wayback keys, a password in a webhook URL) over plain http. Both refusals
  are lifted by ``CLAUSEWATCH_ALLOW_PRIVATE_URLS=1``, the one switch for every outbound
  request (the tests and the demo set it: their servers run on 127.0.0.1 without TLS);
- **when connecting**, the client from :func:`client` resolves the host itself, refuses the
  connection unless every address is public, and connects to the addresses it checked, so a
  DNS answer that changes between the check and the connection (rebinding) cannot reach a
  private address. TLS still verifies the certificate against the host name. When an
  ``HTTP(S)_PROXY`` is configured in the environment, the proxy makes the connection and only
  the check before the request applies;
- **no redirects** are followed (every request passes ``follow_redirects=False``): a redirect
  could lead to a private address, and a webhook or API that moved must be reconfigured.

Webhook secrets are never sent (they sign the body; the receiver checks the signature), so a
plain-http webhook URL without a password in it is allowed to a public host.
"""

from __future__ import annotations

import re
import typing
from urllib.parse import urlsplit

import httpcore
import httpx

from clausewatch.errors import InputError
from clausewatch.net import netguard

SWITCH = "CLAUSEWATCH_ALLOW_PRIVATE_URLS"
_BEFORE_AT = re.compile(r"^([^/?#]*//)?[^?#]*@")


class OutboundRefused(InputError):
    """A request clausewatch will not make (a private address, or credentials in the clear)."""


def masked(url: str) -> str:
    """``url`` as it may be printed: any ``user:password@`` and query values replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    elif "@" in url.split("?", 1)[0].split("#", 1)[0]:
        # no netloc parsed (a scheme that does not parse, such as ``ht!tp://``, or none at
        # all): whatever comes before an @ may be a user name or password
        return _BEFORE_AT.sub(r"\1***@", url.split("?", 1)[0].split("#", 1)[0]) + (
            "?***" if "?" in url else ""
        )
    query = parts.query
    if query:
        query = "&".join(part.split("=", 1)[0] + "=***" for part in query.split("&"))
    return parts._replace(netloc=netloc, query=query).geturl()


def has_credentials(url: str) -> bool:
    """Whether ``url`` carries a user name or password (sent as HTTP Basic auth)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.username is not None or parts.password is not None


def refusal(url: str, *, credentials: bool = False) -> str | None:
    """Why clausewatch must not send a request to ``url``, or None when it may.

    ``credentials``: the request carries secrets (keys in a header, a password in the URL)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"{masked(url)} is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{masked(url)} is not an http(s) URL with a host"
    if netguard.private_allowed():
        return None
    if why := netguard.refusal(parts.hostname):
        return f"{masked(url)} is refused: {why} (set {SWITCH}=1 to allow private addresses)"
    if credentials and parts.scheme == "http":
        return (
            f"{masked(url)} is refused: credentials would be sent over plain http; use https "
            f"(or set {SWITCH}=1 for a test server)"
        )
    return None


def check(url: str, what: str, *, credentials: bool = False) -> None:
    """Raise :class:`OutboundRefused` (naming ``what`` and the URL) unless ``url`` may be reached."""
    if why := refusal(url, credentials=credentials):
        raise OutboundRefused(f"{what}: {why}")


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves, checks and connects to the checked addresses (not the name) when the switch
    is off."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        if netguard.private_allowed():
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        if netguard.loopback_name(host):
            why: str | None = f"{host} is a loopback name, not a public address"
            addresses: list[netguard.Address] = []
        else:
            try:
                addresses = list(dict.fromkeys(netguard.resolve(host, port)))
            except (OSError, UnicodeError) as exc:
                raise httpcore.ConnectError(f"{host} does not resolve ({exc})") from exc
            why = netguard.address_refusal(host, addresses)
            if not addresses:
                raise httpcore.ConnectError(f"{host} does not resolve")
        if why:
            raise OutboundRefused(
                f"refused to connect to {host}:{port} (checked when connecting): {why} "
                f"(set {SWITCH}=1 to allow private addresses)"
            )
        error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None
        raise error


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with connections made by :class:`_GuardedBackend`."""

    def __init__(self) -> None:
        super().__init__()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(),
        )


def client(timeout: float = 30.0) -> httpx.Client:
    """An ``httpx.Client`` whose connections are checked when they are made; no redirects."""
    return httpx.Client(transport=GuardedTransport(), timeout=timeout, follow_redirects=False)
