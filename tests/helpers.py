"""Small builders shared by tests."""

from __future__ import annotations

import asyncio
import base64
import glob
import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jsonschema
import pytest

from clausewatch.events.webhooks import Endpoint
from clausewatch.pipeline.model import Capture, Target
from clausewatch.pipeline.record import record_capture
from clausewatch.schemas import SCHEMA_DIR
from clausewatch.storage import layout
from clausewatch.storage.models import DocumentRef
from clausewatch.storage.records import Entry
from clausewatch.storage.store import Store, open_store
from clausewatch.storage.verify import verify_store
from clausewatch.wayback.client import WaybackClient, WaybackSettings
from clausewatch.web.viewer import create_app

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SCHEMAS = SCHEMA_DIR / "events"


def page(*paragraphs: str, title: str = "Privacy Policy", noise: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title></head><body>"
        f"<nav><a href='/?n={noise}'>Home</a></nav>"
        f"<div id='cookie-banner'>We use cookies {noise}</div>"
        f"<main><h1>{title}</h1>{body}</main><footer>Generated {noise}</footer></body></html>"
    ).encode()


def target(doc: str = "acme-privacy", select: tuple[str, ...] = ()) -> Target:
    ref = DocumentRef(
        id=doc,
        entity="Acme",
        title="Acme Privacy",
        type="privacy policy",
        url=f"https://acme.example/{doc}",
    )
    return Target(ref=ref, select=select)


def capture(body: bytes, minutes: int = 0) -> Capture:
    return Capture(
        url="https://acme.example/privacy",
        captured_at=T0 + timedelta(minutes=minutes),
        source="import",
        body=body,
    )


def soup_part(kind: int, tag: str, attrs: str, text: str) -> str:
    """One piece of generated tag soup: an opening tag, a closing tag, text, or an element."""
    if kind == 0:
        return f"<{tag}{attrs}>"
    if kind == 1:
        return f"</{tag}>"
    if kind == 2:
        return text
    return f"<{tag}{attrs}>{text}</{tag}>"


def _delete(store: Store, key: str) -> None:
    backend = store.backend
    if hasattr(backend, "root"):
        (backend.root / key).unlink()
    else:
        backend.client.delete_object(Bucket=backend.bucket, Key=backend.prefix + key)  # type: ignore[attr-defined]


def validate(event: dict[str, object]) -> None:
    name = str(event["type"]).rsplit(".", 1)[-1]
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        event
    )


def endpoint(url: str, **kw: object) -> Endpoint:
    return Endpoint(name="test", url=url, secret=SECRET, timeout_s=0.5, backoff_s=10, **kw)  # type: ignore[arg-type]


SECRET = "whsec_" + base64.b64encode(b"clausewatch-test-secret-32-bytes").decode()


def write_pages(tmp_path: Path, texts: list[tuple[str, str]]) -> Path:
    """A batch file over saved pages: (document, text) per line."""
    lines = []
    for i, (doc, text) in enumerate(texts):
        f = tmp_path / f"{i:03d}.html"
        f.write_bytes(page(*text.split("|"), noise=str(i)))
        lines.append(
            json.dumps(
                {
                    "document": doc,
                    "url": f"https://x.example/{doc}",
                    "file": str(f),
                    "captured_at": f"2025-01-{i + 1:02d}T00:00:00Z",
                }
            )
        )
    batch = tmp_path / "steps.jsonl"
    batch.write_text("\n".join(lines) + "\n")
    return batch


def entry(store: Store, manifest: str, doc: str = "acme-terms") -> Entry:
    """A version's Wayback entry: in the queue, or moved out of it once finished."""
    found = store.backend.read_versioned(layout.wayback_entry(doc, manifest))
    if found is None:
        finished = Entry.model_validate_json(store.backend.read(layout.wayback_done(doc, manifest)))
        assert finished.status in ("archived", "skipped", "failed"), finished
        return finished
    queued = Entry.model_validate_json(found[0])
    assert queued.status not in ("archived", "skipped", "failed"), queued
    return queued


def version(
    store: Store, url: str, text: str = "Terms.", doc: str = "acme-terms", minute: int = 0
) -> str:
    """Record a browser capture of ``url``: that queues it for the Wayback Machine."""
    cap = Capture(
        url=url, captured_at=T0 + timedelta(minutes=minute), source="browser", body=page(text)
    )
    outcome = record_capture(store, target(doc), cap)
    assert outcome.manifest
    return outcome.manifest


def client_for(base: str) -> WaybackClient:
    settings = WaybackSettings(
        base_url=base,
        poll_interval_s=0.01,
        max_polls=5,
        timeout_s=0.5,
        access_key="KEY",
        secret_key="SECRET",
    )
    return WaybackClient(settings, httpx.Client(), sleep=lambda s: None)


def view(store: Store, path: str, index: Path | None = None) -> httpx.Response:
    """GET a viewer page in-process (the ASGI app through httpx, no socket); ``index`` is the
    search index file its search page uses."""

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(store, index))
        async with httpx.AsyncClient(transport=transport, base_url="http://viewer") as client:
            return await client.get(path)

    return asyncio.run(get())


def assert_one_version_per_change(store_dir: str) -> None:
    """After v1 then v2 of the demo site, however many writers: one version per real change,
    one event per version, a store that verifies."""
    store = open_store(store_dir)
    versions = {d: [m.version for _, m in store.chain(d)] for d in store.documents()}
    assert versions == {
        "northwind-privacy": [2, 1],
        "northwind-terms": [2, 1],
        "northwind-acceptable-use": [1],
    }
    kinds = sorted(e["type"].rsplit(".", 1)[1] for _, e in store.events())
    assert kinds == ["captured"] * 3 + ["changed"] * 2
    assert verify_store(store).ok


def pg_bindir() -> str | None:
    """Where scripts/server.sh finds initdb and pg_ctl (PATH, then Debian's directory)."""
    pg_ctl = shutil.which("pg_ctl")
    candidates = [os.path.dirname(os.path.realpath(pg_ctl))] if pg_ctl else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in candidates:
        if all(os.access(os.path.join(directory, b), os.X_OK) for b in ("pg_ctl", "initdb")):
            return directory
    return None


needs_postgresql = pytest.mark.skipif(
    pg_bindir() is None,
    reason="no PostgreSQL binaries: pg_ctl and initdb neither on PATH nor in /usr/lib/postgresql/*/bin"
    " (apt-get install -y postgresql; `make test` does so as root)",
)
