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
from tests.helpers import write_pages

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


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a).replace("{tmp}/", ""))
def test_an_existing_empty_directory_is_not_a_store(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_server: list[Any]
) -> None:
    """An empty directory is not a store for the read-only commands (it used to be read as an
    empty one): `verify` saying OK there, or `seal` writing events/ and seals/ into it, hides a
    mistyped --store. A store has the layout its first capture or import writes."""
    monkeypatch.setenv("CLAUSEWATCH_WAYBACK", "off")
    root = tmp_path / "store"
    root.mkdir()
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = runner.invoke(app, [*argv, "--store", str(root)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        f"error: {root} is not a clausewatch store (no heads/, manifests/ or events/): "
        "check --store / CLAUSEWATCH_STORE"
    ]
    assert _tree(tmp_path) == ["store"]  # nothing written, no output file
    assert no_server == []


@pytest.mark.parametrize("area", ["heads", "manifests", "events"])
@pytest.mark.parametrize("args", [["verify"], ["seal"], ["events"], ["digest"], ["reextract"]])
def test_a_directory_inside_a_store_is_not_a_store(
    args: list[str], area: str, tmp_path: Path
) -> None:
    """--store pointing one level too deep (a store's own heads/...) is refused, not written."""
    batch = write_pages(tmp_path, [("doc-a", "One.|Two.")])
    root = tmp_path / "archive"
    assert (
        runner.invoke(app, ["import", "--batch", str(batch), "--store", str(root)]).exit_code == 0
    )
    before = _tree(root)
    result = runner.invoke(app, [*args, "--store", str(root / area)])
    assert result.exit_code == 2, result.output
    assert f"{root / area} is not a clausewatch store" in result.stderr
    assert _tree(root) == before


@pytest.mark.parametrize("url", ["", "file:", "file://"])
@pytest.mark.parametrize(
    "args", [["verify"], ["seal"], ["events"], ["run", "--catalog", "c.yaml"], ["demo"]]
)
def test_an_empty_store_url_is_refused_for_every_command(
    args: list[str], url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--store ""` and `file:` used to mean the current directory: seal wrote there."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [*args, "--store", url])
    assert result.exit_code == 2, result.output
    assert "store URL" in result.stderr and ("empty" in result.stderr or "no path" in result.stderr)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_store_url_is_refused_by_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = write_pages(tmp_path, [("doc-a", "One.|Two.")])
    monkeypatch.chdir(tmp_path)
    before = _tree(tmp_path)
    result = runner.invoke(app, ["import", "--batch", str(batch), "--store", ""])
    assert result.exit_code == 2 and "the store URL is empty" in result.stderr
    assert _tree(tmp_path) == before


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


def test_an_empty_s3_prefix_is_not_a_store(moto_endpoint: str, s3_env: str, s3_bucket: str) -> None:
    """A mistyped prefix used to verify OK, and seal created typo/seals/... in the bucket."""
    client = s3_client(moto_endpoint)
    client.put_object(Bucket=s3_bucket, Key="archive/heads/doc-a.json", Body=b"{}")
    for args in (["verify"], ["seal"], ["events"], ["digest"], ["archive"]):
        for prefix in ("nonexistprefix", "archive/heads"):
            url = f"s3://{s3_bucket}/{prefix}"
            result = runner.invoke(app, [*args, "--store", url])
            assert result.exit_code == 2, (args, prefix, result.output)
            assert result.stderr.strip() == (
                f"error: {url} is not a clausewatch store (no heads/, manifests/ or events/): "
                "check --store / CLAUSEWATCH_STORE"
            )
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert keys == ["archive/heads/doc-a.json"]


@pytest.mark.parametrize(
    "prefix", ["../x", "a/../x", "./x", "a//x", "a/.", "/x", "a/./b"], ids=lambda p: p or "empty"
)
@pytest.mark.parametrize("args", [["verify"], ["seal"], ["demo"]])
def test_an_s3_prefix_with_dot_or_empty_segments_is_refused(
    args: list[str], prefix: str, moto_endpoint: str, s3_env: str, s3_bucket: str
) -> None:
    """S3 keeps `..` and empty segments literally: s3://b/../x wrote keys `../x/seals/...`."""
    result = runner.invoke(app, [*args, "--store", f"s3://{s3_bucket}/{prefix}"])
    assert result.exit_code == 2, result.output
    assert "the prefix has an empty, '.' or '..' segment" in result.stderr
    assert s3_client(moto_endpoint).list_objects_v2(Bucket=s3_bucket).get("KeyCount") == 0


def test_an_s3_store_with_a_trailing_slash_still_opens(
    moto_endpoint: str, s3_env: str, s3_bucket: str, tmp_path: Path
) -> None:
    batch = write_pages(tmp_path, [("doc-a", "One.|Two.")])
    url = f"s3://{s3_bucket}/archive"
    assert runner.invoke(app, ["import", "--batch", str(batch), "--store", url]).exit_code == 0
    for spelled in (url, url + "/"):
        result = runner.invoke(app, ["verify", "--store", spelled])
        assert result.exit_code == 0 and "OK" in result.stdout, result.output
