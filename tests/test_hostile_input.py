"""Hostile input to import, the catalog and `events --follow`: one clear error, no traceback."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clausewatch.catalog import load_catalog
from clausewatch.cli import app
from clausewatch.errors import CatalogError
from clausewatch.importer import import_batch
from storage.local import LocalBackend
from storage.store import Store
from tests.helpers import page

runner = CliRunner()


def _line(tmp_path: Path, **changes: Any) -> bytes:
    spec: dict[str, Any] = {
        "document": "doc-a",
        "url": "https://a.example/p",
        "file": str(tmp_path / "p.html"),
        "captured_at": "2025-01-01T00:00:00Z",
    }
    spec.update(changes)
    return json.dumps(spec).encode()


def _import(tmp_path: Path, lines: list[bytes]) -> tuple[int, list[dict[str, Any]]]:
    (tmp_path / "p.html").write_bytes(page("Clause one of the policy.", "Clause two."))
    batch = tmp_path / "batch.jsonl"
    batch.write_bytes(b"\n".join(lines) + b"\n")
    store = tmp_path / "store"
    result = runner.invoke(app, ["import", "--batch", str(batch), "--store", str(store), "--json"])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    rows = [json.loads(x) for x in result.stdout.splitlines() if x.strip()]
    return result.exit_code, rows


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"document": "foo\n"}, "invalid document id"),
        ({"title": "\ud800"}, "lone surrogate"),
        ({"url": "https://a.example/\ud800"}, "lone surrogate"),
        ({"file": "/dev/zero"}, "not a regular file"),
        ({"captured_at": "2204-01-01T00:00:00Z"}, "in the future"),
        ({"url": "javascript:alert(1)"}, "http://"),
        ({"url": "https://user:s3cret@a.example/p"}, "credentials"),
    ],
)
def test_bad_import_line_is_one_error_and_the_batch_goes_on(
    tmp_path: Path, changes: dict[str, Any], says: str
) -> None:
    _, rows = _import(tmp_path, [_line(tmp_path, **changes), _line(tmp_path, document="doc-b")])
    assert [r["status"] for r in rows] == ["error", "first"]
    assert says in rows[0]["error"] and "line 1" in rows[0]["error"]
    assert "s3cret" not in json.dumps(rows)
    # nothing of the bad line was stored
    documents = Store(LocalBackend(tmp_path / "store")).documents()
    assert list(documents) == ["doc-b"]


def test_a_non_utf8_byte_spoils_only_its_line(tmp_path: Path) -> None:
    bad = _line(tmp_path, title="cafe").replace(b"cafe", b"caf\xe9")
    _, rows = _import(tmp_path, [_line(tmp_path), bad, _line(tmp_path, document="doc-b")])
    assert [r["status"] for r in rows] == ["first", "error", "first"]
    assert "line 2" in rows[1]["error"] and "UTF-8" in rows[1]["error"]


def test_a_fifo_is_refused_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    _, rows = _import(tmp_path, [_line(tmp_path, file=str(fifo))])
    assert rows[0]["status"] == "error" and "not a regular file" in rows[0]["error"]


def test_a_file_over_64_mb_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.html"
    with big.open("wb") as fh:
        fh.truncate(64 * 1024 * 1024 + 1)  # sparse: no disk used
    _, rows = _import(tmp_path, [_line(tmp_path, file=str(big))])
    assert rows[0]["status"] == "error" and "64 MB" in rows[0]["error"]


def test_a_time_just_ahead_of_the_clock_is_accepted(tmp_path: Path) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    _, rows = _import(tmp_path, [_line(tmp_path, captured_at=soon)])
    assert rows[0]["status"] == "first"


def test_null_title_means_no_title(tmp_path: Path) -> None:
    (tmp_path / "p.html").write_bytes(page("Clause one of the policy."))
    store = Store(LocalBackend(tmp_path / "store"))
    [outcome] = import_batch(store, [_line(tmp_path, title=None)])
    assert outcome.status == "first"
    assert store.head("doc-a") is not None
    result = runner.invoke(app, ["show", "doc-a", "--store", str(tmp_path / "store"), "--json"])
    assert json.loads(result.stdout)["document"]["title"] == ""


CATALOG = "documents:\n  - {id: a, entity: E, title: T, type: terms, url: %s%s}\n"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (CATALOG % ('"https://user:s3cret@a.example/"', ""), "credentials"),
        (CATALOG % ("https://a.example/", ", every: 99999999999999999999d"), "every"),
        ("documents: " + "[" * 20000 + "]" * 20000 + "\n", "nested too deeply"),
        ('{"documents": ' + "[" * 20000 + "]" * 20000 + "}\n", "nested too deeply"),
    ],
)
def test_bad_catalog_is_a_catalog_error(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert says in str(caught.value) and str(path) in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_non_utf8_catalog_is_a_catalog_error(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_bytes((CATALOG % ("https://a.example/", "")).encode().replace(b"E,", b"\xe9,"))
    with pytest.raises(CatalogError, match="UTF-8"):
        load_catalog(path)


@pytest.mark.parametrize("interval", ["-1", "0"])
def test_follow_needs_a_positive_interval(tmp_path: Path, interval: str) -> None:
    result = runner.invoke(
        app, ["events", "--follow", "--interval", interval, "--store", str(tmp_path / "store")]
    )
    assert result.exit_code == 2 and "--interval" in result.output


@pytest.mark.parametrize("interval", ["inf", "nan", "1e9", "3600.5"])
def test_follow_interval_is_capped_at_an_hour(
    tmp_path: Path, interval: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--interval inf` crashed in time.sleep (OverflowError: timestamp out of range); 1e9
    slept for 31 years. The option is refused before the loop, so it never sleeps."""
    import time

    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"slept {seconds} s: the interval was not refused")

    _import(tmp_path, [_line(tmp_path)])
    monkeypatch.setattr(time, "sleep", no_sleep)
    result = runner.invoke(
        app, ["events", "--follow", "--interval", interval, "--store", str(tmp_path / "store")]
    )
    assert result.exit_code == 2 and "--interval" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("since", "says"),
    [
        ("99999999999999999999d", "reaches back before year 1"),
        ("99999999999w", "reaches back before year 1"),
        ("999999999h", "reaches back before year 1"),
        ("0001-01-01T00:00:00+01:00", "is outside years 1 to 9999 in UTC"),
        ("9999-12-31T23:59:59-05:00", "is outside years 1 to 9999 in UTC"),
    ],
)
@pytest.mark.parametrize("command", ["digest", "export-warc"])
def test_a_since_outside_the_calendar_is_one_error(
    tmp_path: Path, since: str, says: str, command: str
) -> None:
    """`digest --since 99999999999999999999d` crashed (OverflowError: Python int too large)."""
    _import(tmp_path, [_line(tmp_path)])
    out = ["doc-a", "-o", str(tmp_path / "out.warc.gz")] if command == "export-warc" else []
    args = [command, *out, "--since", since]
    result = runner.invoke(app, [*args, "--store", str(tmp_path / "store")])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert not (tmp_path / "out.warc.gz").exists()
    assert result.stderr.strip() == f"error: --since {since!r} {says}" + (
        ": use a shorter period or an ISO 8601 date"
        if "year 1" in says
        else ": use a date inside them"
    )


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])
@pytest.mark.parametrize("value", ["not a url", "http://bob:s3cret@[bad"])
@pytest.mark.parametrize("command", ["verify", "seal", "import"])
def test_an_endpoint_that_is_not_a_url_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, command: str
) -> None:
    """`AWS_ENDPOINT_URL_S3='not a url' clausewatch verify` crashed: ValueError: Invalid endpoint."""
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, value)
    args = [command] if command != "import" else [command, "--batch", str(tmp_path / "b.jsonl")]
    result = runner.invoke(app, [*args, "--store", "s3://bucket/prefix"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {variable}=")
    assert "is not an endpoint URL" in lines[0] and f"unset {variable}" in lines[0]
    assert "s3cret" not in result.output
