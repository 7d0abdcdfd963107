"""The content and substance hash of every page of a labelled corpus, one line per page.

    python scripts/corpus_hashes.py ../shared/corpus > tests/data/corpus_hashes.tsv

Each line: ``document/snapshot<TAB>content_hash<TAB>substance_hash``, or for a page that yields
no text ``document/snapshot<TAB>error<TAB>reason``.

A restructuring must leave every hash as it is (tests/test_corpus_hashes.py compares); a change
to extraction that moves hashes on purpose regenerates the file in the same commit, and the
diff of the file shows which pages moved.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from clausewatch.errors import ExtractionError
from clausewatch.pipeline.model import Capture, Target
from clausewatch.pipeline.record import extract_capture
from clausewatch.storage.models import DocumentRef

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def page_hashes(corpus: Path) -> list[tuple[str, str, str]]:
    """(document/snapshot, content hash, substance hash) or (page, "error", reason) per page.

    Each page is extracted as ``make score`` imports it: its saved bytes, at the scorer's URL."""
    out: list[tuple[str, str, str]] = []
    for labels_path in sorted(corpus.glob("*/labels.json")):
        doc = labels_path.parent.name
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
        target = Target(ref=DocumentRef(id=doc, url=f"https://{doc}.example.test/"))
        for step in labels["steps"]:
            body = (labels_path.parent / step["file"]).read_bytes()
            capture = Capture(url=target.ref.url, captured_at=EPOCH, source="import", body=body)
            try:
                got = extract_capture(target, capture)
            except ExtractionError as exc:
                out.append((f"{doc}/{step['file']}", "error", exc.reason or type(exc).__name__))
                continue
            out.append((f"{doc}/{step['file']}", got.content_hash, got.substance_hash))
    return out


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/corpus_hashes.py CORPUS_DIR > tests/data/corpus_hashes.tsv")
    corpus = Path(sys.argv[1])
    if not corpus.is_dir():
        sys.exit(f"{corpus}: not a directory; give the labelled corpus (e.g. ../shared/corpus)")
    for row in page_hashes(corpus):
        print("\t".join(row))


if __name__ == "__main__":
    main()
