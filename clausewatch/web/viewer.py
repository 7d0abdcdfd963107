"""A read-only web viewer for auditors (Starlette, which Prefect already brings).

Pages: documents by entity; a document's versions with dates, hashes, verification status and
Wayback copies; the clause diff between any two versions, each clause linked to its timeline;
a clause's timeline; a search of every clause (the search index); the citation record; the
screenshot; downloads by hash. Only GET exists. Captured content is untrusted: the pages are Jinja2 templates
(``clausewatch/web/templates/``) with autoescape on, so every value is HTML-escaped; links go
only to http(s) URLs; captured HTML is only ever served as a download (``attachment``,
``application/octet-stream``), and every response carries a Content-Security-Policy that
allows no script at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from clausewatch.changes.diff import diff_clauses
from clausewatch.changes.lineage import clause_id
from clausewatch.errors import ClausewatchError, InputError, IntegrityError
from clausewatch.evidence import cite, history, provision
from clausewatch.storage.store import STRAY_HEAD, Store
from clausewatch.times import parse_instant, utc_z
from clausewatch.wayback.archive import attestation
from clausewatch.web import timeline

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("clausewatch.web", "templates"),
    autoescape=True,  # every value is escaped unless a template says otherwise (none does)
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEMPLATES.filters["iso"] = lambda value: utc_z(value, "seconds")


def page(template: str, title: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _TEMPLATES.get_template(template).render(title=title, **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _guard(view: Callable[[Store, Request], Response]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        store: Store = request.app.state.store
        try:
            return view(store, request)
        except IntegrityError as exc:
            return page("message.html", "Integrity failure", 409, message=str(exc), bad=True)
        except ClausewatchError as exc:
            return page("message.html", "Not found", 404, message=str(exc), bad=False)

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
    entities = [(entity, sorted(by_entity[entity])) for entity in sorted(by_entity)]
    return page("documents.html", "Documents", entities=entities, damaged=sorted(damaged))


def document(store: Store, request: Request) -> Response:
    doc = request.path_params["doc"]
    chain = history.versions(store, doc)
    rows = []
    for h, m in chain:
        wayback = attestation(store, h)
        rows.append(
            {
                "hash": h,
                "manifest": m,
                "failure": _failure(store, m),
                "wayback": wayback.archive_url if wayback else None,
                "page": (m.blobs.get("dom") or m.blobs["response"]).sha256,
            }
        )
    latest = chain[0][1]
    return page(
        "document.html",
        latest.document.title or doc,
        doc=doc,
        latest=latest,
        rows=rows,
        now=datetime.now(UTC),
        chart=timeline.layout(_document_marks(store, doc, chain), f"{len(chain)} version(s)"),
    )


def _document_marks(store: Store, doc: str, chain: list[history.Version]) -> list[timeline.Mark]:
    """A mark per version (the newest :data:`timeline.MAX_MARKS`), the words each changed
    against the version before (the first version: all its words)."""
    drawn = list(reversed(chain[: timeline.MAX_MARKS]))
    baseline = chain[timeline.MAX_MARKS] if len(chain) > timeline.MAX_MARKS else None
    try:
        previous = history.clauses_of(store, baseline[1]) if baseline else None
    except ClausewatchError:
        previous = None
    marks = []
    for _, m in drawn:
        try:
            clauses = history.clauses_of(store, m)
        except ClausewatchError:
            # a version whose text does not verify is drawn as damaged (the table says why);
            # the next one is compared with the last one that verified
            marks.append(timeline.Mark(m.version, "damaged", 0, None))
            continue
        if previous is None:
            words = len(" ".join(c.text for c in clauses).split())
            marks.append(timeline.Mark(m.version, m.change_class, words, None))
        else:
            words = timeline.words_changed(diff_clauses(previous, clauses))
            href = f"/doc/{doc}/diff?new={m.version}"
            marks.append(timeline.Mark(m.version, m.change_class, words, href))
        previous = clauses
    return marks


def diff(store: Store, request: Request) -> Response:
    doc = request.path_params["doc"]
    old, new = request.query_params.get("old"), request.query_params.get("new")
    (oh, om), (nh, nm), changes, lineages = history.diff_versions(store, doc, old, new)
    blocks = [{"change": c, "ident": clause_id(c, *lineages) or ""} for c in changes.changes]
    summary = ", ".join(f"{n} {k}" for k, n in changes.counts.items() if n) or "no clause changes"
    return page(
        "diff.html",
        f"{nm.document.title or doc}: changes",
        doc=doc,
        old=om,
        new=nm,
        old_hash=oh,
        new_hash=nh,
        summary=summary,
        blocks=blocks,
    )


def search(store: Store, request: Request) -> Response:
    """Clauses across every document (:mod:`evidence.index`), each linked to its timeline."""
    from clausewatch.evidence.index import Index

    query = request.query_params.get("q", "")
    at = request.query_params.get("at", "")
    hits: list[Any] = []
    message = ""
    if query.strip():
        try:
            when = parse_instant(at, "in force at") if at.strip() else None
            hits = Index(store, request.app.state.index).search(query, at=when)
        except InputError as exc:
            message = str(exc)
    status = 400 if message else 200
    return page(
        "search.html", "Search clauses", status, query=query, at=at, hits=hits, message=message
    )


def clause(store: Store, request: Request) -> Response:
    """A provision's timeline (:mod:`evidence.provision`) at a permanent URL."""
    doc, ident = request.path_params["doc"], request.path_params["clause"]
    record = provision.timeline(store, doc, ident)
    title = f"{record['document']['title'] or doc}: clause {record['clause_id']}"
    chart = timeline.layout(_clause_marks(doc, record), f"clause {record['clause_id']}")
    return page("clause.html", title, record=record, chart=chart)


