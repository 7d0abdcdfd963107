"""A search index of every clause wording, derived from the store (SQLite FTS5).

One row per *wording*: a clause (by its lineage id) with one text, from the version it first
had that text to the version it changed or went away in (open while it is still current).
So the current text of every document, and the text in force at any date, are both one
query away, and a document's history costs a row per change, not a row per version.

The index is never trusted over the store. Each document's row names the head it was built
from; :meth:`Index.refresh` compares it with the store's head and applies the versions
recorded since (or rebuilds the document when its history is not the one indexed), so a
stale index catches up and a lost or unreadable one is rebuilt. Results carry the version's
content hash, verified against the store when they are shown.

Text is tokenised by FTS5's ``unicode61`` with diacritics removed, so "donnees" finds
"données" and "Datenschutzerklarung" finds "Datenschutzerklärung". Queries use FTS5 syntax:
words, ``"a phrase"``, ``AND``, ``OR``, ``NOT``, ``prefix*``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from clausewatch.changes.lineage import lineage_of
from clausewatch.errors import InputError, IntegrityError, StoreError
from clausewatch.evidence.history import clauses_of
from clausewatch.storage.models import Manifest
from clausewatch.storage.store import Store
from clausewatch.times import utc_z

INDEX_FORMAT = "clausewatch.index/1"
_RECOGNISE_BYTES = 64 * 1024  # the meta table sits in the file's first pages
_OUR_TABLES = frozenset({"meta", "docs", "wordings", "fts"})
_OUR_PREFIXES = ("fts_", "wordings_", "sqlite_")
SNIPPET_WORDS = 16
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    document TEXT PRIMARY KEY, head TEXT NOT NULL, version INTEGER NOT NULL,
    entity TEXT NOT NULL, type TEXT NOT NULL, title TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS wordings (
    id INTEGER PRIMARY KEY, document TEXT NOT NULL, clause TEXT NOT NULL, path TEXT NOT NULL,
    text TEXT NOT NULL, kind TEXT NOT NULL,
    version_from INTEGER NOT NULL, manifest_from TEXT NOT NULL, content_from TEXT NOT NULL,
    valid_from TEXT NOT NULL, version_to INTEGER, valid_to TEXT
);
CREATE INDEX IF NOT EXISTS wordings_open ON wordings (document, valid_to);
CREATE INDEX IF NOT EXISTS wordings_clause ON wordings (document, clause);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (
    text, path, content='wordings', content_rowid='id',
    tokenize="unicode61 remove_diacritics 2"
);
"""


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def default_path(store: Store) -> Path:
    """Where a store's index lives unless ``CLAUSEWATCH_INDEX`` says otherwise: the user's
    cache directory, one file per store URL (the index is derived, never part of the store)."""
    from clausewatch.settings import settings

    configured = settings().index
    if configured and configured.lower() not in ("off", "0", "false", "no"):
        return Path(configured).expanduser()
    name = hashlib.sha256(store.url.encode()).hexdigest()[:16]
    return _cache_root() / "clausewatch" / "index" / f"{name}.sqlite"


def maintained() -> bool:
    """Whether recording commands keep the index up to date (``CLAUSEWATCH_INDEX=off``: no)."""
    from clausewatch.settings import settings

    configured = settings().index
    return not (configured and configured.lower() in ("off", "0", "false", "no"))


@dataclass(frozen=True)
class Refreshed:
    documents: int  # documents in the store
    updated: int  # documents whose new versions were applied
    rebuilt: int  # documents indexed from their first version
    versions: int  # versions applied
    dropped: int  # documents no longer in the store


@dataclass(frozen=True)
class Hit:
    document: str
    entity: str
    type: str
    title: str
    clause: str
    path: tuple[str, ...]
    text: str
    snippet: str
    version: int  # the version this wording first appeared in
    manifest: str
    content_hash: str
    valid_from: str
    valid_to: str | None
    rank: float

    def as_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "entity": self.entity,
            "type": self.type,
            "title": self.title,
            "clause_id": self.clause,
            "clause_record_id": f"{self.document}#{self.clause}",
            "path": list(self.path),
            "snippet": self.snippet,
            "text": self.text,
            "version": self.version,
            "manifest_sha256": self.manifest,
            "text_sha256": self.content_hash,
            "hash_verified": True,
            "in_force_from": self.valid_from,
            "in_force_until": self.valid_to,
        }


