"""Seals: removal of a whole history, or of a chain link, is detected."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import clausewatch.seal
from clausewatch.cli import app
from clausewatch.record import record_capture
from storage.store import Store, manifest_key
from storage.verify import verify_store
from tests.helpers import capture, page, target
from tests.test_record import _delete, validate

runner = CliRunner()


def two_documents(store: Store) -> None:
    for doc in ("doc-a", "doc-b"):
        for minute, text in enumerate(("One.", "Two.", "Three.")):
            record_capture(store, target(doc), capture(page(f"{doc} {text}"), minute))


def test_seal_is_chained_announced_and_verified(store: Store) -> None:
    two_documents(store)
    first = clausewatch.seal.seal(store)
    record_capture(store, target("doc-a"), capture(page("doc-a Four."), 10))
    second = clausewatch.seal.seal(store)
    assert second["data"]["previous"] == first["data"]["seal_sha256"]
    validate(second)
    assert verify_store(store).ok


def test_removing_a_whole_history_is_detected(store: Store) -> None:
    two_documents(store)
    clausewatch.seal.seal(store)
    _delete(store, "heads/doc-b.json")  # the document's history is gone from the heads
    problems = verify_store(store).problems
    assert any("doc-b" in p.detail and "no longer in its history" in p.detail for p in problems)


def test_a_deleted_chain_link_and_a_corrupt_manifest_are_named(store: Store) -> None:
    two_documents(store)
    chain = list(store.chain("doc-a"))
    middle = chain[1][0]
    _delete(store, manifest_key(middle))
    head_b, _ = store.head("doc-b")
    assert head_b is not None
    store.backend.overwrite(manifest_key(head_b.manifest), b"{}")
    report = verify_store(store)
    keys = {(p.kind, p.key) for p in report.problems}
    assert ("missing", manifest_key(middle)) in keys
    assert ("corrupt", manifest_key(head_b.manifest)) in keys
    assert not report.ok


def test_a_removed_seal_breaks_the_seal_chain(store: Store) -> None:
    two_documents(store)
    clausewatch.seal.seal(store)
    clausewatch.seal.seal(store)
    clausewatch.seal.seal(store)
    middle = list(store.backend.list("seals/"))[1]
    _delete(store, middle)
    assert any("seal chain is broken" in p.detail for p in verify_store(store).problems)


def test_seal_command(tmp_path: Path) -> None:
    from storage.local import LocalBackend

    store = Store(LocalBackend(tmp_path / "s"))
    two_documents(store)
    missing = runner.invoke(app, ["seal", "--store", store.url, "--show"])
    assert missing.exit_code == 2 and "no seal yet" in missing.output
    done = runner.invoke(app, ["seal", "--store", store.url])
    assert done.exit_code == 0 and "sealed 2 document(s)" in done.output
    shown = json.loads(runner.invoke(app, ["seal", "--store", store.url, "--show"]).output)
    assert shown["merkle_root"] in done.output


def test_merkle_doctests() -> None:
    result = doctest.testmod(clausewatch.seal)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7])
def test_merkle_root_changes_with_any_leaf(n: int) -> None:
    leaves = [(f"d{i}", f"{i:064x}") for i in range(n)]
    root = clausewatch.seal.merkle_root(leaves)
    for i in range(n):
        changed = list(leaves)
        changed[i] = (leaves[i][0], f"{i + 100:064x}")
        assert clausewatch.seal.merkle_root(changed) != root
