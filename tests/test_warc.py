"""WARC export reads back cleanly with warcio's digest checking."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from clausewatch.cli import app
from clausewatch.record import Capture, record_capture
from storage.local import LocalBackend
from storage.store import Store
from tests.helpers import T0, page, target


def test_warc_round_trip(tmp_path: Path) -> None:
    store = Store(LocalBackend(tmp_path / "store"))
    bodies = []
    for minute, text in enumerate(("One.", "Two.")):
        body = page(text)
        bodies.append(body)
        cap = Capture(
            url="https://acme.example/privacy",
            captured_at=T0.replace(minute=minute),
            source="browser",
            body=body,
            dom=body + b"<!-- rendered -->",
            screenshot=b"\x89PNG\r\n\x1a\nfake",
            status=200,
            headers={"content-type": "text/html", "content-encoding": "gzip"},
        )
        record_capture(store, target(), cap)
    out = tmp_path / "acme.warc.gz"
    result = CliRunner().invoke(
        app, ["export-warc", "acme-privacy", "--store", store.url, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    records = []
    with out.open("rb") as fh:
        for record in ArchiveIterator(fh, check_digests=True):
            records.append(
                (
                    record.rec_type,
                    record.rec_headers.get_header("WARC-Target-URI"),
                    record.content_stream().read(),
                )
            )
    assert [r[0] for r in records] == ["warcinfo"] + [
        "response",
        "resource",
        "resource",
        "metadata",
    ] * 2
    responses = [r for r in records if r[0] == "response"]
    assert [r[2] for r in responses] == bodies
    assert all(r[1] == "https://acme.example/privacy" for r in responses)
    manifests = [json.loads(r[2]) for r in records if r[0] == "metadata"]
    assert [m["version"] for m in manifests] == [1, 2]
    assert {r[1].split(":")[1] for r in records if r[0] == "resource"} == {"dom", "screenshot"}


def test_imported_versions_claim_no_http_response(tmp_path: Path) -> None:
    """A version imported from a file has no observed status or headers: its body is a
    ``resource`` record, while a browser capture keeps its ``response`` with what was seen."""
    store = Store(LocalBackend(tmp_path / "store"))
    imported = Capture(
        url="https://acme.example/privacy",
        captured_at=T0,
        source="import",
        body=page("One."),
    )
    browser = Capture(
        url="https://acme.example/privacy",
        captured_at=T0.replace(minute=1),
        source="browser",
        body=page("Two."),
        status=404,
        headers={"content-type": "text/html; charset=utf-8", "x-seen": "yes"},
    )
    for cap in (imported, browser):
        record_capture(store, target(), cap)
    out = tmp_path / "acme.warc.gz"
    result = CliRunner().invoke(
        app, ["export-warc", "acme-privacy", "--store", store.url, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open("rb") as fh:
        records = [
            (r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read())
            for r in ArchiveIterator(fh, check_digests=True)
            if r.rec_headers.get_header("WARC-Target-URI") == "https://acme.example/privacy"
        ]
    [(kind1, warc1, http1, body1), (kind2, _, http2, body2)] = records
    assert (kind1, http1, body1) == ("resource", None, page("One."))
    assert warc1.get_header("Content-Type") == "text/html"  # the type the store recorded
    assert "no HTTP response was observed" in warc1.get_header("Clausewatch-Capture")
    assert (kind2, body2) == ("response", page("Two."))
    assert http2.get_statuscode() == "404"
    assert http2.headers == [("content-type", "text/html; charset=utf-8"), ("x-seen", "yes")]