class Index:
    """The index of one store at ``path`` (created, or rebuilt when unreadable)."""

    def __init__(self, store: Store, path: Path | None = None) -> None:
        self.store = store
        self.path = path or default_path(store)
        root = getattr(store.backend, "root", None)
        if isinstance(root, Path) and (
            root == self.path.resolve() or root in self.path.resolve().parents
        ):
            raise InputError(
                f"the search index {self.path} would be inside the store {store.url}: the index "
                "is derived and never kept in the store; give --index (or CLAUSEWATCH_INDEX) a "
                "file outside it"
            )

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            db = self._open()
        except sqlite3.OperationalError:
            raise  # locked, unwritable: not damage (the callers say what to do)
        except sqlite3.DatabaseError:
            # an unreadable index (truncated, not a database, another program's file at the
            # path) is derived data: start again from the store
            self._remove()
            db = self._open()
        try:
            yield db
        finally:
            db.close()

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot open the search index {self.path}: {exc.strerror}; set "
                "CLAUSEWATCH_INDEX to a writable file"
            ) from None
        with _setting_up(self.path):  # one process at a time creates, checks or replaces it
            for _ in range(2):
                if not self._ours():
                    self._remove()  # refuses, naming the file: nothing is written to it
                db = self._connect()
                try:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.executescript(_SCHEMA)
                    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
                    if not meta:
                        db.executemany(
                            "INSERT OR IGNORE INTO meta VALUES (?, ?)",
                            [("format", INDEX_FORMAT), ("store", self.store.url)],
                        )
                        return db
                    if (meta.get("format"), meta.get("store")) == (INDEX_FORMAT, self.store.url):
                        return db
                except sqlite3.DatabaseError:
                    db.close()
                    raise
                db.close()  # another store's index, or an older format: start again
                self._remove()
        raise StoreError(f"cannot set up the search index {self.path}")  # pragma: no cover

    def _connect(self) -> sqlite3.Connection:
        try:
            # autocommit: refresh takes its write lock (BEGIN IMMEDIATE) before it reads what
            # it will change, so two processes refreshing at once never apply a version twice
            return sqlite3.connect(self.path, timeout=60, isolation_level=None)
        except (OSError, sqlite3.OperationalError) as exc:
            raise StoreError(
                f"cannot open the search index {self.path}: {exc}; set CLAUSEWATCH_INDEX to a "
                "writable file"
            ) from None

    def _remove(self) -> None:
        """Delete the index file (and SQLite's side files): only a file that is recognisably a
        clausewatch index, or one in clausewatch's own cache directory, is ever deleted."""
        if not self._ours():
            raise StoreError(
                f"{self.path} is not a clausewatch search index (or is damaged beyond "
                "recognition): not touched; give --index (or CLAUSEWATCH_INDEX) another file, or "
                "delete this one yourself if it was an index"
            )
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise StoreError(
                    f"cannot replace the search index {self.path}: {exc.strerror}; set "
                    "CLAUSEWATCH_INDEX to a writable file"
                ) from None

    def _ours(self) -> bool:
        """Whether the file at the index's path may be written and replaced: none there (or
        the empty file SQLite starts with), one in clausewatch's own cache directory, or an
        SQLite file that holds nothing but the index's tables, its ``meta`` naming no other
        format (read without writing; SQLite's write-ahead log included)."""
        try:
            if not self.path.exists() or self.path.stat().st_size == 0:
                return True
        except OSError:
            return False
        own = _cache_root() / "clausewatch" / "index"
        if own.resolve() in self.path.resolve().parents and self.path.suffix == ".sqlite":
            return True
        try:
            with self.path.open("rb") as fh:
                if fh.read(16) != b"SQLite format 3\x00":
                    return False
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
        except (OSError, sqlite3.Error):
            return False
        try:
            names = {str(n) for (n,) in db.execute("SELECT name FROM sqlite_master")}
            row = (
                db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
                if "meta" in names
                else None
            )
        except sqlite3.OperationalError as exc:
            return "locked" in str(exc)  # being written: by the index's own writers
        except sqlite3.DatabaseError:  # damaged inside: the meta rows may still show as bytes
            try:
                with self.path.open("rb") as fh:
                    return INDEX_FORMAT.encode() in fh.read(_RECOGNISE_BYTES)
            except OSError:
                return False
        finally:
            db.close()
        if not all(n in _OUR_TABLES or n.startswith(_OUR_PREFIXES) for n in names):
            return False  # another program's database
        return row is None or str(row[0]).startswith("clausewatch.index/")

    # -- keeping up with the store -------------------------------------------------------
    def refresh(self, documents: Iterable[str] | None = None) -> Refreshed:
        """Bring the index up to the store's heads: ``documents`` only (after an import), or
        every document, dropping those the store no longer has."""
        wanted = list(documents) if documents is not None else None
        return self._guarded(lambda: self._refresh(wanted))

    def _guarded(self, work: Callable[[], _T]) -> _T:
        """Run ``work``; an index damaged inside (a malformed page) is rebuilt and the work
        done again once; an index that cannot be written is a clear error, not a traceback."""
        try:
            return work()
        except sqlite3.OperationalError as exc:
            if not _unwritable(exc):
                raise
            raise StoreError(
                f"cannot write the search index {self.path}: {exc}; set CLAUSEWATCH_INDEX to a "
                "writable file"
            ) from None
        except sqlite3.DatabaseError:
            self._remove()
            self._refresh(None)  # from the store again, then the work once more
            return work()

    def _refresh(self, documents: list[str] | None) -> Refreshed:
        wanted = documents if documents is not None else self.store.documents(quiet=True)
        updated = rebuilt = applied = dropped = 0
        with self._db() as db:
            if documents is None:
                known = {row[0] for row in db.execute("SELECT document FROM docs")}
                for gone in sorted(known - set(wanted)):
                    with _writing(db):
                        _forget(db, gone)
                    dropped += 1
            for document in wanted:
                head, _ = self.store.head(document)
                seen = _indexed_head(db, document)
                if seen == (head.manifest if head else None):
                    continue  # the common case, read without taking the write lock
                with _writing(db):
                    # read again under the lock: another process may have caught up meanwhile
                    seen = _indexed_head(db, document)
                    if head is None:
                        if seen is not None:
                            _forget(db, document)
                            dropped += 1
                        continue
                    if seen == head.manifest:
                        continue
                    newer, reached = self._since(document, seen)
                    if not reached:
                        _forget(db, document)
                        rebuilt += 1
                    else:
                        updated += 1
                    for h, m in newer:
                        _apply(db, self.store, document, h, m)
                        applied += 1
        return Refreshed(len(wanted), updated, rebuilt, applied, dropped)

    def _since(self, document: str, indexed: str | None) -> tuple[list[tuple[str, Manifest]], bool]:
        """The versions after ``indexed``, oldest first, and whether ``indexed`` was found in
        the chain (else: every version, for a rebuild)."""
        newer: list[tuple[str, Manifest]] = []
        for h, m in self.store.chain(document):
            if h == indexed:
                return list(reversed(newer)), True
            newer.append((h, m))
        return list(reversed(newer)), False

    # -- queries -------------------------------------------------------------------------
    def search(
        self,
        query: str,
        entity: str | None = None,
        type_: str | None = None,
        at: datetime | None = None,
        limit: int = 20,
    ) -> list[Hit]:
        """The best-matching clause wordings in force now (or at ``at``), best first. Every hit's
        text is the text of its version as read back from the store (hash checked); an index
        whose text differs from the store's is rebuilt, never believed."""
        query = _checked(query)
        self.refresh()
        hits = self._guarded(lambda: self._query(query, entity, type_, at, limit))
        if not self._agree(hits):
            rebuild(self)  # the index says what the store does not: it is rebuilt from the store
            hits = self._guarded(lambda: self._query(query, entity, type_, at, limit))
            if not self._agree(hits):
                raise IntegrityError(
                    f"the search index {self.path} disagrees with the store {self.store.url} even "
                    "after a rebuild: run `clausewatch verify`"
                )
        return hits

    def best_per_entity(self, query: str, type_: str | None = None) -> list[Hit]:
        """Per entity (a document with none stands for itself), its best-matching current
        clause, by entity: however many clauses another entity's documents match."""
        query = _checked(query)
        self.refresh()
        hits = self._guarded(lambda: self._query(query, None, type_, None, None, per_entity=True))
        if not self._agree(hits):
            rebuild(self)
            hits = self._guarded(
                lambda: self._query(query, None, type_, None, None, per_entity=True)
            )
        return hits

    def _query(
        self,
        query: str,
        entity: str | None,
        type_: str | None,
        at: datetime | None,
        limit: int | None,
        per_entity: bool = False,
    ) -> list[Hit]:
        where = ["fts MATCH ?"]
        args: list[Any] = [query]
        if at is None:
            where.append("w.valid_to IS NULL")
        else:
            moment = stamp(at)
            where.append("w.valid_from <= ? AND (w.valid_to IS NULL OR w.valid_to > ?)")
            args += [moment, moment]
        if entity is not None:
            where.append("d.entity = ?")
            args.append(entity)
        if type_ is not None:
            where.append("d.type = ?")
            args.append(type_)
        inner = (
            "SELECT w.document, d.entity, d.type, d.title, w.clause, w.path, w.text, "
            f"snippet(fts, 0, '[', ']', ' ... ', {SNIPPET_WORDS}) AS snip, w.version_from, "
            "w.manifest_from, w.content_from, w.valid_from, w.valid_to, bm25(fts) AS rank "
            "FROM fts JOIN wordings w ON w.id = fts.rowid JOIN docs d ON d.document = w.document "
            f"WHERE {' AND '.join(where)}"
        )
        if per_entity:
            sql = (
                "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY "
                "CASE WHEN entity = '' THEN document ELSE entity END ORDER BY rank) AS nth "
                f"FROM ({inner})) WHERE nth = 1 ORDER BY entity, document"
            )
        else:
            sql = f"{inner} ORDER BY rank LIMIT ?"
            args.append(limit)
        with self._db() as db:
            try:
                rows = db.execute(sql, args).fetchall()
            except sqlite3.OperationalError as exc:
                if _unwritable(exc) or "malformed" in str(exc):
                    raise
                quoted = _as_phrases(query)
                if quoted == query:
                    raise _bad_query(query, exc) from None
                try:
                    rows = db.execute(sql, [quoted, *args[1:]]).fetchall()
                except sqlite3.OperationalError:
                    raise _bad_query(query, exc) from None
        return [
            Hit(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                _path(r[5]),
                r[6],
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
                r[12],
                r[13],
            )
            for r in rows
        ]

    def _agree(self, hits: list[Hit]) -> bool:
        """Whether every hit's text is its clause's text in its version as the store holds it
        (the version's text is read back, so its hash is checked: IntegrityError if not)."""
        read: dict[str, dict[str, str]] = {}
        for hit in hits:
            texts = read.get(hit.manifest)
            if texts is None:
                manifest = self.store.get_manifest(hit.manifest)
                ids = lineage_of(self.store, manifest)
                clauses = clauses_of(self.store, manifest)
                texts = {}
                for i, clause in enumerate(clauses):
                    ident = ids.ids[i] if ids is not None and i < len(ids.ids) else f"#{i}"
                    texts.setdefault(ident, clause.text)
                read[hit.manifest] = texts
            if texts.get(hit.clause) != hit.text:
                return False
        return True

    def changes_of(self, document: str, clause: str) -> int:
        """How many times a clause's wording changed (its wordings, less one)."""
        with self._db() as db:
            row = db.execute(
                "SELECT count(*) FROM wordings WHERE document = ? AND clause = ?",
                (document, clause),
            ).fetchone()
        return max(0, int(row[0]) - 1)

    def stats(self) -> dict[str, int]:
        with self._db() as db:
            documents = db.execute("SELECT count(*) FROM docs").fetchone()[0]
            wordings = db.execute("SELECT count(*) FROM wordings").fetchone()[0]
            current = db.execute("SELECT count(*) FROM wordings WHERE valid_to IS NULL").fetchone()[
                0
            ]
        return {
            "documents": documents,
            "wordings": wordings,
            "current_clauses": current,
            "bytes": sum(
                os.path.getsize(f"{self.path}{s}")
                for s in ("", "-wal")
                if os.path.exists(f"{self.path}{s}")
            ),
        }


