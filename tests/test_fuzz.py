"""A bounded atheris (libFuzzer) session over the extractors: no crash, no hang.

The session mutates the seed pages in ``tests/fuzz/seeds`` guided by the extractor code's
branch coverage; ``CLAUSEWATCH_FUZZ_RUNS`` sets its length (default 50,000 inputs, about 20 s
here). Its first seconds found two crashes (control characters from a Cloudflare address and
from character references); both are fixed, with regression tests, and the inputs are seeds.
Run it longer by hand, see ``tests/fuzz/extract_atheris.py``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "fuzz"


@pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None,
    reason="atheris publishes wheels for Linux x86_64 only; hypothesis fuzzing still runs",
)
@pytest.mark.slow
def test_atheris_finds_no_crash_or_hang(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(HERE / "seeds", corpus)
    runs = int(os.environ.get("CLAUSEWATCH_FUZZ_RUNS", "50000"))
    done = subprocess.run(
        [
            sys.executable,
            str(HERE / "extract_atheris.py"),
            str(corpus),
            f"-runs={runs}",
            "-timeout=10",  # an input that takes longer is a hang: a failure
            "-max_len=65536",
            "-rss_limit_mb=2048",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=HERE.parent.parent,
    )
    log = done.stderr[-4000:]
    assert done.returncode == 0, log
    assert re.search(rf"Done {runs} runs", done.stderr), log
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("timeout-*")), log
