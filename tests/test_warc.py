"""WARC export reads back cleanly with warcio's digest checking."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from clausewatch.cli import app
from clausewatch.pipeline.model import Capture
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
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


def test_wacz_detect_pages_lists_every_capture(tmp_path: Path) -> None:
    """py-wacz ``wacz create --detect-pages`` finds each captured version as a page: the
    warcinfo record carries the page list (a capture has no referrers to detect pages by)."""
    store = Store(LocalBackend(tmp_path / "store"))
    captures = [
        Capture(
            url="https://acme.example/privacy",
            captured_at=T0,
            source="browser",
            body=page("One."),
            dom=page("One.") + b"<!-- rendered -->",
            status=200,
            headers={"content-type": "text/html; charset=utf-8"},
        ),
        Capture(  # imported: a resource record, no HTTP response
            url="https://acme.example/privacy",
            captured_at=T0.replace(hour=1),
            source="import",
            body=page("Two."),
        ),
        Capture(  # redirected: the page is where the browser landed
            url="https://acme.example/privacy",
            final_url="https://www.acme.example/legal/privacy",
            captured_at=T0.replace(hour=2),
            source="browser",
            body=page("Three."),
            status=200,
            headers={"content-type": "text/html"},
        ),
    ]
    for cap in captures:
        record_capture(store, target(), cap)
    warc = tmp_path / "acme.warc.gz"
    result = CliRunner().invoke(
        app, ["export-warc", "acme-privacy", "--store", store.url, "-o", str(warc)]
    )
    assert result.exit_code == 0, result.output
    wacz = tmp_path / "acme.wacz"
    proc = subprocess.run(
        [sys.executable, "-m", "wacz", "create", "--detect-pages", "-o", str(wacz), str(warc)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(wacz) as zf:
        header, *lines = zf.read("pages/pages.jsonl").decode().splitlines()
    assert json.loads(header)["format"] == "json-pages-1.0"
    pages = [json.loads(line) for line in lines]
    listed = [p for p in pages if not p["url"].startswith("urn:")]
    assert sorted((p["url"], p["ts"]) for p in listed) == [
        ("https://acme.example/privacy", "2026-01-01T00:00:00Z"),
        ("https://acme.example/privacy", "2026-01-01T01:00:00Z"),
        ("https://www.acme.example/legal/privacy", "2026-01-01T02:00:00Z"),
    ]
    assert {p["title"] for p in listed} == {"Acme Privacy"}
    assert len({p["id"] for p in listed}) == 3
    # py-wacz also lists every HTML resource on its own: here the rendered DOM of version 1
    assert [p["url"] for p in pages if p not in listed] == ["urn:dom:https://acme.example/privacy"]


FORGED_URL = "https://acme.example/\r\nWARC-Injected: 1"


def _store_bypassing_import(tmp_path: Path, headers: dict[str, str]) -> Store:
    """A version whose URL and headers hold line breaks, recorded straight into the store
    (import and the catalog refuse such a URL; an older import stored them)."""
    from clausewatch.pipeline.model import Target
    from clausewatch.storage.models import DocumentRef

    store = Store(LocalBackend(tmp_path / "store"))
    ref = DocumentRef(id="acme-privacy", url=FORGED_URL, title="Acme")
    cap = Capture(
        url=FORGED_URL,
        captured_at=T0,
        source="browser",
        body=page("One."),
        dom=page("One."),
        status=200,
        headers=headers,
    )
    record_capture(store, Target(ref=ref), cap)
    return store


def test_no_stored_value_can_add_a_warc_header_line(tmp_path: Path) -> None:
    import gzip

    headers = {
        "content-type": "text/html",
        "set-cookie": "a=1\nb=2",  # how Playwright joins a repeated header
        "x-evil": "v\r\nWARC-Injected: 2",
    }
    store = _store_bypassing_import(tmp_path, headers)
    out = tmp_path / "acme.warc.gz"
    result = CliRunner().invoke(
        app, ["export-warc", "acme-privacy", "--store", store.url, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    raw = gzip.decompress(out.read_bytes())
    assert b"\nWARC-Injected" not in raw
    with out.open("rb") as fh:
        records = list(
            (r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read())
            for r in ArchiveIterator(fh, check_digests=True)
        )
    encoded = "https://acme.example/%0D%0AWARC-Injected:%201"
    targets = [h.get_header("WARC-Target-URI") for _, h, _, _ in records[1:]]
    assert targets[:2] == [encoded, "urn:dom:" + encoded]
    assert targets[2].startswith("urn:clausewatch:manifest:")
    assert all(h.get_header("WARC-Injected") is None for _, h, _, _ in records)
    [http] = [hh for kind, _, hh, _ in records if kind == "response"]
    assert [v for k, v in http.headers if k == "set-cookie"] == ["a=1", "b=2"]
    assert [v for k, v in http.headers if k == "x-evil"] == ["v", "WARC-Injected: 2"]
    assert http.get_header("WARC-Injected") is None
    # the metadata record keeps the manifest, and in it the URL exactly as stored
    [manifest] = [json.loads(body) for kind, _, _, body in records if kind == "metadata"]
    assert manifest["request_url"] == FORGED_URL


def test_a_header_name_that_is_not_a_token_refuses_the_export(tmp_path: Path) -> None:
    store = _store_bypassing_import(tmp_path, {"x-a\r\nWARC-Injected": "1"})
    out = tmp_path / "acme.warc.gz"
    result = CliRunner().invoke(
        app, ["export-warc", "acme-privacy", "--store", store.url, "-o", str(out)]
    )
    assert result.exit_code == 2
    assert "acme-privacy version 1 (manifest " in result.output and "Traceback" not in result.output
    assert not out.exists() and list(tmp_path.glob(".clausewatch-*")) == []
