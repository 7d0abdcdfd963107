"""The search index (issue 17): derived from the store, caught up or rebuilt from it, never
trusted over it; clauses found across documents, now or at a date, diacritics folded."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.errors import InputError, IntegrityError, StoreError
from clausewatch.evidence.index import Index, rebuild
from clausewatch.pipeline.model import Target
from clausewatch.pipeline.record import record_capture
from clausewatch.storage import layout
from clausewatch.storage.models import DocumentRef
from clausewatch.storage.store import Store
from tests.helpers import T0, capture, page

runner = CliRunner()
DAY = 24 * 60
OPT_OUT = "Vous pouvez refuser l'entraînement des modèles sur vos données à tout moment."
TRAIN = "You may opt out of model training on your content in your settings."


def _target(doc: str, entity: str, kind: str = "privacy policy") -> Target:
    return Target(
        ref=DocumentRef(
            id=doc,
            entity=entity,
            title=f"{entity} {kind}",
            type=kind,
            url=f"https://{doc}.example/",
        )
    )


@pytest.fixture
def corpus(store: Store) -> Store:
    """Two providers; the second rewords its opt-out at day 30 and drops it at day 60."""
    record_capture(
        store,
        _target("alpha-privacy", "Alpha"),
        capture(page(OPT_OUT, "Nous gardons vos données un an.")),
    )
    beta = _target("beta-privacy", "Beta")
    record_capture(store, beta, capture(page(TRAIN, "We keep data for a year.")))
    reworded = TRAIN.replace("in your settings", "by writing to us")
    record_capture(store, beta, capture(page(reworded, "We keep data for a year."), 30 * DAY))
    record_capture(store, beta, capture(page("We keep data for a year."), 60 * DAY))
    record_capture(
        store, _target("beta-terms", "Beta", "terms of service"), capture(page("Be nice."))
    )
    return store


def test_clauses_are_found_across_documents_with_diacritics_folded(
    corpus: Store, tmp_path: Path
) -> None:
    index = Index(corpus, tmp_path / "i.sqlite")
    hits = index.search("donnees")  # no accent: finds "données"
    assert {h.document for h in hits} == {"alpha-privacy"}
    assert all(h.content_hash == corpus.head("alpha-privacy")[0].content_hash for h in hits)  # type: ignore[union-attr]
    entrain = index.search("entrainement AND modele*")
    assert [(h.document, h.clause) for h in entrain] == [("alpha-privacy", "c2")]
    assert "[entraînement]" in entrain[0].snippet
    # the beta opt-out is gone from the current version, so only Alpha has one now
    assert index.search("opt AND out") == []
    assert [h.document for h in index.search("kept OR keep", entity="Beta")] == ["beta-privacy"]
    assert index.search("nice", type_="privacy policy") == []
    assert [h.document for h in index.search("nice", type_="terms of service")] == ["beta-terms"]


def test_the_versions_in_force_at_a_date_are_searched_with_at(
    corpus: Store, tmp_path: Path
) -> None:
    index = Index(corpus, tmp_path / "i.sqlite")
    early = index.search("opt AND out", at=T0 + timedelta(days=10))
    assert [(h.document, h.version, h.valid_to is not None) for h in early] == [
        ("beta-privacy", 1, True)
    ]
    assert "settings" in early[0].text
    middle = index.search("opt AND out", at=T0 + timedelta(days=45))
    assert [h.version for h in middle] == [2] and "writing to us" in middle[0].text
    assert index.search("opt AND out", at=T0 - timedelta(days=1)) == []  # before any capture


def test_a_stale_index_catches_up_and_a_lost_or_broken_one_is_rebuilt(
    corpus: Store, tmp_path: Path
) -> None:
    path = tmp_path / "i.sqlite"
    index = Index(corpus, path)
    assert index.search("nice")
    # a version recorded after the index was built: the next search applies it
    record_capture(
        corpus, _target("beta-terms", "Beta", "terms of service"), capture(page("Be kind."), DAY)
    )
    assert index.search("nice") == [] and [h.version for h in index.search("kind")] == [2]
    # a document the store no longer has is dropped
    corpus.backend.delete(layout.head("beta-terms"))
    assert index.search("kind") == []
    # lost, damaged inside, or another store's: rebuilt from the store
    for damage in ("lost", "damaged pages", "other store"):
        if damage == "lost":
            path.unlink()
        elif damage == "damaged pages":
            data = bytearray(path.read_bytes())
            assert len(data) > 4 * 4096
            data[2 * 4096 :] = b"\xff" * (len(data) - 2 * 4096)  # the header and meta kept
            path.write_bytes(bytes(data))
        else:
            with sqlite3.connect(path) as db:
                db.execute("UPDATE meta SET value = 'file:///elsewhere' WHERE key = 'store'")
        assert {h.document for h in Index(corpus, path).search("donnees")} == {"alpha-privacy"}
    done = rebuild(Index(corpus, path))
    assert (done.documents, done.rebuilt, done.dropped) == (2, 2, 0)


def test_bad_queries_are_clear_errors(corpus: Store, tmp_path: Path) -> None:
    index = Index(corpus, tmp_path / "i.sqlite")
    for bad in ("", "   "):
        with pytest.raises(InputError, match="give a search query"):
            index.search(bad)
    with pytest.raises(InputError, match="FTS5 syntax"):
        index.search('opt AND "unclosed')


def test_a_tampered_version_is_never_cited_from_the_index(corpus: Store, tmp_path: Path) -> None:
    index = Index(corpus, tmp_path / "i.sqlite")
    assert index.search("donnees")
    head, _ = corpus.head("alpha-privacy")
    assert head is not None
    corpus.backend.overwrite(layout.blob(head.content_hash), b"tampered")
    with pytest.raises(IntegrityError):
        index.search("donnees")


def _cli_env(store: Store, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if store.url.startswith("s3://"):
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", request.getfixturevalue("moto_endpoint"))


def test_search_and_compare_on_the_command_line(
    corpus: Store, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli_env(corpus, request, monkeypatch)
    where = ["--store", corpus.url, "--index", str(tmp_path / "i.sqlite")]
    built = runner.invoke(app, ["index", *where, "--json"])
    assert built.exit_code == 0, built.output
    assert json.loads(built.output)["documents"] == 3
    out = runner.invoke(app, ["search", "year", *where])
    assert out.exit_code == 0 and "alpha-privacy#" not in out.output  # "un an", not "year"
    assert "beta-privacy#c3" in out.output and "(verified)" in out.output
    rows = [
        json.loads(line)
        for line in runner.invoke(app, ["search", "year", *where, "--json"]).output.splitlines()
    ]
    assert rows[0]["clause_record_id"] == "beta-privacy#c3" and rows[0]["hash_verified"]
    at = runner.invoke(
        app, ["search", "opt AND out", *where, "--at", (T0 + timedelta(days=10)).date().isoformat()]
    )
    assert "beta-privacy#c2" in at.output
    bad = runner.invoke(app, ["search", "opt", *where, "--at", "yesterday"])
    assert bad.exit_code == 2 and "--at 'yesterday'" in bad.output
    compared = [
        json.loads(line)
        for line in runner.invoke(
            app, ["compare", "keep* OR gardons", *where, "--json"]
        ).output.splitlines()
    ]
    assert [(c["entity"], c["stability"]) for c in compared] == [
        ("Alpha", "stable"),
        ("Beta", "stable"),
    ]
    no_match = runner.invoke(app, ["compare", "nothingmatches", *where])
    assert no_match.exit_code == 0 and "no clause matches" in no_match.output


def test_import_keeps_the_index_up_to_date_and_never_fails_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    pages = []
    for n, words in enumerate(("We keep data for a year.", "We keep data for a month.")):
        f = tmp_path / f"v{n}.html"
        f.write_bytes(page(words))
        pages.append(
            {
                "document": "acme-privacy",
                "url": "https://acme.example/p",
                "file": str(f),
                "captured_at": (T0 + timedelta(days=n)).isoformat(),
            }
        )
    batch = tmp_path / "steps.jsonl"
    batch.write_text("".join(json.dumps(p) + "\n" for p in pages))
    index = tmp_path / "kept.sqlite"
    monkeypatch.setenv("CLAUSEWATCH_INDEX", str(index))
    out = runner.invoke(app, ["import", "--batch", str(batch), "--store", str(store)])
    assert out.exit_code == 0, out.output
    with sqlite3.connect(index) as db:  # updated by the import itself, not by a search
        assert db.execute("SELECT version FROM docs").fetchall() == [(2,)]
        assert db.execute("SELECT count(*) FROM wordings WHERE valid_to IS NULL").fetchone() == (2,)
    # off: not kept; an index that cannot be written: a warning, and the import succeeds
    monkeypatch.setenv("CLAUSEWATCH_INDEX", "off")
    other = tmp_path / "other"
    assert (
        runner.invoke(app, ["import", "--batch", str(batch), "--store", str(other)]).exit_code == 0
    )
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("CLAUSEWATCH_INDEX", str(blocker / "index.sqlite"))
    third = runner.invoke(
        app, ["import", "--batch", str(batch), "--store", str(tmp_path / "third")]
    )
    assert third.exit_code == 0 and "warning: the search index was not updated" in third.output


def test_hostile_text_in_results_cannot_drive_the_terminal(tmp_path: Path) -> None:
    from clausewatch.storage.local import LocalBackend

    store = Store(LocalBackend(tmp_path / "store"))
    evil = DocumentRef(
        id="evil-terms", url="https://evil.example/", entity="Evil\x1b[2J", title="T\u202eerms"
    )
    record_capture(store, Target(ref=evil), capture(page("Opt out \x1b[2J now \u202e ok.")))
    out = runner.invoke(
        app, ["search", "opt", "--store", store.url, "--index", str(tmp_path / "i")]
    )
    assert out.exit_code == 0, out.output
    assert "[Opt] out" in out.output and "\x1b" not in out.output and "\u202e" not in out.output


def test_two_processes_refreshing_at_once_index_each_version_once(
    corpus: Store, tmp_path: Path
) -> None:
    """Refresh takes the write lock before it reads what it changes (threads with their own
    connections lock as processes do)."""
    import threading

    alone = Index(corpus, tmp_path / "alone.sqlite")
    alone.refresh()
    for attempt in range(3):
        path = tmp_path / f"shared-{attempt}.sqlite"
        errors: list[BaseException] = []

        def refresh(path: Path = path, errors: list[BaseException] = errors) -> None:
            try:
                Index(corpus, path).refresh()
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=refresh) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert Index(corpus, path).stats()["wordings"] == alone.stats()["wordings"]
        with sqlite3.connect(path) as db:
            assert db.execute(
                "SELECT count(*) FROM (SELECT document, clause, version_from FROM wordings "
                "GROUP BY 1, 2, 3 HAVING count(*) > 1)"
            ).fetchone() == (0,)


def test_a_file_that_is_not_an_index_is_never_deleted_or_written(
    corpus: Store, tmp_path: Path
) -> None:
    """Found by an outside check: --index pointed at a text file, another program's SQLite
    file or a store's own file replaced it with an index."""
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    other = tmp_path / "app.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE users (name TEXT)")
        db.execute("CREATE TABLE meta (id INTEGER, blob TEXT)")
    for path in (notes, other):
        before = path.read_bytes()
        with pytest.raises(StoreError, match="is not a clausewatch search index"):
            Index(corpus, path).search("donnees")
        assert path.read_bytes() == before
    if corpus.url.startswith("file://"):
        inside = Path(corpus.url.removeprefix("file://")) / "heads" / "index.sqlite"
        with pytest.raises(InputError, match="inside the store"):
            Index(corpus, inside)


