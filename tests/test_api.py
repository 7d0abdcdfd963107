"""The public API: the names ``clausewatch/__init__.py`` exports, used as the README shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import clausewatch
from tests.helpers import T0, page


def test_every_exported_name_resolves() -> None:
    assert clausewatch.__all__ == sorted(clausewatch._API)
    for name in clausewatch.__all__:
        assert getattr(clausewatch, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = clausewatch.nope


def test_import_clausewatch_loads_nothing_heavy() -> None:
    code = (
        "import sys, clausewatch\n"
        "heavy = [m for m in ('clausewatch.pipeline.record', 'clausewatch.storage.store', "
        "'pydantic', 'lxml') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_record_read_back_and_verify(tmp_path: Path) -> None:
    store = clausewatch.open_store(f"file://{tmp_path / 'store'}")
    ref = clausewatch.DocumentRef(id="acme-terms", url="https://acme.example/terms")
    target = clausewatch.Target(ref=ref)
    for minutes, words in ((0, "We keep your data."), (60, "We sell your data.")):
        capture = clausewatch.Capture(
            url=ref.url,
            captured_at=T0.replace(minute=0, hour=minutes // 60),
            source="import",
            body=page(words),
        )
        outcome = clausewatch.record_capture(store, target, capture)
    assert outcome.status == "changed" and outcome.change_class == "substantive"
    history = clausewatch.versions(store, "acme-terms")
    assert [m.version for _, m in history] == [2, 1]
    assert clausewatch.verify_store(store).ok
