"""Hostile input to import, the catalog and `events --follow`: one clear error, no traceback."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clausewatch.cli import app
from clausewatch.errors import CatalogError
from clausewatch.pipeline.catalog import load_catalog
from clausewatch.pipeline.importer import import_batch
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.store import Store
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


def _raw_line(tmp_path: Path, middle: str) -> bytes:
    """An import line with ``middle`` spliced in as raw JSON text (what json.dumps cannot
    produce: 200,000 levels of nesting, an integer of 5000 digits)."""
    spec = json.loads(_line(tmp_path))
    return (json.dumps(spec)[:-1] + ', "extra": ' + middle + "}").encode()


@pytest.mark.parametrize(
    ("middle", "says"),
    [
        ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
        ("1" * 5000, "4300 digits"),
    ],
)
def test_a_line_the_json_decoder_refuses_is_one_error(
    tmp_path: Path, middle: str, says: str
) -> None:
    bad = _raw_line(tmp_path, middle)
    _, rows = _import(tmp_path, [bad, _line(tmp_path, document="doc-b")])
    assert [r["status"] for r in rows] == ["error", "first"]
    assert says in rows[0]["error"] and "line 1" in rows[0]["error"]
    assert list(Store(LocalBackend(tmp_path / "store")).documents()) == ["doc-b"]


def test_a_nul_byte_in_the_file_path_is_one_error(tmp_path: Path) -> None:
    bad = _line(tmp_path, file=str(tmp_path / "p.html") + "\u0000x")
    _, rows = _import(tmp_path, [bad, _line(tmp_path, document="doc-b")])
    assert [r["status"] for r in rows] == ["error", "first"]
    assert "NUL" in rows[0]["error"] and "line 1" in rows[0]["error"]
    assert "'doc-a'" in rows[0]["error"]


@pytest.mark.parametrize("key", ["entity", "title", "type"])
@pytest.mark.parametrize("value", [{"a": 1}, ["x"], 7, True])
def test_entity_title_and_type_must_be_strings(tmp_path: Path, key: str, value: Any) -> None:
    bad = _line(tmp_path, **{key: value})
    _, rows = _import(tmp_path, [bad, _line(tmp_path, document="doc-b")])
    assert [r["status"] for r in rows] == ["error", "first"]
    assert f"{key} must be a string or null" in rows[0]["error"]
    assert list(Store(LocalBackend(tmp_path / "store")).documents()) == ["doc-b"]


def test_null_entity_and_type_mean_none(tmp_path: Path) -> None:
    (tmp_path / "p.html").write_bytes(page("Clause one of the policy."))
    store = Store(LocalBackend(tmp_path / "store"))
    [outcome] = import_batch(store, [_line(tmp_path, entity=None, type=None)])
    assert outcome.status == "first"
    result = runner.invoke(app, ["show", "doc-a", "--store", str(tmp_path / "store"), "--json"])
    document = json.loads(result.stdout)["document"]
    assert (document["entity"], document["type"]) == ("", "")


@pytest.mark.parametrize(
    ("documents", "code"),
    [(["doc-a", "../bad", "doc-b"], 1), (["../bad", "../worse"], 1), (["doc-a", "doc-b"], 0)],
)
def test_import_exits_1_when_any_line_is_an_error(
    tmp_path: Path, documents: list[str], code: int
) -> None:
    exit_code, rows = _import(tmp_path, [_line(tmp_path, document=d) for d in documents])
    assert exit_code == code
    # every line was processed and printed, the good ones recorded
    assert [r["status"] for r in rows] == ["error" if ".." in d else "first" for d in documents]
    good = [d for d in documents if ".." not in d]
    assert sorted(Store(LocalBackend(tmp_path / "store")).documents()) == good


# URLs that could forge a WARC header, a BibTeX field or a Markdown link, or that no browser
# could fetch; each with the character or part the error names
BAD_URLS = [
    ("https://acme.example/\r\nWARC-Injected: 1", "'\\r'"),
    ("https://a.example/x}},\n  note = {FORGED", "'}'"),
    ("https://a.example/x> [evil](javascript:alert(1)) <", "'>'"),
    ("https://a b/", "' ' (a space)"),
    ("https://acme.example\n.evil/", "'\\n'"),
    ("https://a.example/p\x00", "'\\x00'"),
    ("https://a.example/p\tq", "'\\t'"),
    ("https://a.example/p\x7f", "'\\x7f'"),
    ("https://a.example/p\u2028", "'\\u2028'"),
    ("https://a.example/p\x85", "'\\x85'"),
    ('https://a.example/"q"', "'\"'"),
    ("https://a.example/a|b^c", "'|'"),
    ("https://a.example/a\\b", "'\\\\'"),
    ("https://a.example:0/", "invalid port '0'"),
    ("https://a.example:99999/", "invalid port '99999'"),
    ("https://a.example:http/", "invalid port 'http'"),
    ("https://a!b.example/", "not a valid host name"),
    ("https://a..b/", "not a valid host name"),
    ("https://%61.example/", "not a valid host name"),
    ("https://:443/", "absolute http"),
]
GOOD_URLS = [
    "https://acme.example/privacy?lang=en#section-2",
    "http://a.example:8080/a%20b/c_d~e",
    "https://münchen.example/straße",
    "https://[2001:db8::1]:8443/p",
    "https://localhost./",
    "https://sub_domain.example/",
]


@pytest.mark.parametrize(("url", "says"), BAD_URLS)
def test_an_unsafe_url_is_refused_at_import(tmp_path: Path, url: str, says: str) -> None:
    _, rows = _import(tmp_path, [_line(tmp_path, url=url), _line(tmp_path, document="doc-b")])
    assert [r["status"] for r in rows] == ["error", "first"]
    error = rows[0]["error"]
    assert says in error and "line 1" in error and "'doc-a'" in error, error
    assert "\r" not in error and "\n" not in error and "\x00" not in error
    assert list(Store(LocalBackend(tmp_path / "store")).documents()) == ["doc-b"]


@pytest.mark.parametrize("url", GOOD_URLS)
def test_a_valid_url_is_accepted_at_import(tmp_path: Path, url: str) -> None:
    _, rows = _import(tmp_path, [_line(tmp_path, url=url)])
    assert rows[0]["status"] == "first", rows[0]


def _catalog(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "catalog.yaml"
    doc = {"id": "acme-privacy", "entity": "E", "title": "T", "type": "terms", "url": url}
    path.write_text(json.dumps({"documents": [doc]}))  # JSON is YAML; escapes keep every char
    return path


@pytest.mark.parametrize(("url", "says"), BAD_URLS)
def test_an_unsafe_url_is_refused_in_the_catalog(tmp_path: Path, url: str, says: str) -> None:
    path = _catalog(tmp_path, url)
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    message = str(caught.value)
    assert says in message and "'acme-privacy'" in message and "field 'url'" in message
    assert "\r" not in message and "\x00" not in message


@pytest.mark.parametrize("url", GOOD_URLS)
def test_a_valid_url_is_accepted_in_the_catalog(tmp_path: Path, url: str) -> None:
    [doc] = load_catalog(_catalog(tmp_path, url)).documents
    assert doc.url == url


def test_a_page_with_no_legal_text_is_an_error_line_but_not_a_failed_batch(
    tmp_path: Path,
) -> None:
    """A saved page with no visible text is reported on its line (error_type extraction) and
    the batch exits 0: a corpus of real pages holds some, and the accuracy scorer
    (corpus/score.py) requires exit 0. Together with a bad line, the batch exits 1."""
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"<html><body><script>x()</script></body></html>")
    lines = [_line(tmp_path, file=str(empty)), _line(tmp_path, document="doc-b")]
    exit_code, rows = _import(tmp_path, lines)
    assert exit_code == 0
    assert [(r["status"], r["error_type"]) for r in rows] == [
        ("error", "extraction"),
        ("first", None),
    ]
    exit_code, rows = _import(tmp_path, [*lines, _line(tmp_path, document="../bad")])
    assert exit_code == 1 and rows[2]["status"] == "error"


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