def test_text_the_store_does_not_hold_is_never_shown(corpus: Store, tmp_path: Path) -> None:
    """Found by an outside check: text altered in the index was printed as verified."""
    path = tmp_path / "i.sqlite"
    index = Index(corpus, path)
    assert index.search("gardons")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE wordings SET text = replace(text, 'un an', 'dix ans')")
    hits = Index(corpus, path).search("gardons")
    assert [h.text for h in hits] == ["Nous gardons vos données un an."]


def test_compare_keeps_every_entity_and_plain_words_are_searched_as_words(
    store: Store, tmp_path: Path
) -> None:
    big = _target("big-terms", "Big")
    rules = "".join(f"<p>Arbitration rule {n} applies.</p>" for n in range(1100))
    record_capture(
        store, big, capture(f"<html><body><main><h1>T</h1>{rules}</main></body></html>".encode())
    )
    small = _target("small-terms", "Small")
    record_capture(
        store,
        small,
        capture(page("Disputes go to arbitration in Paris, and the opt-out form is here.")),
    )
    index = Index(store, tmp_path / "i.sqlite")
    assert [h.entity for h in index.best_per_entity("arbitration")] == ["Big", "Small"]
    for plain in ("opt-out", "don't", "U.S.", "e-mail"):
        index.search(plain)  # no error: read as quoted words
    assert [h.document for h in index.search("opt-out")] == ["small-terms"]
    with pytest.raises(InputError, match="at most 1000"):
        index.search("a* " * 1000)


def test_times_keep_their_fraction_and_odd_dates_are_clear_errors(
    store: Store, tmp_path: Path
) -> None:
    t = _target("quick-terms", "Quick")
    first = capture(page("We keep data for a year."))
    record_capture(store, t, first)
    second = capture(page("We keep data for a month."))
    second = dataclasses.replace(
        second, captured_at=first.captured_at + timedelta(milliseconds=700)
    )
    record_capture(store, t, second)
    index = Index(store, tmp_path / "i.sqlite")
    at = first.captured_at + timedelta(milliseconds=300)
    assert [h.version for h in index.search("keep", at=at)] == [1]
    out = runner.invoke(
        app,
        [
            "search",
            "keep",
            "--store",
            store.url,
            "--index",
            str(tmp_path / "i.sqlite"),
            "--at",
            "9999-12-31T23:00:00-05:00",
        ],
    )
    assert out.exit_code == 2 and "--at" in out.output and "Traceback" not in out.output
