"""Damage to store files beyond truncation: JSON nested too deep for the parser, a directory
where a file belongs, a stray entry under ``heads/``, a damaged Wayback queue entry or dead
letter, and a garbage head. ``verify`` names each (exit 1); the commands reading them skip the
bad file with one warning line, or fail with one error line, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import clausewatch.evidence.seal
from clausewatch.cli import app
from clausewatch.events.webhooks import Deliverer, Endpoint
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
from clausewatch.storage.verify import verify_store
from tests.helpers import capture, page, target

runner = CliRunner()
DEEP = b"[" * 100_000 + b"]" * 100_000
SECRET = "whsec_" + "Y2xhdXNld2F0Y2gtdGVzdC1zZWNyZXQtMzItYnl0ZXM="


def three_versions(tmp_path: Path) -> Store:
    """doc-a at three versions (events 1-3) and doc-b at one (event 4), sealed and
    re-extracted (a re-extraction record for each)."""
    store = Store(LocalBackend(tmp_path / "store"))
    for minute, text in enumerate(("One.", "Two.", "Three.")):
        record_capture(store, target("doc-a"), capture(page(f"doc-a {text}"), minute))
    record_capture(store, target("doc-b"), capture(page("doc-b One."), 5))
    return store


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


def problems(store: Store) -> dict[str, str]:
    return {p.key: p.detail for p in verify_store(store).problems}


# -- 2. JSON nested too deep for the parser ------------------------------------------------
LOG2 = "events/log/000000000002.json"


@pytest.mark.parametrize(
    "command",
    [
        ["events"],
        ["events", "--json"],
        ["events", "--document", "doc-a"],
        ["digest", "--since", "3000d"],
        ["digest", "--since", "3000d", "--format", "json"],
        ["digest", "--since", "3000d", "--format", "html"],
        ["digest", "--since", "3000d", "--emit"],
    ],
)
def test_a_deeply_nested_log_entry_is_skipped_by_readers(
    tmp_path: Path, command: list[str]
) -> None:
    store = three_versions(tmp_path)
    store.backend.overwrite(LOG2, DEEP)
    code, _, err = cli(*command, "--store", store.url)
    assert code == 0 and LOG2 in err and err.count("\n") == 1


def test_a_deeply_nested_log_entry_is_skipped_by_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS", "1")
    store = three_versions(tmp_path)
    store.backend.overwrite(LOG2, DEEP)
    nobody = Endpoint(name="t", url="http://127.0.0.1:9/", secret=SECRET, documents=("none",))
    report = Deliverer(store).replay(nobody, since=0)
    assert report.skipped == 1 and any(LOG2 in e for e in report.errors)


def sealed_and_reextracted(tmp_path: Path) -> Store:
    from clausewatch.pipeline.reextract import reextract

    store = three_versions(tmp_path)
    clausewatch.evidence.seal.seal(store)
    reextract(store, "doc-a")
    return store


@pytest.mark.parametrize("area", ["events/log/", "seals/", "reextracts/doc-a/"])
def test_a_deeply_nested_record_is_named_by_verify(tmp_path: Path, area: str) -> None:
    store = sealed_and_reextracted(tmp_path)
    key = sorted(store.backend.list(area))[1 if area == "events/log/" else 0]
    store.backend.overwrite(key, DEEP)
    code, out, _ = cli("verify", "--store", store.url)
    assert code == 1 and key in out
    assert key in problems(store)


def test_seal_show_names_a_deeply_nested_seal(tmp_path: Path) -> None:
    store = three_versions(tmp_path)
    clausewatch.evidence.seal.seal(store)
    [key] = store.backend.list("seals/")
    store.backend.overwrite(key, DEEP)
    code, _, err = cli("seal", "--show", "--store", store.url)
    assert code == 2 and key in err and err.count("\n") == 1


# -- 5. a garbage head: one error line, without the bytes or a pydantic URL -----------------
GARBAGE = b"\xff\xfe\x00garbage{"


def test_a_garbage_head_is_one_error_line_in_history_and_import(tmp_path: Path) -> None:
    store = three_versions(tmp_path)
    store.backend.overwrite("heads/doc-a.json", GARBAGE)
    code, _, err = cli("history", "doc-a", "--store", store.url)
    assert code != 0 and err.count("\n") == 1, err
    assert "head of 'doc-a'" in err and "unreadable" in err and "json_invalid" in err
    assert "input_value" not in err and "errors.pydantic.dev" not in err and "\\xff" not in err
    html = tmp_path / "p.html"
    html.write_bytes(page("doc-a Four."))
    spec = {"document": "doc-a", "url": "https://x.example/a", "file": str(html)}
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({**spec, "captured_at": "2025-01-01T00:00:00Z"}) + "\n")
    code, out, err = cli("import", "--batch", str(batch), "--store", store.url)
    text = out + err
    assert "head of 'doc-a'" in text and "input_value" not in text
    assert "errors.pydantic.dev" not in text and len(text.strip().splitlines()) <= 2, text


def test_a_damaged_manifest_is_one_error_line(tmp_path: Path) -> None:
    from clausewatch.storage import layout
    from clausewatch.storage.models import dump
    from clausewatch.storage.store import sha256

    store = three_versions(tmp_path)
    bad = b'{"format": "clausewatch.manifest/1"}'  # named by its hash: valid bytes, not a manifest
    h = sha256(bad)
    store.backend.create(layout.manifest(h), bad)
    head, _ = store.head("doc-a")
    assert head is not None
    store.backend.overwrite("heads/doc-a.json", dump(head.model_copy(update={"manifest": h})))
    code, _, err = cli("history", "doc-a", "--store", store.url)
    assert code != 0 and err.count("\n") == 1 and h in err and "errors.pydantic.dev" not in err


# -- 3. a stray entry under heads/ ---------------------------------------------------------
def test_a_stray_head_is_skipped_by_seal_and_reextract_and_named_by_verify(
    tmp_path: Path,
) -> None:
    store = three_versions(tmp_path)
    stray = "heads/Bad Name.json"
    store.backend.overwrite(stray, b"{}")
    code, out, err = cli("seal", "--store", store.url)
    assert code == 0 and stray in err and err.count("\n") == 1, err
    [key] = store.backend.list("seals/")
    leaves = json.loads(store.backend.read(key))["leaves"]
    assert [doc for doc, _ in leaves] == ["doc-a", "doc-b"]
    code, out, err = cli("reextract", "--store", store.url)
    assert code == 0 and stray in err and err.count("\n") == 1, err
    assert [line.split(":")[0] for line in out.splitlines()] == ["doc-a", "doc-b"]
    code, out, _ = cli("verify", "--store", store.url)
    assert code == 1 and f"INVALID: {stray}: not the head of a document" in out
    assert list(problems(store)) == [stray]


class _ExtraKey(LocalBackend):
    """A local store listing one more key under heads/, as an S3 bucket can hold it."""

    def list(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        keys = list(super().list(prefix, start_after))
        if "heads/".startswith(prefix) or prefix.startswith("heads/"):
            keys = sorted([*keys, "heads/../../evil.json"])
        return iter(keys)


def test_an_s3_key_with_dot_dot_under_heads_is_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    three_versions(tmp_path)
    store = Store(_ExtraKey(tmp_path / "store"))
    assert store.documents() == ["doc-a", "doc-b"]
    assert store.documents() == ["doc-a", "doc-b"]
    assert capsys.readouterr().err.count("'heads/../../evil.json'") == 1  # warned once
    event = clausewatch.evidence.seal.seal(store)
    assert event["data"]["documents"] == 2
    assert "heads/../../evil.json" in problems(store)


def test_the_viewer_lists_a_stray_head_as_damaged(tmp_path: Path) -> None:
    from tests.helpers import view

    store = three_versions(tmp_path)
    store.backend.overwrite("heads/Bad Name.json", b"{}")
    response = view(store, "/")
    assert response.status_code == 200 and "<a href='/doc/doc-a'>" in response.text
    damaged = response.text[response.text.index("Damaged") :]
    assert "heads/Bad Name.json" in damaged and "not the head of a document" in damaged


# -- 1. a directory where a file belongs ---------------------------------------------------
def _blob(store: Store) -> str:
    head, _ = store.head("doc-a")
    assert head is not None
    return f"blobs/{head.content_hash[:2]}/{head.content_hash}"


@pytest.mark.parametrize(
    "key",
    [
        "heads/doc-a.json",
        LOG2,
        "checks/doc-a/20250101T000000000000Z-0123abcd.json",
        "webhooks/hook/state.json",
        "webhooks/hook/dead/000000000001.json",
        "wayback/queue/doc-a/" + "0" * 64 + ".json",
        "events/cursor",
        "seals/20250101T000000000000Z.json",
        "blob",
    ],
)
def test_a_directory_where_a_file_belongs_is_named_by_verify(tmp_path: Path, key: str) -> None:
    store = three_versions(tmp_path)
    key = _blob(store) if key == "blob" else key
    path = tmp_path / "store" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    path.mkdir()
    (path / "inside.json").write_bytes(b"{}")  # not listed either: not in the layout
    code, out, _ = cli("verify", "--store", store.url)
    assert (
        code == 1 and f"NOT-A-FILE: {key}: a directory where the store's layout has a file" in out
    )
    assert "inside.json" not in out


def test_readers_warn_about_a_directory_where_a_log_entry_belongs(tmp_path: Path) -> None:
    store = three_versions(tmp_path)
    path = tmp_path / "store" / LOG2
    path.unlink()
    path.mkdir()
    code, out, err = cli("events", "--store", store.url)
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == ["1", "3", "4"]
    assert LOG2 in err and "a directory where the store's layout has a file" in err
    assert err.count("\n") == 1
    code, out, err = cli("history", "doc-b", "--store", store.url)
    assert code == 0 and err == ""


def test_a_directory_where_a_head_belongs_is_one_error_line(tmp_path: Path) -> None:
    store = three_versions(tmp_path)
    path = tmp_path / "store" / "heads" / "doc-a.json"
    path.unlink()
    path.mkdir()
    code, _, err = cli("history", "doc-a", "--store", store.url)
    assert code != 0 and "heads/doc-a.json" in err and err.count("\n") == 1, err
    code, _, err = cli("seal", "--store", store.url)  # doc-a has no head to seal: warned
    assert code == 0 and "heads/doc-a.json" in err and err.count("\n") == 1, err


def test_the_layout_s_own_directories_are_not_problems(tmp_path: Path) -> None:
    store = sealed_and_reextracted(tmp_path)
    for key in (
        "webhooks/hook/state.json",
        "webhooks/hook/dead/000000000001.json",
        "wayback/queue/doc-a/" + "0" * 64 + ".json",
        "wayback/attestations/" + "0" * 64 + ".json",
        "failures/doc-a.json",
    ):
        store.backend.overwrite(key, b"{}")
    assert not [p for p in verify_store(store).problems if p.kind == "not-a-file"]


# -- 4. the Wayback queue and dead letters -------------------------------------------------
def queued_and_dead_lettered(tmp_path: Path) -> tuple[Store, str, str]:
    """A store with one Wayback queue entry and one dead letter (both valid); their keys."""
    from clausewatch.storage.layout import wayback_entry as entry_key
    from clausewatch.wayback.archive import enqueue

    store = three_versions(tmp_path)
    head, _ = store.head("doc-a")
    assert head is not None
    enqueue(store, head.manifest, store.get_manifest(head.manifest))
    hook = Endpoint(name="hook", url="http://127.0.0.1:9/", secret=SECRET)
    [(_, event), *_] = list(store.events())
    Deliverer(store)._dead_letter(hook, 1, event, 3, "HTTP 500")
    return store, entry_key("doc-a", head.manifest), "webhooks/hook/dead/000000000001.json"


def _damaged(data: bytes, how: str) -> bytes:
    record = json.loads(data)
    return {
        "truncated": data[: len(data) // 2],
        "garbage": GARBAGE,
        "deep": DEEP,
        "list": b"[]",
        "object": b"{}",
        "types": json.dumps({k: 12345 for k in record}).encode(),
    }[how]


def test_a_valid_queue_entry_and_dead_letter_verify(tmp_path: Path) -> None:
    store, queued, dead = queued_and_dead_lettered(tmp_path)
    assert set(store.backend.list("wayback/")) == {queued}
    assert list(store.backend.list(dead)) == [dead]
    assert verify_store(store).ok


@pytest.mark.parametrize("how", ["truncated", "garbage", "deep", "list", "object", "types"])
@pytest.mark.parametrize("which", ["queue", "dead"])
def test_a_damaged_queue_entry_or_dead_letter_is_named_by_verify(
    tmp_path: Path, which: str, how: str
) -> None:
    store, queued, dead = queued_and_dead_lettered(tmp_path)
    key = queued if which == "queue" else dead
    store.backend.overwrite(key, _damaged(store.backend.read(key), how))
    code, out, _ = cli("verify", "--store", store.url)
    assert code == 1 and f"INVALID: {key}: " in out
    assert list(problems(store)) == [key]
    assert len(problems(store)[key].splitlines()) == 1


@pytest.mark.parametrize("which", ["queue", "dead"])
def test_a_queue_entry_or_dead_letter_filed_under_another_name_is_named(
    tmp_path: Path, which: str
) -> None:
    store, queued, dead = queued_and_dead_lettered(tmp_path)
    key = queued if which == "queue" else dead
    moved = (
        queued.replace("doc-a/", "doc-b/")
        if which == "queue"
        else dead.replace("000000000001", "000000000002")
    )
    store.backend.overwrite(moved, store.backend.read(key))
    assert list(problems(store)) == [moved]