def _clause_marks(doc: str, record: dict[str, Any]) -> list[timeline.Mark]:
    """A mark per document version holding the clause: high where its words changed."""
    classes = {"first": "first", "reworded": "substantive", "cosmetic": "cosmetic"}
    marks = []
    before: str | None = None
    for w in record["wordings"]:
        words = timeline.clause_words(before, w["text"])
        kind = classes.get(w["change"], "moved")
        href = None if before is None else f"/doc/{doc}/diff?new={w['version']}"
        marks.append(timeline.Mark(w["version"], kind, words, href))
        marks += [timeline.Mark(v["version"], "unchanged", 0, None) for v in w["versions"][1:]]
        before = w["text"]
    if record["removed_in_version"] is not None:
        v = record["removed_in_version"]
        words = len((before or "").split())
        marks.append(timeline.Mark(v, "removed", words, f"/doc/{doc}/diff?new={v}"))
    return marks


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
    title = f"Citation record: {record['document']['title'] or doc}"
    return page("citation.html", title, fields=fields, record=record)


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


def create_app(store: Store, index: Path | None = None) -> Starlette:
    """The viewer of ``store``; ``index`` is the search index file (default: the store's own,
    :func:`evidence.index.default_path`)."""
    routes = [
        Route("/", _guard(documents)),
        Route("/doc/{doc}", _guard(document)),
        Route("/doc/{doc}/diff", _guard(diff)),
        Route("/doc/{doc}/cite", _guard(citation)),
        Route("/doc/{doc}/clause/{clause}", _guard(clause)),
        Route("/search", _guard(search)),
        Route("/doc/{doc}/v/{version:int}/screenshot", _guard(screenshot)),
        Route("/blob/{hash}", _guard(blob)),
    ]
    app = Starlette(  # Route defaults to GET (and HEAD) only: no write endpoint
        routes=routes,
        exception_handlers={404: _not_routed, 405: _not_routed},
    )
    app.state.store = store
    app.state.index = index
    return app


async def _not_routed(request: Request, exc: Exception) -> Response:
    """A path no route serves, or a method none allows: the same headers as every page."""
    status = getattr(exc, "status_code", 404)
    message = "no such page" if status == 404 else "this viewer is read-only: GET and HEAD only"
    response = page(
        "message.html",
        "Not found" if status == 404 else "Not allowed",
        status,
        message=message,
        bad=False,
    )
    if status == 405:
        response.headers["Allow"] = "GET, HEAD"
    return response


def _failure(store: Store, m: Any) -> str | None:
    """Why a version's blobs do not verify (None: every one re-hashed to its name)."""
    try:
        for ref in m.blobs.values():
            store.get_blob(ref.sha256)
    except ClausewatchError as exc:
        return str(exc)
    return None
