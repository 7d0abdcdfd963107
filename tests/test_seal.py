"""Seals: removal of a whole history, or of a chain link, is detected."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import clausewatch.storage.seals
from clausewatch.cli import app
from clausewatch.evidence.seal import record_reextract, seal
from clausewatch.pipeline.record import record_capture
from clausewatch.storage import layout
from clausewatch.storage.seals import merkle_root
from clausewatch.storage.store import Store
from clausewatch.storage.verify import verify_store
from tests.helpers import _delete, capture, page, target, validate

runner = CliRunner()


def two_documents(store: Store) -> None:
    for doc in ("doc-a", "doc-b"):
        for minute, text in enumerate(("One.", "Two.", "Three.")):
            record_capture(store, target(doc), capture(page(f"{doc} {text}"), minute))


def test_seal_is_chained_announced_and_verified(store: Store) -> None:
    two_documents(store)
    first = seal(store)
    record_capture(store, target("doc-a"), capture(page("doc-a Four."), 10))
    second = seal(store)
    assert second["data"]["previous"] == first["data"]["seal_sha256"]
    validate(second)
    assert verify_store(store).ok


def test_removing_a_whole_history_is_detected(store: Store) -> None:
    two_documents(store)
    seal(store)
    _delete(store, "heads/doc-b.json")  # the document's history is gone from the heads
    problems = verify_store(store).problems
    assert any("doc-b" in p.detail and "no longer in its history" in p.detail for p in problems)


def test_a_deleted_chain_link_and_a_corrupt_manifest_are_named(store: Store) -> None:
    two_documents(store)
    chain = list(store.chain("doc-a"))
    middle = chain[1][0]
    _delete(store, layout.manifest(middle))
    head_b, _ = store.head("doc-b")
    assert head_b is not None
    store.backend.overwrite(layout.manifest(head_b.manifest), b"{}")
    report = verify_store(store)
    keys = {(p.kind, p.key) for p in report.problems}
    assert ("missing", layout.manifest(middle)) in keys
    assert ("corrupt", layout.manifest(head_b.manifest)) in keys
    assert not report.ok


def test_a_removed_seal_breaks_the_seal_chain(store: Store) -> None:
    two_documents(store)
    seal(store)
    seal(store)
    seal(store)
    middle = list(store.backend.list("seals/"))[1]
    _delete(store, middle)
    assert any("seal chain is broken" in p.detail for p in verify_store(store).problems)


def test_seal_command(tmp_path: Path) -> None:
    from clausewatch.storage.local import LocalBackend

    store = Store(LocalBackend(tmp_path / "s"))
    two_documents(store)
    missing = runner.invoke(app, ["seal", "--store", store.url, "--show"])
    assert missing.exit_code == 2 and "no seal yet" in missing.output
    done = runner.invoke(app, ["seal", "--store", store.url])
    assert done.exit_code == 0 and "sealed 2 document(s)" in done.output
    shown = json.loads(runner.invoke(app, ["seal", "--store", store.url, "--show"]).output)
    assert shown["merkle_root"] in done.output


def test_merkle_doctests() -> None:
    result = doctest.testmod(clausewatch.storage.seals)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7])
def test_merkle_root_changes_with_any_leaf(n: int) -> None:
    leaves = [(f"d{i}", f"{i:064x}") for i in range(n)]
    root = merkle_root(leaves)
    for i in range(n):
        changed = list(leaves)
        changed[i] = (leaves[i][0], f"{i + 100:064x}")
        assert merkle_root(changed) != root


# -- seals across re-extraction ------------------------------------------------------------
def stale_last_version(store: Store) -> None:
    """doc-a's version 4 was recorded by an older extractor that kept a banner as text: it
    re-extracts to the text of version 3 and is merged into it (the head moves back a version,
    and no re-extracted version names the sealed one)."""
    from clausewatch.extractors import extract

    stale = extract(page("doc-a Three.", "Subscribe to our newsletter today."))
    record_capture(store, target("doc-a"), capture(page("doc-a Three."), 5), stale)


@pytest.mark.parametrize("history", ["plain", "last version merged"])
def test_a_seal_still_verifies_after_reextract(store: Store, history: str) -> None:
    from clausewatch.pipeline.reextract import reextract

    two_documents(store)
    if history != "plain":
        stale_last_version(store)
    sealed, _ = store.head("doc-a")
    seal(store)
    rebuilt = reextract(store, "doc-a")
    assert rebuilt.merged == (0 if history == "plain" else 1)
    assert rebuilt.head != (sealed.manifest if sealed else None)
    report = verify_store(store)
    assert report.ok, report.problems
    record = json.loads(store.backend.read(f"reextracts/doc-a/{rebuilt.head}.json"))
    assert record["replaced"] == (sealed.manifest if sealed else None)
    # and on through a later capture and a second re-extraction
    record_capture(store, target("doc-a"), capture(page("doc-a Five."), 20))
    reextract(store, "doc-a")
    assert verify_store(store).ok, verify_store(store).problems


def test_seal_reextract_verify_on_the_command_line(tmp_path: Path) -> None:
    from clausewatch.storage.local import LocalBackend

    store = Store(LocalBackend(tmp_path / "s"))
    two_documents(store)
    stale_last_version(store)
    for command in (["seal"], ["reextract"], ["verify"]):
        done = runner.invoke(app, [*command, "--store", store.url])
        assert done.exit_code == 0, done.output
    assert done.output.rstrip().endswith("OK: hash verified")


def forge(store: Store, how: str) -> None:
    """Move doc-a's head off the sealed history some other way than re-extraction."""
    sealed, token = store.head("doc-a")
    assert sealed is not None
    if how == "rolled back":  # the head names version 2 of the sealed history
        _, (h2, m2), _ = list(store.chain("doc-a"))
        store.swap_head(
            sealed.model_copy(
                update={"manifest": h2, "content_hash": m2.content_hash, "version": 2}
            ),
            token,
        )
        return
    if how in ("new history", "new history with a record"):
        _delete(store, "heads/doc-a.json")  # a history made up anew, captured like any other
        for minute, text in enumerate(("Other one.", "Other two.")):
            record_capture(store, target("doc-a"), capture(page(text), 30 + minute))
    else:  # a copy of the sealed history claiming re-extraction, with one blob swapped
        previous: str | None = None
        for old_hash, old in reversed(list(store.chain("doc-a"))):
            blobs = dict(old.blobs)
            if old.version == 3:
                other = store.put_blob(b"<html>what it did not say</html>")
                blobs["response"] = blobs["response"].model_copy(update={"sha256": other})
            copy = old.model_copy(
                update={"previous": previous, "reextracted_from": old_hash, "blobs": blobs}
            )
            previous = store.put_manifest(copy)
        store.swap_head(sealed.model_copy(update={"manifest": previous}), token)
    if how != "new history":
        head, _ = store.head("doc-a")
        assert head is not None
        record_reextract(store, "doc-a", head.manifest, sealed.manifest)