_PATH_SEPARATOR = "\x1f"


def stamp(when: datetime) -> str:
    """A time as the index keeps it: UTC, microseconds, fixed width, so that text order is time
    order (a capture 0.7 s after another is not in force before it)."""
    return utc_z(when.astimezone(UTC), "microseconds")


def _indexed_head(db: sqlite3.Connection, document: str) -> str | None:
    row = db.execute("SELECT head FROM docs WHERE document = ?", (document,)).fetchone()
    return str(row[0]) if row else None


@contextmanager
def _setting_up(path: Path) -> Iterator[None]:
    """An exclusive lock on ``<index>.lock`` while the index is created, checked or replaced
    (SQLite locks a database, not the moment before it exists)."""
    try:
        fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(
            f"cannot open the search index {path}: {exc.strerror}; set CLAUSEWATCH_INDEX to a "
            "writable file"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextmanager
def _writing(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, its lock taken before anything is read (``BEGIN IMMEDIATE``)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


MAX_QUERY_CHARS = 1000
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_T = TypeVar("_T")


def _checked(query: str) -> str:
    if not query.strip():
        raise InputError('give a search query: words, "a phrase", AND, OR, NOT, prefix*')
    if len(query) > MAX_QUERY_CHARS:
        raise InputError(
            f"the query is {len(query)} characters long: at most {MAX_QUERY_CHARS}; search for "
            "the words that matter"
        )
    return query


def _as_phrases(query: str) -> str:
    """A query FTS5 refuses, read as plain words: each term quoted (``opt-out``, ``U.S.``,
    ``don't``), AND/OR/NOT and a trailing ``*`` kept. Unchanged when it holds quotes."""
    if '"' in query:
        return query
    terms = []
    for term in query.split():
        if term in _OPERATORS:
            terms.append(term)
        elif term.endswith("*") and len(term) > 1:
            terms.append(f'"{term[:-1]}"*')
        else:
            terms.append(f'"{term}"')
    return " ".join(terms)


def _bad_query(query: str, exc: Exception) -> InputError:
    shown = query if len(query) <= 200 else query[:200] + "..."
    return InputError(
        f'cannot search for {shown!r}: {str(exc)[:200]} (FTS5 syntax: words, "a phrase", AND, '
        "OR, NOT, prefix*; quote words with hyphens or dots)"
    )


def _unwritable(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return any(k in text for k in ("readonly", "read-only", "unable to open", "disk i/o", "locked"))


def _path(stored: str) -> tuple[str, ...]:
    return tuple(stored.split(_PATH_SEPARATOR)) if stored else ()


def _forget(db: sqlite3.Connection, document: str) -> None:
    ids = [row[0] for row in db.execute("SELECT id FROM wordings WHERE document = ?", (document,))]
    for rowid in ids:
        _fts_delete(db, rowid)
    db.execute("DELETE FROM wordings WHERE document = ?", (document,))
    db.execute("DELETE FROM docs WHERE document = ?", (document,))


def _fts_delete(db: sqlite3.Connection, rowid: int) -> None:
    row = db.execute("SELECT text, path FROM wordings WHERE id = ?", (rowid,)).fetchone()
    if row is not None:
        db.execute(
            "INSERT INTO fts (fts, rowid, text, path) VALUES ('delete', ?, ?, ?)",
            (rowid, row[0], row[1]),
        )


def _apply(db: sqlite3.Connection, store: Store, document: str, h: str, m: Manifest) -> None:
    """One new version: close the wordings it changed or dropped, open the ones it brings."""
    ids = lineage_of(store, m)
    clauses = clauses_of(store, m)  # read back: the text's hash is checked
    when = stamp(m.captured_at)
    current: dict[str, str] = {}
    for i, clause in enumerate(clauses):
        ident = ids.ids[i] if ids is not None and i < len(ids.ids) else f"#{i}"
        current.setdefault(ident, clause.text)
    open_rows = db.execute(
        "SELECT id, clause, text FROM wordings WHERE document = ? AND valid_to IS NULL",
        (document,),
    ).fetchall()
    still = set()
    for rowid, clause, text in open_rows:
        if current.get(clause) == text:
            still.add(clause)
            continue
        db.execute(
            "UPDATE wordings SET version_to = ?, valid_to = ? WHERE id = ?",
            (m.version, when, rowid),
        )
    for i, clause in enumerate(clauses):
        ident = ids.ids[i] if ids is not None and i < len(ids.ids) else f"#{i}"
        if ident in still:
            continue
        still.add(ident)
        path = _PATH_SEPARATOR.join(clause.path)
        cur = db.execute(
            "INSERT INTO wordings (document, clause, path, text, kind, version_from, "
            "manifest_from, content_from, valid_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (document, ident, path, clause.text, clause.kind, m.version, h, m.content_hash, when),
        )
        db.execute(  # the same values as the row: FTS5 reads them back to delete
            "INSERT INTO fts (rowid, text, path) VALUES (?, ?, ?)",
            (cur.lastrowid, clause.text, path),
        )
    ref = m.document
    db.execute(
        "INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?, ?)",
        (document, h, m.version, ref.entity or "", ref.type or "", ref.title or ""),
    )


def open_index(store: Store, path: str | None = None) -> Index:
    return Index(store, Path(path).expanduser() if path else None)


def rebuild(index: Index) -> Refreshed:
    """Drop the index and build it again from the store."""
    index._remove()
    return index.refresh()


__all__ = ["Hit", "Index", "Refreshed", "default_path", "maintained", "open_index", "rebuild"]
