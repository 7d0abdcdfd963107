#!/usr/bin/env python3
"""Change-detection accuracy and import throughput on a labelled corpus, in one run.

Runs, side by side on the same pages:
  1. the corpus scorer over `clausewatch import` / `clausewatch show` (automatic mode);
  2. the naive yardstick: a change whenever the whole page's text differs;
  3. a bare `lxml.html.fromstring(page).text_content()` pass: the floor any HTML extraction
     pays here, against which import throughput is given as a share;
  4. the trafilatura yardstick (issue 14): a change whenever trafilatura's main text
     (`extract(html, include_tables=True, favor_recall=True)`, whitespace folded) differs,
     and its fidelity on each document's last step, per collection, with the scorer's own
     fidelity measure;
  5. the import again with its store in memory (/dev/shm, where fsync costs nothing), to show
     how much of the import's time is durable writes to this machine's disk (a diagnostic: the
     share that counts is the first, with the store on disk);
  6. the import again on disk without group commit (CLAUSEWATCH_IMPORT_GROUP=1: every write
     synced on its own), to show what group commit gains (a diagnostic too).

usage: bench_accuracy.py CORPUS [--cli PATH]    (make bench-accuracy CORPUS=../shared/corpus)
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import lxml.html


def steps(corpus: Path) -> list[tuple[str, str, Path]]:
    found = []
    for doc in sorted(os.listdir(corpus)):
        labels = corpus / doc / "labels.json"
        if labels.is_file():
            for step in json.loads(labels.read_text())["steps"]:
                found.append((doc, step.get("truth"), corpus / doc / step["file"]))
    return found


def naive(pages: list[tuple[str, str, bytes]]) -> dict[str, float]:
    conf = {"TP": 0, "FN": 0, "FP": 0, "TN": 0}
    previous: dict[str, str] = {}
    for doc, truth, page in pages:
        tree = lxml.html.fromstring(page)
        for junk in tree.xpath("//script|//style|//noscript|//template"):
            junk.drop_tree()
        text = " ".join(tree.text_content().split())
        if doc in previous and truth in ("change", "same", "link-only"):
            changed = text != previous[doc]
            key = ("TP" if changed else "FN") if truth == "change" else ("FP" if changed else "TN")
            conf[key] += 1
        previous[doc] = text
    return {
        "false_change_rate": round(conf["FP"] / max(1, conf["FP"] + conf["TN"]), 4),
        "recall": round(conf["TP"] / max(1, conf["TP"] + conf["FN"]), 4),
    }


def trafilatura_yardstick(corpus: Path) -> dict[str, dict[str, float]]:
    """Per collection: false-change rate, recall and mean fidelity F1 of trafilatura's main
    text, scored like clausewatch (a failed extraction keeps the previous text)."""
    import importlib.util

    import trafilatura

    spec = importlib.util.spec_from_file_location("corpus_score", corpus / "score.py")
    assert spec is not None and spec.loader is not None
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    figures: dict[str, dict[str, list[float]]] = {}
    for doc in sorted(os.listdir(corpus)):
        labels_path = corpus / doc / "labels.json"
        if not labels_path.is_file():
            continue
        labels = json.loads(labels_path.read_text())
        into = figures.setdefault(labels.get("collection", "corpus"), {})
        previous: str | None = None
        for step in labels["steps"]:
            html = (corpus / doc / step["file"]).read_bytes().decode("utf-8", "replace")
            got = trafilatura.extract(html, include_tables=True, favor_recall=True) or ""
            text = " ".join(got.split())
            if not text:
                continue
            truth = step.get("truth")
            if previous is not None and truth in ("change", "same", "link-only"):
                changed = text != previous
                key = (
                    ("TP" if changed else "FN")
                    if truth == "change"
                    else ("FP" if changed else "TN")
                )
                into.setdefault(key, []).append(1)
            previous = text
        want = labels["steps"][-1].get("expected_text") if labels["steps"] else None
        if want:
            reference = (corpus / doc / want).read_text(encoding="utf-8", errors="replace")
            into.setdefault("fidelity", []).append(scorer.fidelity(previous or "", reference)[2])
    out = {}
    for name, got in sorted(figures.items()):
        tp, fn, fp, tn = (len(got.get(k, [])) for k in ("TP", "FN", "FP", "TN"))
        fids = got.get("fidelity", [])
        out[name] = {
            "false_change_rate": round(fp / max(1, fp + tn), 4),
            "recall": round(tp / max(1, tp + fn), 4),
            "fidelity_f1_mean": round(sum(fids) / len(fids), 4) if fids else 0.0,
        }
    return out


def bare_lxml_mb_per_s(pages: list[bytes]) -> float:
    started = time.perf_counter()
    for page in pages:
        lxml.html.fromstring(page).text_content()
    return sum(map(len, pages)) / 1e6 / (time.perf_counter() - started)


def score(
    corpus: Path, cli: str, store: str = "", env: dict[str, str] | None = None
) -> dict[str, object]:
    out = Path(tempfile.mkdtemp(prefix="bench-accuracy-")) / "score.json"
    scorer = corpus / "score.py"
    where = ["--store", store] if store else []
    done = subprocess.run(
        [sys.executable, str(scorer), str(corpus), "--cli", cli, "--json", str(out), *where],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        sys.exit(f"the scorer failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    summary: dict[str, object] = json.loads(out.read_text())["summary"]
    return summary


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--cli", default=str(Path(sys.executable).parent / "clausewatch"))
    args = ap.parse_args()
    found = steps(args.corpus)
    pages = [(doc, truth, path.read_bytes()) for doc, truth, path in found]
    bare = bare_lxml_mb_per_s([p for _, _, p in pages])
    ours = score(args.corpus, args.cli)
    in_memory = None
    if Path("/dev/shm").is_dir():
        with tempfile.TemporaryDirectory(dir="/dev/shm", prefix="bench-accuracy-") as shm:
            in_memory = score(args.corpus, args.cli, f"file://{shm}/store")
    ungrouped = score(args.corpus, args.cli, env={"CLAUSEWATCH_IMPORT_GROUP": "1"})
    bare_again = bare_lxml_mb_per_s([p for _, _, p in pages])  # the machine's speed may drift
    floor = (bare + bare_again) / 2
    print(
        json.dumps(
            {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
                "pages": len(pages),
                "clausewatch": ours,
                "naive_whole_page_text": naive(pages),
                "trafilatura_yardstick": trafilatura_yardstick(args.corpus),
                "bare_lxml_mb_per_s": round(floor, 2),
                "import_throughput_share": round(float(ours["html_mb_per_s"]) / floor, 3),  # type: ignore[arg-type]
                "import_without_group_commit": {
                    "seconds": ungrouped["seconds"],
                    "import_throughput_share": round(
                        float(ungrouped["html_mb_per_s"]) / floor,  # type: ignore[arg-type]
                        3,
                    ),
                },
                "store_in_memory": None
                if in_memory is None
                else {
                    "seconds": in_memory["seconds"],
                    "import_throughput_share": round(
                        float(in_memory["html_mb_per_s"]) / floor,  # type: ignore[arg-type]
                        3,
                    ),
                },
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
