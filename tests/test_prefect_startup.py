"""``clausewatch run`` when Prefect's ephemeral API server is slow to start (a busy machine):
one clear line and exit 2, not a traceback; the CLI waits 90 s for it unless the user set
``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS``.

Prefect's own ``SubprocessASGIServer.start`` is replaced by one that reads the start-up timeout
the way Prefect does and then fails as Prefect does when the server does not answer in time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_SERVER_EPHEMERAL_ENABLED,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    temporary_settings,
)
from typer.testing import CliRunner

from clausewatch.cli import app

TIMED_OUT = "Timed out while attempting to connect to ephemeral Prefect API server."


@pytest.fixture
def slow_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The timeouts Prefect's ephemeral server was given; it never comes up."""
    seen: list[int] = []

    def start(self: SubprocessASGIServer, timeout: int | None = None) -> None:
        seen.append(timeout or PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
        raise RuntimeError(TIMED_OUT + " Ephemeral server process exited with code 1.")

    monkeypatch.setattr(SubprocessASGIServer, "start", start)
    # no Prefect server configured (a session-wide test harness may have set one)
    with temporary_settings(
        updates={PREFECT_SERVER_EPHEMERAL_ENABLED: True}, restore_defaults={PREFECT_API_URL}
    ):
        yield seen


def run(tmp_path: Path) -> Any:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "documents:\n  - {id: acme-terms, entity: Acme, title: Terms, type: terms,"
        " url: 'http://127.0.0.1:9/terms'}\n"
    )
    return CliRunner().invoke(
        app, ["run", "--catalog", str(catalog), "--store", str(tmp_path / "store")]
    )


def test_ephemeral_server_timeout_is_one_clear_line(tmp_path: Path, slow_server: list[int]) -> None:
    result = run(tmp_path)
    assert result.exit_code == 2, result.output
    [line] = result.output.splitlines()
    assert line.startswith("error: the temporary Prefect API server did not start within 90 s")
    assert "PREFECT_API_URL" in line and "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" in line
    assert "Traceback" not in result.output
    assert slow_server == [90]  # the CLI's default, not Prefect's 20 s
    assert not (tmp_path / "store").exists()  # nothing was written


def test_a_timeout_the_user_set_is_kept(tmp_path: Path, slow_server: list[int]) -> None:
    with temporary_settings(updates={PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: 33}):
        result = run(tmp_path)
    assert result.exit_code == 2, result.output
    assert "did not start within 33 s" in result.output
    assert slow_server == [33]


def test_other_runtime_errors_are_not_disguised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_server: list[int]
) -> None:
    def start(self: SubprocessASGIServer, timeout: int | None = None) -> None:
        raise RuntimeError("Unable to find an available port after multiple attempts")

    monkeypatch.setattr(SubprocessASGIServer, "start", start)
    result = run(tmp_path)
    assert isinstance(result.exception, RuntimeError)
    assert "available port" in str(result.exception)


def test_the_demo_says_the_same(tmp_path: Path, slow_server: list[int]) -> None:
    """`clausewatch demo` runs the monitor flow on the ephemeral API too (it printed a
    traceback)."""
    result = CliRunner().invoke(app, ["demo", "--store", str(tmp_path / "demo")])
    assert result.exit_code == 2, result.output
    last = result.output.splitlines()[-1]
    assert last.startswith("error: the temporary Prefect API server did not start within 90 s")
    assert "Traceback" not in result.output
    assert slow_server == [90]
