"""A store that does not exist is an error for every command that does not write captures: a
mistyped --store fails with one clear line (exit 2) instead of printing an empty result, an
`OK`, or creating a new store there. run, import and demo still create a store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clausewatch.cli import app
from tests.conftest import s3_client
from tests.test_cli import write_pages

runner = CliRunner()
H = "a" * 64
COMMANDS = [
    ["verify"],
    ["verify", "--json"],
    ["verify", "--document", "acme-privacy"],
    ["history", "acme-privacy"],
    ["show", "acme-privacy"],
    ["diff", "acme-privacy"],
    ["events"],
    ["events", "--json"],
    ["digest"],
    ["digest", "--emit"],
    ["cite", "acme-privacy"],
    ["get", H],
    ["get", H, "-o", "{tmp}/out"],
    ["seal"],
    ["seal", "--show"],
    ["reextract"],
    ["export-warc", "acme-privacy", "-o", "{tmp}/out.warc.gz"],
    ["deliver"],
    ["archive"],
    ["presign", H],
    ["viewer"],
]


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The viewer must fail before serving: a stub stands in for uvicorn (never blocks)."""
    import uvicorn

    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    return served


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a).replace("{tmp}/", ""))
def test_a_missing_local_store_is_an_error_and_is_not_created(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_server: list[Any]
) -> None:
    monkeypatch.setenv("CLAUSEWATCH_WAYBACK", "off")  # archive: the store is checked first
    missing = tmp_path / "typo"
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = runner.invoke(app, [*argv, "--store", str(missing)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        f"error: no store at {missing} (check --store / CLAUSEWATCH_STORE; "
        "`clausewatch run`, `import` and `demo` create one)"
    ]
    assert not missing.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output file either
    assert no_server == []


def test_the_environment_variable_is_checked_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "typo"
    monkeypatch.setenv("CLAUSEWATCH_STORE", str(missing))
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 2 and f"no store at {missing}" in result.stderr
    assert "OK" not in result.stdout and not missing.exists()
    as_url = runner.invoke(app, ["seal", "--store", missing.as_uri()])
    assert as_url.exit_code == 2 and f"no store at {missing}" in as_url.stderr
    assert not missing.exists()


def test_a_file_is_not_a_store(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("not a store")
    result = runner.invoke(app, ["verify", "--store", str(file)])
    assert result.exit_code == 2 and f"{file} is not a store" in result.stderr
    assert file.read_text() == "not a store"


def test_an_existing_empty_directory_is_an_empty_store(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    result = runner.invoke(app, ["verify", "--store", str(root)])
    assert result.exit_code == 0 and "OK" in result.stdout


def test_import_still_creates_a_store(tmp_path: Path) -> None:
    batch = write_pages(tmp_path, [("doc-a", "One.|Two.")])
    root = tmp_path / "new" / "store"
    result = runner.invoke(app, ["import", "--batch", str(batch), "--store", str(root), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[0])["status"] == "first"
    verify = runner.invoke(app, ["verify", "--store", str(root)])
    assert verify.exit_code == 0 and "OK" in verify.stdout


@pytest.mark.parametrize("args", [["verify"], ["get", H], ["events"], ["seal"]])
def test_a_missing_bucket_is_named(
    args: list[str], moto_endpoint: str, s3_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, [*args, "--store", "s3://no-such-bucket/archive"])
    assert result.exit_code == 2, result.output
    assert "bucket 'no-such-bucket' does not exist" in result.stderr
    names = [b["Name"] for b in s3_client(moto_endpoint).list_buckets().get("Buckets", [])]
    assert "no-such-bucket" not in names
