"""The command line, through its real entry point (subprocess) and Typer's runner."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.storage import layout
from clausewatch.storage.store import open_store
from tests.helpers import write_pages

CLI = [str(Path(sys.executable).parent / "clausewatch")]
runner = CliRunner()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(CLI + list(args), capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_import_contract(tmp_path: Path) -> None:
    """One JSON object per input line, in order; an error on one line does not stop the batch."""
    batch = write_pages(
        tmp_path,
        [
            ("doc-a", "One.|Two."),
            ("doc-b", "Other."),
            ("doc-a", "One.|Two."),
            ("doc-a", "One.|Three."),
        ],
    )
    lines = batch.read_text().splitlines()
    lines.insert(2, "{not json")
    lines.insert(
        3,
        json.dumps(
            {
                "document": "doc-a",
                "url": "https://example.org/a",
                "file": "/nonexistent.html",
                "captured_at": "2025-02-01T00:00:00Z",
            }
        ),
    )
    lines.insert(
        4, json.dumps({"document": "../evil", "url": "u", "file": "f", "captured_at": "x"})
    )
    batch.write_text("\n".join(lines) + "\n")
    store = f"file://{tmp_path / 'store'}"
    done = cli("import", "--batch", str(batch), "--store", store, "--json")
    # three lines are errors: every line is still recorded and printed, and the exit code is 1
    # (was 0, which told a script that a batch with errors had gone through)
    assert done.returncode == 1, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(o["document"], o["status"], o["changed"]) for o in out] == [
        ("doc-a", "first", False),
        ("doc-b", "first", False),
        ("", "error", False),
        ("doc-a", "error", False),
        ("../evil", "error", False),
        ("doc-a", "unchanged", False),
        ("doc-a", "changed", True),
    ]
    assert "line 3" in out[2]["error"] and "not valid JSON" in out[2]["error"]
    assert "/nonexistent.html" in out[3]["error"]
    assert "invalid document id" in out[4]["error"]
    assert all(
        len(o["content_hash"]) == 64 and len(o["manifest"]) == 64
        for o in out
        if o["status"] != "error"
    )
    shown = cli("show", "doc-a", "--store", store, "--text")
    assert shown.stdout == "Privacy Policy\n\nOne.\n\nThree.\n"


@pytest.fixture
def archive(tmp_path: Path) -> str:
    batch = write_pages(
        tmp_path,
        [
            ("doc-a", "We keep data for 30 days.|Contact us."),
            ("doc-a", "We keep data for 14 days.|Contact us."),
        ],
    )
    store = str(tmp_path / "store")
    result = runner.invoke(app, ["import", "--batch", str(batch), "--store", store])
    assert result.exit_code == 0, result.output
    return store


def test_get_writes_only_verified_bytes(archive: str, tmp_path: Path) -> None:
    st = open_store(archive)
    head, _ = st.head("doc-a")
    assert head is not None
    out = tmp_path / "clauses.json"
    ok = runner.invoke(app, ["get", head.content_hash[:12], "--store", archive, "-o", str(out)])
    assert ok.exit_code == 0, ok.output
    assert b"14 days" in out.read_bytes()
    st.backend.overwrite(layout.blob(head.content_hash), b"tampered")
    bad_out = tmp_path / "tampered.json"
    bad = runner.invoke(app, ["get", head.content_hash, "--store", archive, "-o", str(bad_out)])
    assert bad.exit_code == 2 and "corrupt" in bad.output and head.content_hash in bad.output
    assert not bad_out.exists()
    verify = runner.invoke(app, ["verify", "--store", archive])
    assert (
        verify.exit_code == 1 and "CORRUPT" in verify.output and head.content_hash in verify.output
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["get", "zz"], "is not a hash"),
        (["get", "0" * 64], "no blob or manifest"),
        (["show", "no-such-doc"], "no document 'no-such-doc'"),
        (["show", "doc-a", "--version", "9"], "has no version '9'"),
        (["diff", "doc-a", "1", "7"], "has no version '7'"),
        (["schema", "nonsense"], "no schema 'nonsense'"),
        (["run", "--catalog", "/nonexistent.yaml"], "cannot read the catalog"),
    ],
)
def test_bad_arguments_get_clear_errors(archive: str, args: list[str], message: str) -> None:
    result = runner.invoke(app, [*args, "--store", archive] if args[0] != "schema" else args)
    assert result.exit_code == 2
    assert message in result.output


def test_verify_history_diff_events_show(archive: str) -> None:
    verify = runner.invoke(app, ["verify", "--store", archive, "--json"])
    assert verify.exit_code == 0 and json.loads(verify.output)["ok"] is True
    history = json.loads(
        runner.invoke(app, ["history", "doc-a", "--store", archive, "--json"]).output
    )
    assert [v["version"] for v in history["versions"]] == [2, 1] and history["changes"] == 1
    diff = runner.invoke(app, ["diff", "doc-a", "--store", archive])
    assert "[-30-] {+14+}" in diff.output and "1 modified" in diff.output
    events = [
        json.loads(x)
        for x in runner.invoke(app, ["events", "--store", archive, "--json"]).output.splitlines()
    ]
    assert [e["type"].rsplit(".", 1)[1] for e in events] == ["captured", "changed"]
    only = runner.invoke(
        app, ["events", "--store", archive, "--json", "--type", "changed", "--since", "0"]
    )
    assert len(only.output.splitlines()) == 1
    assert runner.invoke(app, ["events", "--store", archive, "--since", "2"]).output == ""
    show = runner.invoke(app, ["show", "doc-a", "--store", archive])
    assert "version       2" in show.output and "content hash" in show.output
    shown_json = json.loads(
        runner.invoke(app, ["show", "doc-a", "--store", archive, "--json", "--version", "1"]).output
    )
    assert (
        shown_json["version"] == 1
        and shown_json["clauses"][1]["text"] == "We keep data for 30 days."
    )


def test_schema_command_prints_json() -> None:
    for name in ("catalog", "manifest", "changed", "dev.clausewatch.document.fetch_failed"):
        result = runner.invoke(app, ["schema", name])
        assert result.exit_code == 0 and json.loads(result.output)


def test_every_command_has_help() -> None:
    for command in app.registered_commands:
        result = runner.invoke(app, [command.name or "", "--help"])
        assert result.exit_code == 0 and "--help" in result.output


def test_import_with_and_without_extraction_workers_agree(tmp_path: Path) -> None:
    texts = [
        ("doc-a", "One.|Two."),
        ("doc-b", "Other."),
        ("doc-a", "One.|Three."),
        ("doc-a", "One.|Three."),
    ]
    batch = write_pages(tmp_path, texts)
    results = []
    for workers in ("1", "2"):
        store = str(tmp_path / f"store-{workers}")
        out = runner.invoke(
            app, ["import", "--batch", str(batch), "--store", store, "--json", "--workers", workers]
        )
        assert out.exit_code == 0, out.output
        results.append([json.loads(line) for line in out.output.splitlines()])
    assert results[0] == results[1]
    assert [r["status"] for r in results[0]] == ["first", "first", "changed", "unchanged"]


def test_an_error_is_one_line_whatever_its_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's error line folds a multi-line message and escapes control characters (a
    message from a library, or one quoting a value, could spread over lines or colour the
    terminal)."""
    from clausewatch import cli as cli_module
    from clausewatch.errors import InputError

    @cli_module.friendly
    def fails() -> None:
        raise InputError("first line\nsecond line\x1b[31m\n")

    result = CliRunner().invoke(typer_app_of(fails))
    assert result.exit_code == 2
    assert result.stderr == "error: first line / second line\\x1b[31m\n"


def typer_app_of(fn: Callable[[], None]) -> typer.Typer:
    app_ = typer.Typer()
    app_.command()(fn)
    return app_
