#!/usr/bin/env python3
"""Coverage-guided fuzzing of the extractors with atheris (libFuzzer).

Every input is handed to :func:`extractors.extract` as bytes; the only acceptable outcomes are
clauses or an :class:`ExtractionError`. Any other exception is a crash and libFuzzer's
``-timeout`` turns a hang into one. libFuzzer mutates the seed pages in the corpus folder,
guided by the branches of the instrumented extractor code, which finds inputs that random
generation (hypothesis, ``tests/test_security.py``) reaches only by luck.

    python tests/fuzz/extract_atheris.py CORPUS_DIR -runs=20000 -timeout=10 -max_len=65536

(``tests/test_fuzz.py`` runs a bounded session in ``make test``; longer ones by hand.)
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports(include=["extractors"]):
    from clausewatch import extractors
from clausewatch.errors import ExtractionError


def one_input(data: bytes) -> None:
    with contextlib.suppress(ExtractionError):  # a clear refusal is a fine outcome
        extractors.extract(data)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
