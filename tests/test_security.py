"""Hostile inputs: private addresses refused (SSRF), extractors fuzzed, secrets kept out of output."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausewatch.demo.site import DemoSite
from clausewatch.errors import ExtractionError, FetchError
from clausewatch.extractors import extract
from clausewatch.net.netguard import refusal
from clausewatch.pipeline.capture import CaptureSettings, Renderer
from clausewatch.pipeline.catalog import CatalogDocument
from tests.helpers import soup_part


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.5.4",
        "169.254.169.254",
        "[::1]",
        "0.0.0.0",
    ],
)
def test_private_hosts_are_refused(host: str) -> None:
    assert refusal(host) is not None


def test_public_addresses_pass() -> None:
    assert refusal("93.184.216.34") is None and refusal("2606:4700::1111") is None


@pytest.mark.parametrize(
    "host",
    [
        "[64:ff9b::7f00:1]",  # NAT64 (RFC 6052) of 127.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # ... of 169.254.169.254
        "[64:ff9b::10.0.0.1]",
        "[64:ff9b:1::7f00:1]",  # local-use NAT64 (RFC 8215), /96 layout
        "[64:ff9b:1:7f00:0:1::]",  # ... RFC 6052 /48 layout of 127.0.0.1
        "[64:ff9b:1::808:808]",  # ... whose /48 reading is 0.0.0.0: both readings must pass
        "[2002:7f00:1::]",  # 6to4 (RFC 3056) of 127.0.0.1
        "[2002:c0a8:1::1]",  # ... of 192.168.0.1
        "[::127.0.0.1]",  # IPv4-compatible
        "[::a9fe:a9fe]",
        "[::ffff:127.0.0.1]",  # IPv4-mapped
    ],
)
def test_ipv6_addresses_carrying_a_private_ipv4_address_are_refused(host: str) -> None:
    """Python calls NAT64, 6to4 and IPv4-compatible addresses global whatever IPv4 address
    they carry; a translator delivers them to that address, so that address decides."""
    from clausewatch.net.guardproxy import public_only
    from clausewatch.net.netguard import literal

    why = refusal(host)
    assert why is not None and "not a public address" in why, host
    address = literal(host)
    assert address is not None and public_only(host, 443, [address]) is not None


@pytest.mark.parametrize(
    "host", ["[64:ff9b::808:808]", "[2002:808:808::1]", "[::ffff:8.8.8.8]", "[::8.8.8.8]"]
)
def test_ipv6_addresses_carrying_a_public_ipv4_address_pass(host: str) -> None:
    assert refusal(host) is None


@pytest.mark.browser
def test_the_browser_refuses_private_pages_and_redirects(
    demo_site: DemoSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS")
    document = CatalogDocument(
        id="internal", entity="X", title="T", type="t", url=demo_site.url("northwind-terms")
    )

    async def go() -> BaseException | None:
        async with Renderer(CaptureSettings(host_gap_s=0)) as renderer:
            try:
                await renderer.capture(document)
            except FetchError as exc:
                return exc
        return None

    error = asyncio.run(go())
    assert (
        isinstance(error, FetchError)
        and "refused" in str(error)
        and "CLAUSEWATCH_ALLOW_PRIVATE_URLS" in str(error)
    )
    assert not error.transient


_TAGS = st.sampled_from(
    [
        "p",
        "div",
        "li",
        "ul",
        "table",
        "tr",
        "td",
        "h1",
        "h2",
        "main",
        "nav",
        "span",
        "a",
        "script",
        "style",
        "br",
        "header",
        "footer",
        "aside",
        "article",
        "b",
        "section",
    ]
)
_ATTRS = st.sampled_from(
    [
        "",
        " hidden",
        ' class="cookie-banner"',
        ' role="dialog"',
        ' style="display:none"',
        ' id="consent"',
        ' aria-hidden="true"',
        ' data-cfemail="zz"',
        ' href="?utm_source=x"',
    ]
)


@st.composite
def tag_soup(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 60))):
        tag, attrs = draw(_TAGS), draw(_ATTRS)
        kind = draw(st.integers(0, 3))
        text = draw(st.text(max_size=40))
        parts.append(soup_part(kind, tag, attrs, text))
    return "".join(parts)


# Prefect's background threads (the session's test harness) draw from the global `random`
# module while Hypothesis generates examples, which Hypothesis reports as strategy misuse.
_PREFECT_THREADS_USE_RANDOM = pytest.mark.filterwarnings(
    "ignore::hypothesis.errors.HypothesisDeprecationWarning"
)


@pytest.mark.slow
@_PREFECT_THREADS_USE_RANDOM
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tag_soup())
def test_extraction_never_crashes_on_tag_soup(html: str) -> None:
    try:
        result = extract(html)
    except ExtractionError:
        return
    assert all(c.text == c.text.strip() and c.text for c in result.clauses)


@_PREFECT_THREADS_USE_RANDOM
@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_extraction_never_crashes_on_random_bytes(data: bytes) -> None:
    with contextlib.suppress(ExtractionError):  # a clear refusal is fine; nothing else is
        extract(data)


def test_secrets_never_reach_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from clausewatch.cli import app

    secret = "whsec_c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1sZWFrLTMyYg=="
    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_URLS", "http://127.0.0.1:9/hook")
    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_SECRET", secret)
    monkeypatch.setenv("WAYBACK_SECRET_KEY", "wayback-secret-value")
    runner = CliRunner()
    outputs = [
        runner.invoke(app, args).output
        for args in (
            ["deliver", "--store", str(tmp_path)],
            ["archive", "--store", str(tmp_path)],
            ["events", "--store", str(tmp_path)],
            ["verify", "--store", str(tmp_path)],
        )
    ]
    assert not any(secret in o or "wayback-secret-value" in o for o in outputs)
