"""Citation records, from a hash chain with lineage."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausewatch.cite import citation
from clausewatch.cli import app
from clausewatch.errors import IntegrityError
from clausewatch.record import record_capture
from storage.local import LocalBackend
from storage.store import Store, blob_key
from tests.helpers import T0, capture, page, target

runner = CliRunner()


@pytest.fixture
def history(tmp_path: Path) -> Store:
    store = Store(LocalBackend(tmp_path / "store"))
    t = target()
    texts = [
        ("We keep data for 30 days.", "You may opt out."),
        ("We keep data for 14 days.", "You may opt out."),
        ("We keep data for 7 days.", "You may opt out."),
    ]
    for months, paragraphs in zip((0, 3, 5), texts, strict=True):
        record_capture(store, t, capture(page(*paragraphs), minutes=months * 30 * 24 * 60))
    return store


def test_citation_record_of_the_latest_version(history: Store) -> None:
    record = citation(history, "acme-privacy")
    assert record["entity"] == "Acme" and record["version"] == 3 and record["hash_verified"]
    assert record["record_id"].startswith("acme-privacy@")
    assert record["text_sha256"] == history.head("acme-privacy")[0].content_hash  # type: ignore[union-attr]
    by_text = {c["text"]: c for c in record["clauses"]}
    retention = by_text["We keep data for 7 days."]
    # 150 days after the first capture: 4 whole calendar months (Jan 1 to May 31)
    assert (retention["changes"], retention["stability"], retention["months_monitored"]) == (
        2,
        "changed",
        4,
    )
    opt_out = by_text["You may opt out."]
    assert (opt_out["changes"], opt_out["stability"]) == (0, "stable")
    assert retention["clause_record_id"] != opt_out["clause_record_id"]
    assert retention["first_seen"] == (T0).isoformat().replace("+00:00", "Z")


def test_citation_at_a_time_and_formats(history: Store) -> None:
    at = (T0 + timedelta(days=100)).isoformat()
    record = citation(history, "acme-privacy", at)
    assert record["version"] == 2
    texts = [c["text"] for c in record["clauses"]]
    assert "We keep data for 14 days." in texts
    bib = runner.invoke(
        app, ["cite", "acme-privacy", "--store", history.url, "--format", "bibtex"]
    ).output
    assert bib.startswith("@misc{acme-privacy-") and "SHA-256" in bib
    md = runner.invoke(app, ["cite", "acme-privacy", "--store", history.url, "--at", "1"]).output
    assert "Hash verified: yes" in md and "| `acme-privacy#c" in md
    data = json.loads(
        runner.invoke(
            app, ["cite", "acme-privacy", "--store", history.url, "--format", "json"]
        ).output
    )
    assert data["version"] == 3
    bad = runner.invoke(app, ["cite", "acme-privacy", "--store", history.url, "--at", "1999-01-01"])
    assert bad.exit_code == 2 and "first captured" in bad.output


def test_citation_refuses_a_corrupted_snapshot(history: Store) -> None:
    head, _ = history.head("acme-privacy")
    assert head is not None
    manifest = history.get_manifest(head.manifest)
    history.backend.overwrite(blob_key(manifest.blobs["response"].sha256), b"tampered")
    with pytest.raises(IntegrityError):
        citation(history, "acme-privacy")


def test_a_url_that_is_not_http_is_never_a_link_in_the_markdown(tmp_path: Path) -> None:
    """A `javascript:` URL (an older import accepted one) is printed as code, not as an
    autolink that a Markdown renderer would make clickable."""
    from clausewatch.cite import markdown
    from clausewatch.record import Target
    from storage.models import DocumentRef

    store = Store(LocalBackend(tmp_path / "s"))
    ref = DocumentRef(id="acme-privacy", url="javascript:alert(document.cookie)")
    record_capture(store, Target(ref=ref), capture(page("We keep data.")))
    text = markdown(citation(store, "acme-privacy"))
    assert "<javascript:" not in text
    assert "- Source: `javascript:alert(document.cookie)`" in text
    good = Store(LocalBackend(tmp_path / "g"))
    record_capture(good, target(), capture(page("We keep data.")))
    assert "- Source: <https://acme.example/acme-privacy>" in markdown(
        citation(good, "acme-privacy")
    )
