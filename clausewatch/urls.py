"""The one rule for a page URL that may be recorded (import and the catalog share it).

A URL is stored, written into WARC headers, cited in BibTeX and Markdown and sent to webhooks
as given, so it must be one that none of those can be forged with: an absolute http(s) URL
with a host and no credentials, and none of these characters unencoded (percent-encode them):

- a control character or whitespace (anything up to U+0020, DEL, the C1 controls, and any
  non-ASCII character Unicode does not count as printable: U+2028, NBSP, bidi overrides);
- one of ``< > " { } | \\ ^ ` `` (RFC 3986 allows none of them in a URL).

Non-ASCII letters are allowed (an IRI: ``https://münchen.example/straße``). The host must be
an IP literal or a host name that IDNA-encodes to letters, digits, ``-``, ``_`` and dots; the
port, when given, 1 to 65535. Python's ``urlsplit`` silently drops tabs and newlines from a URL
before parsing it, which is why the characters are checked on the raw string first.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_FORBIDDEN = frozenset('<>"{}|\\^`')
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
_ENCODE = re.compile(r'[\x00-\x20\x7f<>"{}|\\^`]')


def bad_character(url: str) -> tuple[int, str] | None:
    """The first character ``url`` may not hold unencoded, with its position (0-based)."""
    for index, char in enumerate(url):
        if char <= " " or char == "\x7f" or char in _FORBIDDEN:
            return index, char
        if char > "\x7f" and not char.isprintable():
            return index, char
    return None


def escape(char: str) -> str:
    """A character as a Python escape (``'\\r'``, ``'\\x00'``, ``' '``), quotes included."""
    return "' ' (a space)" if char == " " else ascii(char)


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be recorded (None: it can); the message never echoes a password."""
    found = bad_character(url)
    if found is not None:
        index, char = found
        return (
            f"url has {escape(char)} at character {index + 1}, which a URL may not hold "
            'unencoded (control characters, whitespace and <>"{}|\\^`): percent-encode it'
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return f"url {url!r} is not a valid URL"
    if parts.scheme not in ("http", "https") or not host:
        return f"url {url!r} must be an absolute http:// or https:// URL"
    if "@" in parts.netloc:
        shown = parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()
        return (
            f"url {shown} has credentials in it, which would be stored and sent everywhere the "
            "URL goes: remove them (use headers or cookies for pages behind a login)"
        )
    try:
        port = parts.port
    except ValueError:  # not a number, or past 65535
        port = 0
    if port == 0:
        given = parts.netloc.rpartition(":")[2]
        return f"url {url!r} has an invalid port {given!r}: give 1 to 65535, or none"
    if not _valid_host(host):
        return (
            f"url {url!r}: {host!r} is not a valid host name or IP address "
            "(letters, digits, '-', '_' and dots; an IPv6 address in [brackets])"
        )
    return None


def _valid_host(host: str) -> bool:
    if ":" in host:  # urlsplit only lets a colon through inside [brackets]: an IPv6 literal
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:  # an empty or over-long label, or a name IDNA cannot encode
        return False
    return _HOST_NAME.fullmatch(ascii_host.lower()) is not None


def percent_encode_unsafe(url: str) -> str:
    """``url`` with every control character, space and ``<>"{}|\\^``` percent-encoded (UTF-8),
    and the non-printable non-ASCII ones too: safe in a header line or a ``\\url{}``."""
    out = []
    for char in url:
        if _ENCODE.fullmatch(char) or (char > "\x7f" and not char.isprintable()):
            out.append("".join(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass")))
        else:
            out.append(char)
    return "".join(out)