@pytest.mark.parametrize(
    "how", ["rolled back", "new history", "new history with a record", "evidence swapped"]
)
def test_a_head_moved_otherwise_or_a_forged_record_still_fails(store: Store, how: str) -> None:
    two_documents(store)
    seal(store)
    forge(store, how)
    problems = {p.key: p.detail for p in verify_store(store).problems}
    assert "no longer in its history" in problems["heads/doc-a.json"]
    head, _ = store.head("doc-a")
    assert head is not None
    record = f"reextracts/doc-a/{head.manifest}.json"
    if how == "new history with a record":
        assert "its head was not re-extracted" in problems[record]
    if how == "evidence swapped":
        assert "does not keep the captured blobs of version 3" in problems[record]


def test_a_truncated_seal_is_named_by_verify(tmp_path: Path) -> None:
    from clausewatch.storage.local import LocalBackend

    store = Store(LocalBackend(tmp_path / "s"))
    two_documents(store)
    seal(store)
    [key] = store.backend.list("seals/")
    store.backend.overwrite(key, store.backend.read(key)[:40])
    done = runner.invoke(app, ["verify", "--store", store.url])
    assert done.exit_code == 1 and f"{key}: not a seal (truncated or damaged)" in done.output
    shown = runner.invoke(app, ["seal", "--show", "--store", store.url])
    assert shown.exit_code == 2 and key in shown.stderr and "not a seal" in shown.stderr
    assert runner.invoke(app, ["seal", "--store", store.url]).exit_code == 0  # chained on
    assert [p.key for p in verify_store(store).problems] == [key]  # the damaged one only
