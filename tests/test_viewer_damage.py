"""The viewer's index with damaged documents in the store: the others are listed, each damaged
one is named with what is wrong (escaped), and nothing answers 404 for the whole store."""

from __future__ import annotations

import re
from pathlib import Path

from clausewatch.pipeline.record import record_capture
from clausewatch.storage import layout
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from tests.helpers import capture, page, target, view


def test_one_damaged_document_does_not_hide_the_others(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = Store(LocalBackend(root))
    outcomes = {
        doc: record_capture(store, target(doc), capture(page(f"Clause of {doc}.")))
        for doc in ("acme-privacy", "acme-terms", "acme-cookies")
    }
    # acme-terms lost its manifest; acme-cookies' head is garbage (with markup in it)
    manifest = outcomes["acme-terms"].manifest
    assert manifest is not None
    (root / layout.manifest(manifest)).unlink()
    (root / "heads" / "acme-cookies.json").write_text("<script>alert(1)</script>")
    response = view(store, "/")
    assert response.status_code == 200
    html = response.text
    assert "<a href='/doc/acme-privacy'>" in html  # the readable document is listed
    damaged = html[html.index("Damaged") :]
    rows = dict(re.findall(r"<tr><td>([^<]*)</td><td class=bad>(.*?)</td></tr>", damaged, re.S))
    assert set(rows) == {"acme-terms", "acme-cookies"}
    assert manifest in rows["acme-terms"]
    assert "unreadable" in rows["acme-cookies"]
    assert "<script>" not in html  # the error names the head, without echoing its bytes
    # a damaged document's own page says what is wrong, the readable one still opens
    assert view(store, "/doc/acme-privacy").status_code == 200
    terms = view(store, "/doc/acme-terms")
    assert terms.status_code in (404, 409) and manifest in terms.text
