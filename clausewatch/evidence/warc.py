"""WARC 1.1 export of a document's captures, for standard replay and archive tools (warcio).

Per version, oldest first: a ``response`` record with the HTTP status, headers and body as
captured (for a version with no observed HTTP response, an imported file, a ``resource`` record
of the body instead, which states no status or headers); ``resource`` records for the rendered
DOM (``urn:dom:<url>``) and the screenshot (``urn:screenshot:<url>``), concurrent to the
response; and a ``metadata`` record holding the manifest. Every blob is verified against its hash as it is read from the store.

No stored value can add a header line: a URL is written with its control characters, spaces
and ``<>"{}|\\^``` percent-encoded (a stored ``\\r\\n`` cannot start a forged WARC header; the
``metadata`` record keeps the manifest's URL exactly), and an HTTP header value holding line
breaks (Playwright joins repeated headers such as Set-Cookie with ``\\n``) is written as one
header line per value. A header name that is not an HTTP token refuses the export.

The ``warcinfo`` record lists the captured pages (one per version: URL, time, title) in a
``json-metadata`` field of type ``recording``, the page list py-wacz's
``wacz create --detect-pages`` and Webrecorder's tools read; without it they find no pages,
since a capture has no request records whose referrers would name them.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import iso_date_to_timestamp
from warcio.warcwriter import WARCWriter

from clausewatch import __name__ as _package
from clausewatch.errors import StoreError
from clausewatch.evidence.history import versions
from clausewatch.storage.models import Manifest, dump
from clausewatch.storage.store import Store
from clausewatch.times import utc_z
from clausewatch.urls import percent_encode_unsafe

# Playwright hands over the decoded body: these headers no longer describe it.
_STALE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP header name (RFC 9110 token)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# a WARC extension field on the record of a version captured without an HTTP response
_UNOBSERVED = {
    "Clausewatch-Capture": "imported: no HTTP response was observed; the content type is the "
    "one the store recorded for the file"
}


def export_warc(store: Store, document: str, output: Path, since: datetime | None = None) -> int:
    """Write the document's captures to ``output`` (gzipped WARC); returns the record count."""
    chain = [
        (h, m)
        for h, m in reversed(versions(store, document))
        if since is None or m.captured_at >= since
    ]
    fd, tmp = tempfile.mkstemp(
        prefix=".clausewatch-", suffix=".warc.gz", dir=output.resolve().parent
    )
    count = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            writer = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
            writer.write_record(
                writer.create_warcinfo_record(
                    percent_encode_unsafe(output.name),
                    {
                        "software": f"{_package} (clausewatch)",
                        "format": "WARC File Format 1.1",
                        "description": f"captures of {document}",
                        "json-metadata": _page_list(chain),
                    },
                )
            )
            count = 1
            for h, manifest in chain:
                count += _write_version(store, writer, h, manifest)
        os.replace(tmp, output)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return count


def _warc_date(m: Manifest) -> str:
    return utc_z(m.captured_at, "seconds")


def _page_list(chain: list[tuple[str, Manifest]]) -> str:
    """The captured pages as a one-line JSON ``recording`` page list (ASCII-escaped, so no
    newline or non-ASCII byte can break the ``warcinfo`` fields)."""
    pages = [
        {
            "id": h,
            "url": percent_encode_unsafe(m.final_url or m.request_url),
            "timestamp": iso_date_to_timestamp(_warc_date(m)),
            "title": m.document.title or m.document.id,
        }
        for h, m in chain
    ]
    return json.dumps({"type": "recording", "pages": pages}, ensure_ascii=True)


def _http_headers(h: str, m: Manifest) -> list[tuple[str, str]]:
    """The captured headers as header lines: never one holding a line break."""
    lines = []
    for name, value in m.http_headers.items():
        if name.lower() in _STALE_HEADERS:
            continue
        if not _TOKEN.fullmatch(name):
            raise StoreError(
                f"{m.document.id} version {m.version} (manifest {h}): HTTP header name "
                f"{name!r} is not a header name, so it cannot be written to a WARC; "
                "run `clausewatch verify` on the store (export refused, nothing written)"
            )
        lines += [(name, part) for part in _LINE_BREAK.split(value)]
    return lines


def _write_version(store: Store, writer: WARCWriter, h: str, m: Manifest) -> int:
    url = percent_encode_unsafe(m.final_url or m.request_url)
    date = _warc_date(m)
    body = store.get_blob(m.blobs["response"].sha256)
    if m.http_status is None:
        # no HTTP response was observed (an imported file): the body as a resource, with no
        # status line or headers that nobody saw
        record = writer.create_warc_record(
            url,
            "resource",
            payload=io.BytesIO(body),
            warc_content_type=m.blobs["response"].media_type,
            warc_headers_dict={"WARC-Date": date, **_UNOBSERVED},
        )
    else:
        headers = _http_headers(h, m)
        status = m.http_status
        http = StatusAndHeaders(
            f"{status} OK" if status == 200 else str(status), headers, protocol="HTTP/1.1"
        )
        record = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": date},
        )
    writer.write_record(record)
    concurrent = {
        "WARC-Date": date,
        "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
    }
    written = 1
    for name, prefix in (("dom", "urn:dom:"), ("screenshot", "urn:screenshot:")):
        if ref := m.blobs.get(name):
            data = store.get_blob(ref.sha256)
            writer.write_record(
                writer.create_warc_record(
                    prefix + url,
                    "resource",
                    payload=io.BytesIO(data),
                    warc_content_type=ref.media_type,
                    warc_headers_dict=dict(concurrent),
                )
            )
            written += 1
    manifest_bytes = dump(m)
    writer.write_record(
        writer.create_warc_record(
            f"urn:clausewatch:manifest:{h}",
            "metadata",
            payload=io.BytesIO(manifest_bytes),
            warc_content_type="application/json",
            warc_headers_dict=dict(concurrent),
        )
    )
    return written + 1
