"""The ``clausewatch`` command line (Typer).

Every command takes ``--store URL`` (default ``./archive``, or ``CLAUSEWATCH_STORE``); commands
whose output is data take ``--json``. Errors print one line naming what failed and what to do,
and exit with status 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import os
import sqlite3
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from clausewatch.errors import ClausewatchError, InputError, SettingsError
from clausewatch.settings import IMPORT_GROUP_MAX, settings
from clausewatch.storage import layout
from clausewatch.times import parse_instant


class _Commands(TyperGroup):
    """Reads the ``CLAUSEWATCH_*`` settings before any command runs: a bad value is one error
    line naming the variable, exit status 2, before any work. ``CMD --help`` still shows help
    (the command's arguments are looked at here, before the command parses them)."""

    def invoke(self, ctx: Any) -> Any:  # typer.core.TyperGroup.invoke: its vendored Context
        words = [*getattr(ctx, "_protected_args", ()), *ctx.args]
        if "--help" not in words:
            try:
                settings()
            except SettingsError as exc:
                typer.echo(f"error: {_one_line(str(exc))}", err=True)
                raise typer.Exit(2) from None
        return super().invoke(ctx)


app = typer.Typer(
    cls=_Commands,
    help="Verifiable evidence of what policy pages said, and alerts when their substance changes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _store_default(ctx: Any, param: Any, value: str) -> str:
    """``--store`` when given, else ``CLAUSEWATCH_STORE`` through the settings (one reader of
    the environment), else their default, ``./archive``."""
    if ctx.get_parameter_source(param.name).name == "DEFAULT":
        return settings().store
    return value


StoreOpt = Annotated[
    str,
    typer.Option(
        "--store",
        callback=_store_default,
        show_default="./archive, or CLAUSEWATCH_STORE",
        help="Store URL: a path, file:///PATH or s3://BUCKET/PREFIX.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
IndexOpt = Annotated[
    str | None,
    typer.Option(
        "--index",
        help="The search index file (default: CLAUSEWATCH_INDEX, else one per store in ~/.cache).",
    ),
]
F = TypeVar("F", bound=Callable[..., Any])


def friendly(fn: F) -> F:
    """Turn clausewatch errors into one clear line on stderr and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ClausewatchError as exc:
            typer.echo(f"error: {_one_line(str(exc))}", err=True)
            raise typer.Exit(2) from None
        except OSError as exc:
            # the output could not be written (a full disk, a closed pipe), or another I/O
            # failure no layer named: one line, not a traceback
            what = exc.strerror or str(exc) or type(exc).__name__
            typer.echo(f"error: {_one_line(what)} (the output may be incomplete)", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _one_line(message: str) -> str:
    """An error message on one line: line breaks (a library's multi-line message, a value
    that carried one) become " / "; other control characters are escaped."""
    parts = [p.strip() for p in message.splitlines() if p.strip()]
    text = " / ".join(parts)
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False))


@app.command("run")
@friendly
def run_cmd(
    catalog: Annotated[Path, typer.Option("--catalog", help="Catalog YAML file.")],
    store: StoreOpt = "./archive",
    pages: Annotated[int, typer.Option(help="Pages rendered at once.", min=1, max=32)] = 4,
    per_host: Annotated[int, typer.Option(help="Pages of one host at once.", min=1, max=32)] = 2,
    host_gap: Annotated[
        float, typer.Option(help="Seconds between two requests to one host.", min=0)
    ] = 1.0,
    batch_size: Annotated[
        int | None,
        typer.Option(help="Documents per task (default: about 100 tasks per run).", min=1),
    ] = None,
    global_limits: Annotated[
        bool,
        typer.Option(
            "--global-limits/--local-limits",
            help="Hold Prefect global concurrency limits (across workers) around each page.",
        ),
    ] = False,
    no_prefect: Annotated[bool, typer.Option("--no-prefect", help="Run without Prefect.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Monitor every due document of a catalog once (the Prefect `monitor` flow)."""
    from clausewatch.pipeline.catalog import load_catalog
    from clausewatch.storage.store import open_store

    open_store(store)  # fail fast on an empty or malformed store URL (it creates the store)
    load_catalog(catalog)  # fail fast, with the catalog's own error message
    if no_prefect:
        results = asyncio.run(
            _run_plain(str(catalog), store, pages, per_host, host_gap, batch_size)
        )
    else:
        from clausewatch.flows.monitor import monitor

        with _ephemeral_prefect():
            results = asyncio.run(
                monitor(str(catalog), store, pages, per_host, host_gap, batch_size, global_limits)
            )
    for r in results:
        if as_json:
            _echo_json(r)
        else:
            typer.echo(
                f"{r['document']:40s} {r['status']:9s} {r.get('error') or r.get('content_hash') or ''}"
            )
    _update_index(store, {r["document"] for r in results if r["status"] in NEW_VERSION})
    if any(r["status"] == "error" for r in results):
        raise typer.Exit(1)


NEW_VERSION = ("first", "changed")  # the outcomes that record a version


def _update_index(store: str, documents: set[str]) -> None:
    """Apply the versions just recorded to the search index (unless CLAUSEWATCH_INDEX=off).
    The index is derived: a failure is a warning, never a failed run, and `search` catches up
    from the store anyway."""
    from clausewatch.evidence.index import maintained, open_index
    from clausewatch.storage.store import open_store

    if not documents or not maintained():
        return
    try:
        open_index(open_store(store)).refresh(sorted(documents))
    except (ClausewatchError, sqlite3.Error, OSError) as exc:
        typer.echo(
            f"warning: the search index was not updated ({exc}); `clausewatch index` rebuilds "
            "it, and `clausewatch search` catches up by itself",
            err=True,
        )


# Prefect's message when its ephemeral API server does not answer in time (a RuntimeError)
_EPHEMERAL_TIMED_OUT = "Timed out while attempting to connect to ephemeral Prefect API server"
# Prefect waits 20 s by default: too short on a busy 2-core machine
EPHEMERAL_STARTUP_TIMEOUT_S = 90


@contextlib.contextmanager
def _ephemeral_prefect(no_prefect: str = "run without Prefect (--no-prefect)") -> Iterator[None]:
    """Prefect's ephemeral API server, when no PREFECT_API_URL is set: given a longer time to
    start (:func:`_prefect_startup_timeout`), and one clear error line when it still does not."""
    with _prefect_startup_timeout() as timeout_s:
        try:
            yield
        except RuntimeError as exc:
            if not str(exc).startswith(_EPHEMERAL_TIMED_OUT):
                raise
            raise ClausewatchError(
                f"the temporary Prefect API server did not start within {timeout_s} s "
                "(a busy machine?): run a Prefect server and point PREFECT_API_URL at it "
                "(make server; PREFECT_API_URL=http://127.0.0.1:4200/api), or allow longer "
                f"with PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=180, or {no_prefect}"
            ) from None


@contextlib.contextmanager
def _prefect_startup_timeout() -> Iterator[int]:
    """Give Prefect's ephemeral API server ``EPHEMERAL_STARTUP_TIMEOUT_S`` to start, unless
    the user set ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS`` (environment, profile or
    prefect.toml: Prefect's ``set_defaults`` keeps a value that was set); yields the timeout."""
    from prefect.settings import (
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as startup_timeout,
    )
    from prefect.settings import temporary_settings

    with temporary_settings(set_defaults={startup_timeout: EPHEMERAL_STARTUP_TIMEOUT_S}):
        yield int(startup_timeout.value())


async def _run_plain(
    catalog: str, store: str, pages: int, per_host: int, host_gap: float, batch_size: int | None
) -> list[dict[str, Any]]:
    from clausewatch.pipeline.capture import CaptureSettings, Renderer
    from clausewatch.pipeline.catalog import load_catalog
    from clausewatch.pipeline.monitor import monitor_documents
    from clausewatch.storage.store import open_store

    settings = CaptureSettings(pages=pages, per_host=per_host, host_gap_s=host_gap)
    async with Renderer(settings) as renderer:
        outcomes = await monitor_documents(
            renderer, open_store(store), load_catalog(catalog).documents, batch_size=batch_size
        )
    return [o.as_json() for o in outcomes]


@app.command("import")
@friendly
def import_cmd(
    batch: Annotated[
        Path, typer.Option("--batch", help="JSON Lines: document, url, file, captured_at.")
    ],
    store: StoreOpt = "./archive",
    catalog: Annotated[
        Path | None, typer.Option("--catalog", help="Catalog for document facts.")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Processes extracting ahead (default: one per CPU).", min=1, max=64),
    ] = None,
    group: Annotated[
        int | None,
        typer.Option(
            help=(
                "Captures per durable sync on a local store; a line is printed once its "
                "group is on disk (default: CLAUSEWATCH_IMPORT_GROUP, 64; 1: a sync per write)."
            ),
            min=1,
            max=IMPORT_GROUP_MAX,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record saved pages without rendering them (back-fill); one result per input line.
    Exits 1 when any line could not be recorded (the other lines still are); a page with no
    legal text is an error on its line only."""
    from clausewatch.pipeline.catalog import load_catalog
    from clausewatch.pipeline.importer import default_workers, import_batch
    from clausewatch.storage.store import open_store

    cat = load_catalog(catalog) if catalog else None
    target = open_store(store)
    try:
        fh = batch.open("rb")  # decoded line by line: one bad byte spoils one line only
    except OSError as exc:
        raise InputError(f"cannot read batch {batch}: {exc.strerror}") from None
    failed = False
    with fh:
        outcomes = import_batch(
            target,
            fh,
            cat,
            str(batch),
            workers or default_workers(),
            group or settings().import_group,
        )
        recorded: set[str] = set()
        for outcome in outcomes:
            if outcome.status in NEW_VERSION:
                recorded.add(outcome.document)
            failed = failed or (outcome.status == "error" and outcome.error_type != "extraction")
            if as_json:
                _echo_json(outcome.as_json())
            else:
                detail = outcome.error or outcome.content_hash
                typer.echo(f"{outcome.document:40s} {outcome.status:9s} {detail}")
            sys.stdout.flush()
    _update_index(store, recorded)
    # every line was still processed and printed; 1 when a line could not be recorded (a bad
    # line, an unreadable file, a store error). A saved page with no legal text is reported on
    # its line (error_type "extraction") but does not fail the batch: it is a fact about the
    # page, not a fault of the batch, and a corpus of real pages holds some (the scorer's does)
    if failed:
        raise typer.Exit(1)


@app.command("show")
@friendly
def show_cmd(
    document: str,
    store: StoreOpt = "./archive",
    text: Annotated[
        bool, typer.Option("--text", help="Print the extracted legal text only.")
    ] = False,
    version: Annotated[
        str | None, typer.Option(help="Version number or manifest hash prefix.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a document's latest (or a given) version."""
    from clausewatch.evidence import history

    st = _store(store)
    mh, manifest = history.find_version(st, document, version)
    clauses = history.clauses_of(st, manifest)
    if text:
        typer.echo("\n\n".join(c.text for c in clauses))
    elif as_json:
        _echo_json(
            {
                "manifest": mh,
                **manifest.model_dump(mode="json"),
                "clauses": [
                    {"kind": c.kind, "path": list(c.path), "text": c.text} for c in clauses
                ],
            }
        )
    else:
        typer.echo(history.describe(mh, manifest))


@app.command("get")
@friendly
def get_cmd(
    hash: Annotated[
        str, typer.Argument(help="SHA-256 of a blob or manifest (or a unique prefix).")
    ],
    store: StoreOpt = "./archive",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
) -> None:
    """Retrieve an object by hash; the bytes are written only after they hash to HASH."""
    st = _store(store)
    full = st.resolve(hash)
    _, data = st.get_object(full)  # raises IntegrityError before anything is written
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    _write_file(output, data, full)
    typer.echo(f"{output}: {len(data)} bytes, sha256 {full} (hash verified)", err=True)


@app.command("verify")
@friendly
def verify_cmd(
    store: StoreOpt = "./archive",
    document: Annotated[
        str | None, typer.Option(help="Check only this document's history.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-hash every object and walk every hash chain; exit 1 naming each bad object."""
    from clausewatch.storage.verify import dumps, report_text, verify_store

    report = verify_store(_store(store), document)
    typer.echo(dumps(report) if as_json else report_text(report))
    if not report.ok:
        raise typer.Exit(1)


@app.command("history")
@friendly
def history_cmd(document: str, store: StoreOpt = "./archive", as_json: JsonOpt = False) -> None:
    """List a document's versions, newest first, with checks (first and last seen)."""
    from clausewatch.evidence import history

    rows = history.document_history(_store(store), document)
    if as_json:
        _echo_json(rows)
    else:
        typer.echo(history.history_text(document, rows))


@app.command("diff")
@friendly
def diff_cmd(
    document: str,
    old: Annotated[
        str | None,
        typer.Argument(help="Version (number or hash prefix); default: the one before NEW."),
    ] = None,
    new: Annotated[str | None, typer.Argument(help="Version; default: the latest.")] = None,
    store: StoreOpt = "./archive",
    as_json: JsonOpt = False,
) -> None:
    """Clause diff between two versions of a document."""
    from clausewatch.changes.lineage import clause_id
    from clausewatch.evidence import history
    from clausewatch.pipeline import report

    st = _store(store)
    (oh, om), (nh, nm), diff, lineages = history.diff_versions(st, document, old, new)
    if as_json:
        _echo_json(
            {
                "document": document,
                "old": oh,
                "new": nh,
                "counts": diff.counts,
                "changes": [
                    {"clause": clause_id(c, *lineages), **c.as_json()} for c in diff.changes
                ],
            }
        )
        return
    typer.echo(f"{document}: version {om.version} ({oh[:12]}) -> version {nm.version} ({nh[:12]})")
    typer.echo(f"{report.counts_text(diff)}\n{report.diff_text(diff, lineages)}")


@app.command("events")
@friendly
def events_cmd(
    store: StoreOpt = "./archive",
    since: Annotated[int, typer.Option(help="Only events after this cursor.", min=0)] = 0,
    type_: Annotated[
        str | None, typer.Option("--type", help="Only this type (suffix ok: changed).")
    ] = None,
    document: Annotated[str | None, typer.Option(help="Only this document.")] = None,
    follow: Annotated[bool, typer.Option("--follow", help="Keep waiting for new events.")] = False,
    interval: Annotated[
        float,
        typer.Option(help="With --follow: seconds between looks (0.1 to 3600).", min=0.1, max=3600),
    ] = 2.0,
    as_json: JsonOpt = False,
) -> None:
    """Replay the event log (CloudEvents JSON, one per line with --json)."""
    import time

    st = _store(store)
    seen = since
    skipped: list[int] = []  # damaged entries: warned about once, then looked past
    while True:
        for cursor, event in st.events(seen, skipped=skipped):
            seen = cursor
            etype = str(event.get("type", ""))
            if type_ and not (etype == type_ or etype.endswith("." + type_)):
                continue
            if document and event.get("subject") != document:
                continue
            if as_json:
                _echo_json(event)
            else:
                typer.echo(
                    f"{cursor:>8} {event.get('time')} {etype.rsplit('.', 1)[-1]:18s} {event.get('subject')}"
                )
        seen = max([seen, *skipped])
        if not follow:
            return
        sys.stdout.flush()
        time.sleep(interval)


@app.command("explain")
@friendly
def explain_cmd(
    document: Annotated[
        str | None, typer.Argument(help="Document whose stored version to explain.")
    ] = None,
    version: Annotated[
        str | None, typer.Option(help="Version number or manifest hash prefix (default: latest).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Explain a saved page instead (HTML or PDF).")
    ] = None,
    select: Annotated[
        list[str] | None, typer.Option(help="CSS selector of the legal text (repeatable).")
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option(help="CSS selector to drop inside it (repeatable).")
    ] = None,
    part: Annotated[
        str | None,
        typer.Option(help="With --file: the URL fragment naming the document on the page."),
    ] = None,
    clauses: Annotated[bool, typer.Option("--clauses", help="List the kept clauses too.")] = False,
    store: StoreOpt = "./archive",
    as_json: JsonOpt = False,
) -> None:
    """Why a page's text is what it is: the blocks kept and dropped, and the reason for each."""
    from clausewatch.extractors.explain import explain
    from clausewatch.pipeline.explain import explain_version, explanation_text
    from clausewatch.pipeline.importer import read_saved_page

    if (document is None) == (file is None):
        raise InputError("name a DOCUMENT of the store, or a saved page with --file PAGE.html")
    if file is not None:
        if version is not None:
            raise InputError("--version names a stored version: use it with a DOCUMENT, not --file")
    elif part is not None:
        raise InputError("--part is for --file: a stored version uses its document URL's fragment")
    if file is not None:
        found = explain(
            read_saved_page(file, "explain"),
            select=select or (),
            remove=remove or (),
            part=part.lstrip("#") if part else None,
        )
        head = f"{file}"
    else:
        assert document is not None
        mh, number, found = explain_version(_store(store), document, version, select, remove)
        head = f"{document} version {number} ({mh[:12]})"
    if found.error is not None and found.error.startswith("invalid CSS selector"):
        raise InputError(f"{head}: {found.error}")
    if as_json:
        _echo_json({"page": head, **found.as_json()})
    else:
        title = f' "{found.title}"' if found.title else ""
        typer.echo(f"{head}{title}\n{explanation_text(found, clauses=clauses)}")


@app.command("accept")
@friendly
def accept_cmd(document: str, store: StoreOpt = "./archive", as_json: JsonOpt = False) -> None:
    """Record the capture the collapse guard held back (the page really was rewritten)."""
    from clausewatch.pipeline.record import accept_held

    outcome = accept_held(_store(store), document)
    if as_json:
        _echo_json(outcome.as_json())
    else:
        typer.echo(
            f"{document}: accepted the held capture as version {outcome.version} "
            f"({outcome.change_class}, manifest {outcome.manifest})"
        )


@app.command("reextract")
@friendly
def reextract_cmd(
    documents: Annotated[list[str] | None, typer.Argument(help="Documents (default: all).")] = None,
    store: StoreOpt = "./archive",
    as_json: JsonOpt = False,
) -> None:
    """Rebuild history with the current extractors from the stored captures (no alerts)."""
    from clausewatch.pipeline.reextract import reextract

    st = _store(store)
    for document in documents or st.documents():
        rebuilt = reextract(st, document)
        if as_json:
            _echo_json(rebuilt.as_json())
        else:
            typer.echo(
                f"{document}: {rebuilt.versions_before} version(s) -> {rebuilt.versions_after}"
                f" ({rebuilt.merged} merged, {rebuilt.failed} not extractable), head {rebuilt.head}"
            )


@app.command("archive")
@friendly
def archive_cmd(store: StoreOpt = "./archive", as_json: JsonOpt = False) -> None:
    """Submit the queued new versions to the Wayback Machine now (Save Page Now 2).

    Exits 1 when a submission failed for good in this run or a queue entry is damaged."""
    from clausewatch.wayback.archive import client_from_env, process_queue

    st = _store(store)
    client = client_from_env()
    if not client.settings.enabled:
        typer.echo("the Wayback Machine is off (CLAUSEWATCH_WAYBACK=off): nothing submitted")
        return
    bad = 0
    for done in process_queue(st, client):
        bad += done.status in ("failed", "damaged")
        if as_json:
            _echo_json(done.as_json())
        else:
            typer.echo(
                f"{done.document:32s} {done.manifest[:12]:12s} {done.status:9s} {done.detail}"
            )
    if bad:  # a submission that failed for good in this run, or a damaged queue entry
        raise typer.Exit(1)


@app.command("deliver")
@friendly
def deliver_cmd(
    store: StoreOpt = "./archive",
    endpoint: Annotated[
        str | None,
        typer.Option(help="Only this endpoint: its name (see --list) or its URL."),
    ] = None,
    replay: Annotated[
        bool, typer.Option("--replay", help="Send again every event after --since.")
    ] = False,
    since: Annotated[
        int, typer.Option(help="With --replay: the cursor to start after.", min=0)
    ] = 0,
    list_: Annotated[
        bool,
        typer.Option(
            "--list", help="List the endpoints: name, URL, pending, dead letters; send nothing."
        ),
    ] = False,
    webhooks: Annotated[
        Path | None, typer.Option(help="Webhook settings YAML (else CLAUSEWATCH_WEBHOOKS_FILE).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Deliver the event log to the webhook endpoints (what is due now), or replay it.

    Exit status: 0 when everything due was delivered, 1 when a delivery failed, an event was
    dead-lettered or skipped, or an endpoint was refused or unreadable in this run; 2 for bad
    settings or arguments."""
    from clausewatch.events.webhooks import Deliverer, endpoints_from_env, select
    from clausewatch.net.outbound import masked

    if replay and list_:
        raise InputError("--list and --replay do not go together: list first, then replay")
    targets = endpoints_from_env(str(webhooks) if webhooks else None)
    if endpoint:
        targets = select(targets, endpoint)
        if not targets:
            raise InputError(
                f"no webhook endpoint named or at {masked(endpoint)!r} in the settings: "
                "`clausewatch deliver --list` shows them"
            )
    if replay and not endpoint:
        raise InputError(
            "--replay needs --endpoint NAME or URL: say which receiver gets the events again"
        )
    if replay and len(targets) > 1:
        names = ", ".join(t.name for t in targets)
        raise InputError(
            f"{masked(endpoint or '')!r} is the URL of {len(targets)} endpoints ({names}): "
            "give --endpoint NAME"
        )
    deliverer = Deliverer(_store(store))
    if list_:
        _list_endpoints(deliverer, targets, as_json)
        return
    if not targets:  # not a failure (a deployment may run without receivers), but say so
        source = webhooks or settings().webhooks_file
        typer.echo(
            f"no webhook endpoints in {source}: nothing delivered"
            if source
            else "no webhook endpoints are configured: nothing delivered (set "
            "CLAUSEWATCH_WEBHOOKS_FILE or CLAUSEWATCH_WEBHOOK_URLS, or pass --webhooks FILE)",
            err=True,
        )
        return
    ok = True
    for target in targets:
        report = deliverer.replay(target, since) if replay else deliverer.deliver(target)
        ok = ok and report.ok
        if as_json:
            _echo_json(report.as_json())
        else:
            typer.echo(
                f"{target.name}: {report.delivered} delivered, {report.failed} failed, "
                f"{report.dead} dead-lettered, {report.waiting} waiting"
                + (f", {report.skipped} skipped" if report.skipped else "")
                + (" (another deliverer is at work)" if report.busy else "")
            )
            if report.error:
                typer.echo(f"  error: {report.error}")
            for error in report.errors[:20]:
                typer.echo(f"  {error}")
            if len(report.errors) > 20:
                typer.echo(f"  ... and {len(report.errors) - 20} more")
    if not ok:
        raise typer.Exit(1)


def _list_endpoints(deliverer: Any, targets: list[Any], as_json: bool) -> None:
    if not targets:
        typer.echo(
            "no webhook endpoints: set CLAUSEWATCH_WEBHOOK_URLS, or CLAUSEWATCH_WEBHOOKS_FILE",
            err=True,
        )
    ok = True
    for target in targets:
        row = deliverer.status(target)
        ok = ok and not row["error"]
        if as_json:
            _echo_json(row)
            continue
        if row["error"]:
            typer.echo(f"{row['endpoint']}  {row['url']}  dead {row['dead']}")
            typer.echo(f"  error: {row['error']}")
            continue
        typer.echo(
            f"{row['endpoint']}  {row['url']}  pending {row['pending']} "
            f"({row['waiting']} waiting after failures, {row['new']} not yet looked at)  "
            f"dead {row['dead']}" + ("  (being delivered now)" if row["delivering"] else "")
        )
        if row["refused"]:
            typer.echo(f"  refused: {row['refused']}")
        for document, error in list(row["last_errors"].items())[:5]:
            typer.echo(f"  {document}: {error}")
    if not ok:
        raise typer.Exit(1)


@app.command("digest")
@friendly
def digest_cmd(
    store: StoreOpt = "./archive",
    since: Annotated[str, typer.Option(help="7d, 24h, 2w or an ISO 8601 date.")] = "7d",
    format_: Annotated[str, typer.Option("--format", help="md, html or json.")] = "md",
    emit: Annotated[bool, typer.Option("--emit", help="Also log a digest event.")] = False,
) -> None:
    """Summarise a period per entity and document: changes, clauses touched, failures."""
    from datetime import UTC, datetime

    from clausewatch.events import cloudevents as events
    from clausewatch.evidence import digest

    if format_ not in ("md", "html", "json"):
        raise InputError(f"--format {format_!r}: use md, html or json")
    now = datetime.now(UTC)
    st = _store(store)
    summary = digest.build(st, digest.parse_since(since, now), now)
    if emit:
        event = digest.digest_event(summary, now)
        events.append(st, event)
    if format_ == "json":
        _echo_json(summary)
    else:
        typer.echo(digest.markdown(summary) if format_ == "md" else digest.to_html(summary))


@app.command("cite")
@friendly
def cite_cmd(
    document: str,
    store: StoreOpt = "./archive",
    at: Annotated[
        str | None,
        typer.Option(
            help="An ISO time (the version in force then), a version number or a manifest hash prefix."
        ),
    ] = None,
    format_: Annotated[str, typer.Option("--format", help="md, json or bibtex.")] = "md",
) -> None:
    """A citation record: the version, its verified hashes, Wayback copy and clause records."""
    from clausewatch.evidence import cite

    if format_ not in ("md", "json", "bibtex"):
        raise InputError(f"--format {format_!r}: use md, json or bibtex")
    typer.echo(cite.render(cite.citation(_store(store), document, at), format_), nl=False)


@app.command("clause")
@friendly
def clause_cmd(
    document: str,
    clause: Annotated[
        str, typer.Argument(help="The clause id (c12), or its record id (DOCUMENT#c12).")
    ],
    store: StoreOpt = "./archive",
    format_: Annotated[str, typer.Option("--format", help="text, md or json.")] = "text",
    json_: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """A provision's timeline: every wording of one clause, its verified versions and word
    diffs, first and last seen, changes, stability."""
    from clausewatch.evidence import provision

    if json_ and format_ not in ("text", "json"):
        raise InputError(f"--json and --format {format_!r} say different things: give one")
    fmt = "json" if json_ else format_
    if fmt not in ("text", "md", "json"):
        raise InputError(f"--format {format_!r}: use text, md or json")
    record = provision.timeline(_store(store), document, clause)
    typer.echo(provision.render(record, fmt), nl=False)


@app.command("index")
@friendly
def index_cmd(
    store: StoreOpt = "./archive",
    index: IndexOpt = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Drop the index and build it again from the store.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Bring the search index up to the store (or rebuild it): every clause wording, derived
    from the store and never trusted over it."""
    from clausewatch.evidence import index as search_index

    idx = search_index.open_index(_store(store), index)
    started = time.monotonic()
    done = search_index.rebuild(idx) if rebuild else idx.refresh()
    seconds = round(time.monotonic() - started, 3)
    record = {**done.__dict__, **idx.stats(), "seconds": seconds, "path": str(idx.path)}
    if as_json:
        _echo_json(record)
    else:
        typer.echo(
            f"{idx.path}: {record['documents']} document(s), {record['current_clauses']} current "
            f"clause(s), {record['wordings']} wording(s); {done.updated} updated, {done.rebuilt} "
            f"indexed from the start, {done.versions} version(s) applied, {done.dropped} "
            f"dropped, in {seconds} s"
        )


def _at(value: str | None) -> datetime | None:
    return None if value is None else parse_instant(value, "--at")


QueryArg = Annotated[
    str, typer.Argument(help='FTS5 query: words, "a phrase", AND, OR, NOT, prefix*.')
]
TypeOpt = Annotated[str | None, typer.Option("--type", help="Only documents of this type.")]


@app.command("search")
@friendly
def search_cmd(
    query: QueryArg,
    store: StoreOpt = "./archive",
    index: IndexOpt = None,
    entity: Annotated[str | None, typer.Option(help="Only this entity's documents.")] = None,
    type_: TypeOpt = None,
    at: Annotated[
        str | None, typer.Option(help="The versions in force at this ISO date (default: now).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many results.", min=1, max=1000)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Find clauses across every document's current versions (or those in force at a date):
    document, clause id, heading path, a snippet and the verified hash to cite."""
    from clausewatch.evidence import index as search_index
    from clausewatch.markdown import printable

    when = _at(at)  # a bad date fails before the store is opened
    idx = search_index.open_index(_store(store), index)
    hits = idx.search(query, entity, type_, when, limit)
    if as_json:
        for hit in hits:
            # \u escapes outside ASCII: a bidi override in a page never reaches a terminal raw
            typer.echo(json.dumps(hit.as_json(), ensure_ascii=True))
        return
    if not hits:
        typer.echo(f"no clause matches {query!r}", err=True)
    for hit in hits:
        where = " > ".join(hit.path) or "(top)"
        typer.echo(
            printable(
                f"{hit.document}#{hit.clause}  {hit.entity or '(no entity)'} · {hit.title}  "
                f"v{hit.version} text {hit.content_hash[:16]} (verified)"
            )
        )
        typer.echo(printable(f"  in {where}"))
        typer.echo(printable(f"  {hit.snippet}"))


@app.command("compare")
@friendly
def compare_cmd(
    query: QueryArg,
    store: StoreOpt = "./archive",
    index: IndexOpt = None,
    type_: TypeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """How each entity words the same provision: per entity, the best-matching current clause
    and its stability (the seed record's "how other platforms handle this")."""
    from clausewatch.evidence import index as search_index
    from clausewatch.evidence.provision import stability
    from clausewatch.markdown import printable

    idx = search_index.open_index(_store(store), index)
    rows = []
    for hit in idx.best_per_entity(query, type_=type_):
        changes = idx.changes_of(hit.document, hit.clause)
        rows.append({**hit.as_json(), "changes": changes, "stability": stability(changes)})
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=True))
        return
    if not rows:
        typer.echo(f"no clause matches {query!r}", err=True)
    for row in rows:
        typer.echo(
            printable(
                f"{row['entity'] or '(no entity)'}: {row['clause_record_id']} ({row['stability']}, "
                f"{row['changes']} change(s)) {row['text'][:300]}"
            )
        )


@app.command("export-warc")
@friendly
def export_warc_cmd(
    document: str,
    output: Annotated[Path, typer.Option("-o", "--output", help="The .warc.gz file to write.")],
    store: StoreOpt = "./archive",
    since: Annotated[str | None, typer.Option(help="Only captures since this ISO date.")] = None,
) -> None:
    """Export a document's captures as WARC 1.1 (response, DOM, screenshot, manifest)."""
    from clausewatch.evidence.digest import parse_since
    from clausewatch.evidence.warc import export_warc

    start = parse_since(since, datetime.now(UTC)) if since else None
    st = _store(store)
    before = _output_target(output)
    try:
        count = export_warc(st, document, output, start)
        # the export is renamed into place from a private temporary file: give it the mode
        # the file had, or the one a new file gets
        os.chmod(output, stat.S_IMODE(before.st_mode) if before else 0o666 & ~_umask())
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror}") from None
    typer.echo(f"{output}: {count} WARC records (hashes verified)", err=True)


@app.command("seal")
@friendly
def seal_cmd(
    store: StoreOpt = "./archive",
    show: Annotated[
        bool, typer.Option("--show", help="Print the latest seal; write nothing.")
    ] = False,
) -> None:
    """Seal every document's head under a Merkle root (chained, logged as an event)."""
    from clausewatch.evidence import seal
    from clausewatch.storage import seals

    st = _store(store)
    if show:
        found = seals.latest(st)
        if found is None:
            raise InputError(f"{st.url} has no seal yet: run `clausewatch seal`")
        _echo_json({"seal": found[0], **found[1]})
        return
    event = seal.seal(st)
    data = event["data"]
    typer.echo(
        f"sealed {data['documents']} document(s): Merkle root {data['merkle_root']} ({data['seal']})"
    )


@app.command("presign")
@friendly
def presign_cmd(
    hash: Annotated[
        str, typer.Argument(help="SHA-256 of a blob or manifest (or a unique prefix).")
    ],
    store: StoreOpt = "./archive",
    expires: Annotated[
        int, typer.Option(help="Seconds the link works.", min=60, max=604800)
    ] = 3600,
) -> None:
    """A time-limited download link to a blob or manifest, for auditors without keys (S3)."""
    from clausewatch.storage import layout
    from clausewatch.storage.s3 import S3Backend

    st = _store(store)
    if not isinstance(st.backend, S3Backend):
        raise InputError("presigned links need an S3 store (s3://BUCKET/PREFIX)")
    full = st.resolve(hash)
    kind, _ = st.get_object(full)  # verified before anyone is sent to it
    key = layout.blob(full) if kind == "blob" else layout.manifest(full)
    typer.echo(st.backend.presign(key, expires))


@app.command("viewer")
@friendly
def viewer_cmd(
    store: StoreOpt = "./archive",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8600,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    index: IndexOpt = None,
) -> None:
    """A read-only web viewer for auditors: documents, versions, diffs, citations, downloads."""
    import uvicorn

    from clausewatch.web.viewer import create_app

    st = _store(store)
    typer.echo(
        f"clausewatch viewer on http://{host}:{port}/ (read-only; Ctrl-C stops it)", err=True
    )
    app_ = create_app(st, Path(index).expanduser() if index else None)
    uvicorn.run(app_, host=host, port=port, log_level="warning")


@app.command("schema")
@friendly
def schema_cmd(
    name: Annotated[
        str, typer.Argument(help="catalog, manifest, head, check or an event type.")
    ] = "catalog",
) -> None:
    """Print a published JSON Schema."""
    from clausewatch.schemas import schema_text

    typer.echo(schema_text(name), nl=False)


@app.command("demo")
@friendly
def demo_cmd(
    store: StoreOpt = "./archive",
    fresh: Annotated[bool, typer.Option(help="Empty the demo store first.")] = True,
) -> None:
    """Run the offline demo: a bundled site, three monitor runs, what changed and why."""
    from clausewatch.demo.run import run_demo
    from clausewatch.storage.store import open_store

    open_store(store)  # an empty --store or `file:` would be the current directory
    with _ephemeral_prefect(no_prefect="try again when the machine is less busy"):
        run_demo(store, fresh=fresh)


def _write_file(output: Path, data: bytes, sha256: str) -> None:
    """Write ``output`` whole or not at all, at the path the user named.

    Only a regular file (or a new name) is written: a link, FIFO, device or directory there is
    refused, never written through or replaced. The bytes go to a temporary file in the same
    directory, are read back and hashed, and only then is it renamed over the target, so a
    failure (a full disk, a wrong hash) leaves the target as it was. An existing file keeps
    its permission bits (and its owner and group where the user may set them)."""
    before = _output_target(output)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=".clausewatch-", dir=os.path.dirname(os.path.abspath(output))
        )
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w+b") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            if before is not None:
                os.fchmod(fh.fileno(), stat.S_IMODE(before.st_mode))
                if (before.st_uid, before.st_gid) != (os.geteuid(), os.getegid()):
                    with contextlib.suppress(PermissionError):
                        os.fchown(fh.fileno(), before.st_uid, before.st_gid)
            else:
                os.fchmod(fh.fileno(), 0o666 & ~_umask())
            fh.seek(0)
            written = hashlib.sha256(fh.read()).hexdigest()
        if written != sha256:  # what is on disk, not what is in memory
            raise InputError(
                f"the bytes written for {output} hash to {written}, not {sha256}: "
                f"{output} was left as it was; check the disk and run again"
            )
        os.replace(tmp, output)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror}; it was left as it was") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def _output_target(output: Path) -> os.stat_result | None:
    """The file an ``-o`` option names (None: a new name), refused unless a regular file that
    may be written: a link, FIFO, device or directory is never written through or replaced."""
    try:
        before = os.lstat(output)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror}") from None
    kind = _not_regular(before.st_mode)
    if kind:
        raise InputError(
            f"{output} is {kind}, not a regular file: -o writes regular files only and never "
            "through a link; give another file name, or omit -o to write to standard output"
        )
    if not os.access(output, os.W_OK, follow_symlinks=False):
        raise InputError(f"{output} is not writable: make it writable or give another name")
    return before


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _not_regular(mode: int) -> str | None:
    """What a file that is not a regular file is (None for a regular file)."""
    for test, kind in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "something else"


# the top-level areas of a store: a directory or prefix holding none of them is not one
STORE_AREAS = layout.MARKERS


def _store(url: str) -> Any:
    """Open a store that exists: every command but run, import and demo (which create one)
    fails on a mistyped --store instead of reporting an empty store, or creating one. A
    directory or S3 prefix is a store only if it has the store's layout (one of
    ``STORE_AREAS``): an empty directory, a store's own ``heads/`` or a mistyped prefix is
    refused, never read as an empty store (``verify`` would say OK) nor written into."""
    from clausewatch.storage.local import LocalBackend
    from clausewatch.storage.store import open_store

    st = open_store(url)
    backend = st.backend
    if isinstance(backend, LocalBackend):
        missing = backend.missing()
        if missing:
            raise InputError(missing)
        where = str(backend.root)
        is_store = any(_is_dir_not_link(backend.root / area) for area in STORE_AREAS)
    else:  # S3: one listing request; a missing bucket is named now, not read as empty
        from clausewatch.storage.s3 import S3Backend  # already imported by open_store for an S3 URL

        if not isinstance(backend, S3Backend):  # pragma: no cover - open_store makes no other
            raise TypeError(f"unexpected store backend {type(backend).__name__}")
        where = backend.url
        is_store = backend.has_any(STORE_AREAS)
    if not is_store:
        raise InputError(
            f"{where} is not a clausewatch store (no heads/, manifests/ or events/): "
            "check --store / CLAUSEWATCH_STORE"
        )
    return st


def _is_dir_not_link(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


if __name__ == "__main__":  # pragma: no cover
    app()
