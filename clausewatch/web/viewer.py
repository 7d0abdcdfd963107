"""A read-only web viewer for auditors (Starlette, which Prefect already brings).

Pages: documents by entity; a document's versions with dates, hashes, verification status and
Wayback copies; the clause diff between any two versions; the citation record; the screenshot;
downloads by hash. Only GET exists. Captured content is untrusted: every string is
HTML-escaped, captured HTML is only ever served as a download (``attachment``,
``application/octet-stream``), and every response carries a Content-Security-Policy that
allows no script at all.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from clausewatch.changes.diff import WordOp
from clausewatch.changes.lineage import clause_id
from clausewatch.errors import ClausewatchError, IntegrityError
from clausewatch.evidence import cite, history
from clausewatch.storage.store import STRAY_HEAD, Store
from clausewatch.wayback.archive import attestation

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_STYLE = """body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35em;text-align:left;vertical-align:top}
code{font-size:.85em}del{background:#fdd;text-decoration:line-through}ins{background:#dfd;text-decoration:none}
.ok{color:#070}.bad{color:#b00;font-weight:bold}.muted{color:#777}nav a{margin-right:1em}
.change{border-left:4px solid #ccc;padding:.3em .8em;margin:.6em 0}.modified{border-color:#e9a400}
.added{border-color:#2a2}.removed{border-color:#c22}.moved{border-color:#36c}"""

e = html.escape


def page(title: str, body: str) -> HTMLResponse:
    doc = (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{e(title)}</title>"
        f"<style>{_STYLE}</style><nav><a href='/'>Documents</a></nav><h1>{e(title)}</h1>{body}</html>"
    )
    return HTMLResponse(doc, headers=SECURITY_HEADERS)


def _guard(view: Callable[[Store, Request], Response]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        store: Store = request.app.state.store
        try:
            return view(store, request)
        except IntegrityError as exc:
            response = page("Integrity failure", f"<p class=bad>{e(str(exc))}</p>")
            response.status_code = 409
            return response
        except ClausewatchError as exc:
            response = page("Not found", f"<p>{e(str(exc))}</p>")
            response.status_code = 404
            return response

    return endpoint


def documents(store: Store, request: Request) -> Response:
    by_entity: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    damaged: list[tuple[str, str]] = []
    damaged += [(key, f"{key}: {STRAY_HEAD}") for key in store.stray_heads()]
    for document in store.documents(quiet=True):
        # one unreadable document (a garbage head, a lost manifest) is listed as damaged: the
        # others are still shown
        try:
            head, _ = store.head(document)
            if head is None:
                continue
            manifest = store.get_manifest(head.manifest)
        except ClausewatchError as exc:
            damaged.append((document, str(exc)))
            continue
        by_entity[manifest.document.entity or "(no entity)"].append((document, manifest))
    parts = []
    for entity in sorted(by_entity):
        rows = "".join(
            f"<tr><td><a href='/doc/{e(d)}'>{e(m.document.title or d)}</a></td><td>{e(m.document.type)}</td>"
            f"<td>{m.version}</td><td>{e(_iso(m.captured_at))}</td></tr>"
            for d, m in sorted(by_entity[entity])
        )
        parts.append(
            f"<h2>{e(entity)}</h2><table><tr><th>document</th><th>type</th><th>versions</th>"
            f"<th>latest capture (UTC)</th></tr>{rows}</table>"
        )
    if damaged:
        rows = "".join(
            f"<tr><td>{e(d)}</td><td class=bad>{e(reason)}</td></tr>"
            for d, reason in sorted(damaged)
        )
        parts.append(
            "<h2 class=bad>Damaged</h2><p>These documents cannot be read: run "
            "<code>clausewatch verify</code> on the store.</p>"
            f"<table><tr><th>document</th><th>what is wrong</th></tr>{rows}</table>"
        )
    return page("Documents", "".join(parts) or "<p>The store holds no document yet.</p>")


def document(store: Store, request: Request) -> Response:
    doc = request.path_params["doc"]
    chain = history.versions(store, doc)
    latest = chain[0][1]
    rows = []
    for h, m in chain:
        verified = _verified(store, m)
        wayback = attestation(store, h)
        shot = (
            f"<a href='/doc/{e(doc)}/v/{m.version}/screenshot'>screenshot</a>"
            if "screenshot" in m.blobs
            else ""
        )
        rows.append(
            f"<tr><td>{m.version}</td><td>{e(_iso(m.captured_at))}</td><td>{e(m.change_class)}</td>"
            f"<td><code>{h[:16]}</code><br><code class=muted>{m.content_hash[:16]}</code></td>"
            f"<td>{verified}</td>"
            f"<td>{_link(wayback.archive_url, 'Wayback') if wayback else '<span class=muted>none</span>'}</td>"
            f"<td><a href='/blob/{h}'>manifest</a> <a href='/blob/{m.content_hash}'>text</a> "
            f"<a href='/blob/{(m.blobs.get('dom') or m.blobs['response']).sha256}'>page</a> {shot}</td></tr>"
        )
    body = (
        f"<p>{e(latest.document.entity)} · {e(latest.document.type)} · {_link(latest.document.url, latest.document.url)}</p>"
        f"<p><a href='/doc/{e(doc)}/diff'>latest change</a> · <a href='/doc/{e(doc)}/cite'>citation record</a></p>"
        "<table><tr><th>version</th><th>captured (UTC)</th><th>class</th><th>manifest / content</th>"
        f"<th>hashes</th><th>Wayback</th><th>downloads</th></tr>{''.join(rows)}</table>"
    )
    return page(latest.document.title or doc, body)


def diff(store: Store, request: Request) -> Response:
    doc = request.path_params["doc"]
    old, new = request.query_params.get("old"), request.query_params.get("new")
    (oh, om), (nh, nm), changes, lineages = history.diff_versions(store, doc, old, new)
    blocks = []
    for c in changes.changes:
        ident = clause_id(c, *lineages) or ""
        if (ops := c.word_ops) is not None:
            text = _html_word_diff(ops)
        else:
            text = e((c.after if c.change != "removed" else c.before) or "")
        where = e(" > ".join(c.path) or "(top)")
        blocks.append(
            f"<div class='change {c.change}'><b>{c.change}</b> <code>{e(ident)}</code> "
            f"<span class=muted>in {where}</span><br>{text}</div>"
        )
    choose = (
        f"<form method=get><label>from <input name=old value='{om.version}' size=4></label> "
        f"<label>to <input name=new value='{nm.version}' size=4></label> <button>compare</button></form>"
    )
    summary = ", ".join(f"{n} {k}" for k, n in changes.counts.items() if n) or "no clause changes"
    body = (
        f"<p>version {om.version} ({e(_iso(om.captured_at))}, <code>{oh[:12]}</code>) → version "
        f"{nm.version} ({e(_iso(nm.captured_at))}, <code>{nh[:12]}</code>): {e(summary)}</p>"
        f"{choose}{''.join(blocks)}"
    )
    return page(f"{nm.document.title or doc}: changes", body)


def citation(store: Store, request: Request) -> Response:
    doc = request.path_params["doc"]
    record = cite.citation(store, doc, request.query_params.get("at"))
    fmt = request.query_params.get("format")
    if fmt in ("json", "bibtex"):
        body = cite.render(record, fmt)
        return PlainTextResponse(
            body,
            headers=SECURITY_HEADERS,
            media_type="application/json" if fmt == "json" else "text/plain",
        )
    fields = [
        ("Record", record["record_id"]),
        ("Entity", record["entity"]),
        ("Captured (UTC)", record["captured_at"]),
        ("Source", record["source_url"]),
        ("SHA-256 of the snapshot", record["snapshot_sha256"]),
        ("SHA-256 of the text", record["text_sha256"]),
        ("Hash verified", f"yes, at {record['verified_at']}"),
        ("Wayback", record["wayback_url"] or "not archived"),
        ("Last seen", record["last_seen"]),
    ]
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in fields)
    clauses = "".join(
        f"<tr><td><code>{e(c['clause_record_id'])}</code></td><td>{e(c['text'][:160])}</td>"
        f"<td>{e(c['first_seen'][:10])}</td><td>{e(c['last_seen'][:10])}</td><td>{c['months_monitored']}</td>"
        f"<td>{c['changes']}</td><td>{e(c['stability'])}</td></tr>"
        for c in record["clauses"]
    )
    body = (
        f"<table>{rows}</table><p><a href='?format=json'>JSON</a> · <a href='?format=bibtex'>BibTeX</a></p>"
        "<h2>Clauses</h2><table><tr><th>clause</th><th>text</th><th>first seen</th><th>last seen</th>"
        f"<th>months</th><th>changes</th><th>stability</th></tr>{clauses}</table>"
    )
    return page(f"Citation record: {record['document']['title'] or doc}", body)


def screenshot(store: Store, request: Request) -> Response:
    doc, version = request.path_params["doc"], request.path_params["version"]
    _, m = history.find_version(store, doc, str(version))
    ref = m.blobs.get("screenshot")
    if ref is None:
        raise ClausewatchError(f"{doc} version {version} has no screenshot")
    return Response(store.get_blob(ref.sha256), media_type="image/png", headers=SECURITY_HEADERS)


def blob(store: Store, request: Request) -> Response:
    """Any blob or manifest by hash, verified, always as a download (never rendered)."""
    h = store.resolve(request.path_params["hash"])
    _, data = store.get_object(h)
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="{h}"',
        "X-Content-SHA256": h,
    }
    return Response(data, media_type="application/octet-stream", headers=headers)


def create_app(store: Store) -> Starlette:
    routes = [
        Route("/", _guard(documents)),
        Route("/doc/{doc}", _guard(document)),
        Route("/doc/{doc}/diff", _guard(diff)),
        Route("/doc/{doc}/cite", _guard(citation)),
        Route("/doc/{doc}/v/{version:int}/screenshot", _guard(screenshot)),
        Route("/blob/{hash}", _guard(blob)),
    ]
    app = Starlette(routes=routes)  # Route defaults to GET (and HEAD) only: no write endpoint
    app.state.store = store
    return app


def _verified(store: Store, m: Any) -> str:
    try:
        for ref in m.blobs.values():
            store.get_blob(ref.sha256)
    except ClausewatchError as exc:
        return f"<span class=bad>FAILED: {e(str(exc))[:200]}</span>"
    return (
        f"<span class=ok>hash verified</span> <span class=muted>{e(_iso(datetime.now(UTC)))}</span>"
    )


def _html_word_diff(ops: tuple[WordOp, ...]) -> str:
    """The word diff's operations as HTML: tags come from the operations, never from the text."""
    tags = {"delete": "del", "insert": "ins"}
    return " ".join(
        f"<{tags[o.op]}>{e(o.text)}</{tags[o.op]}>" if o.op in tags else e(o.text) for o in ops
    )


def _link(url: str, text: str) -> str:
    safe = url if url.startswith(("http://", "https://")) else "#"
    return f"<a href='{e(safe)}' rel='noreferrer noopener'>{e(text)}</a>"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
