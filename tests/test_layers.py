"""The packages import one way: each layer only from itself and the layers below it.

The layers, bottom first (README, "How a check works", draws the same picture):

0. ``errors``, ``settings``, ``urls``, ``lazy``, ``markdown``, ``times``, ``retry``: import
   nothing of clausewatch but each other;
1. ``storage``, ``extractors``, ``net``: the store, pure extraction, guarded networking;
2. ``changes``: diffs, clause lineage, change classes;
3. ``events``: the event models and payloads, webhook delivery;
4. ``wayback``: the Save Page Now client and the archive queue;
5. ``evidence``: history, citations, seals, WARC, digests;
6. ``pipeline``: capture, recording, monitoring, import, re-extraction, explain;
7. ``web``, ``flows``, ``demo``, ``cli``, ``schemas`` and the public API (``clausewatch``).

Every import counts, also one inside a function (that is where a cycle hides).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [
    {"errors", "settings", "urls", "lazy", "markdown", "times", "retry"},
    {"storage", "extractors", "net"},
    {"changes"},
    {"events"},
    {"wayback"},
    {"evidence"},
    {"pipeline"},
    {"web", "flows", "demo", "cli", "schemas", "__init__", "__main__"},
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def _unit(module: str) -> str:
    """clausewatch.storage.store -> storage; clausewatch -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> list[tuple[str, Path]]:
    package = ROOT / "clausewatch"
    found = []
    # the design card's folders are linked into the package: follow the links
    for directory, _, files in os.walk(package, followlinks=True):
        for name in files:
            if name.endswith(".py"):
                path = Path(directory) / name
                dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                found.append((dotted.removesuffix(".__init__"), path))
    return sorted(found)


def _imports(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "clausewatch":
                out += [(node.lineno, f"clausewatch.{a.name}") for a in node.names]
            elif node.module.startswith("clausewatch."):
                out.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("clausewatch.")]
    return out


def test_every_module_belongs_to_a_layer() -> None:
    units = {_unit(module) for module, _ in _modules()}
    assert units <= RANK.keys(), f"place these in a layer: {sorted(units - RANK.keys())}"


def test_imports_point_down() -> None:
    upward = []
    for module, path in _modules():
        rank = RANK[_unit(module)]
        for line, target in _imports(path):
            if target == "clausewatch.__name__":
                continue
            if RANK.get(_unit(target), len(LAYERS)) > rank:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not upward, "imports pointing up a layer:\n" + "\n".join(upward)


def test_the_bottom_imports_nothing_above_it() -> None:
    for module, path in _modules():
        if RANK[_unit(module)] == 0:
            assert all(
                RANK.get(_unit(t), 99) == 0
                for _, t in _imports(path)
                if t != "clausewatch.__name__"
            ), module


def test_no_test_module_imports_another() -> None:
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("tests.test_"), (
                    f"{path.name} imports {node.module}"
                )
