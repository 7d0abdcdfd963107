"""Every page of the labelled corpus keeps its content and substance hash.

tests/data/corpus_hashes.tsv was written by scripts/corpus_hashes.py; a restructuring must not
move a single hash. A change to extraction that moves hashes on purpose regenerates the file
(``make corpus-hashes``) in the same commit, so the diff shows which pages moved.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("CORPUS") or ROOT.parent / "shared" / "corpus")
GOLDEN = ROOT / "tests" / "data" / "corpus_hashes.tsv"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "corpus_hashes", ROOT / "scripts" / "corpus_hashes.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.skipif(
    not (CORPUS / "index.json").is_file(),
    reason=f"the labelled corpus is not on this machine ({CORPUS}; set CORPUS=DIR)",
)
def test_every_corpus_page_keeps_its_hashes() -> None:
    want = {}
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        page, first, second = line.split("\t")
        want[page] = (first, second)
    got = {page: (first, second) for page, first, second in _script().page_hashes(CORPUS)}
    moved = sorted(page for page in want.keys() & got.keys() if want[page] != got[page])
    assert not moved, f"{len(moved)} pages changed hashes, first: {moved[:10]}"
    assert got.keys() == want.keys(), "the corpus has other pages than the golden file"
