"""The wheel is complete: built from a copy of the source, installed into a fresh venv with no
access to the source tree, ``clausewatch schema`` and ``clausewatch --help`` work, and every
third-party module the code imports is a declared dependency.

Nothing is downloaded: the wheel is built with the running interpreter's setuptools
(``--no-build-isolation``), installed with ``--no-deps --no-index``, and the fresh venv finds
the dependencies through a ``.pth`` file naming the running interpreter's site-packages (a
plain path, so the editable install's own ``.pth`` hook there is not run).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from email.parser import Parser
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from clausewatch.events import cloudevents as events

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("clausewatch", "extractors", "storage", "flows")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert proc.returncode == 0, f"{args}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the tree (the build's litter stays out of the worktree)."""
    work = tmp_path_factory.mktemp("build")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for package in PACKAGES:
        shutil.copytree(  # the links clausewatch/{storage,extractors,flows} stay links
            ROOT / package,
            src / package,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    dist = work / "dist"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(dist),
            str(src),
        ],
        cwd=work,
    )
    [built] = dist.glob("clausewatch-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel; the dependencies come from this interpreter's."""
    root = tmp_path_factory.mktemp("venv") / "env"
    _run([sys.executable, "-m", "venv", "--without-pip", str(root)], cwd=root.parent)
    python = root / "bin" / "python"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        cwd=root.parent,
    )
    # after the install, so pip never sees (or touches) the dependencies' environment
    site = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=root.parent,
    ).strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "clausewatch-test-deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    return root


def _outside_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


@pytest.mark.slow
def test_installed_wheel_prints_schemas_and_help(venv: Path, tmp_path: Path) -> None:
    cwd = tmp_path  # outside the repository: the source tree is not importable from here
    env = _outside_env()
    where = _run(
        [str(venv / "bin" / "python"), "-c", "import clausewatch; print(clausewatch.__file__)"],
        cwd=cwd,
        env=env,
    )
    assert where.startswith(str(venv)), where  # the installed copy, not the source tree
    cli = str(venv / "bin" / "clausewatch")
    changed = json.loads(_run([cli, "schema", "changed"], cwd=cwd, env=env))
    assert changed["$id"].endswith("/events/changed.schema.json")
    source = json.loads((ROOT / "clausewatch/schema_files/events/changed.schema.json").read_text())
    assert changed == source
    for name in ("catalog", "manifest", "sealed", "digest"):
        assert json.loads(_run([cli, "schema", name], cwd=cwd, env=env))
    assert "schema" in _run([cli, "--help"], cwd=cwd, env=env)


def test_the_design_cards_folders_install_inside_the_clausewatch_namespace(wheel: Path) -> None:
    """storage/, extractors/ and flows/ stay at the top of the repository but are installed as
    clausewatch.storage, clausewatch.extractors and clausewatch.flows: no generic top-level
    name that another distribution could also install."""
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {n.split("/", 1)[0] for n in names if not n.startswith("clausewatch-")}
    assert tops == {"clausewatch"}, tops
    for module in (
        "storage/store.py",
        "extractors/html.py",
        "flows/monitor.py",
        "web/templates/base.html",
    ):
        assert f"clausewatch/{module}" in names, module


def test_wheel_carries_every_schema(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"clausewatch/schema_files/events/{t.rsplit('.', 1)[1]}.schema.json"
        for t in events.EVENT_TYPES
    } | {
        f"clausewatch/schema_files/{m}.schema.json"
        for m in ("catalog", "manifest", "head", "check")
    }
    assert expected <= names, sorted(expected - names)


def test_wheel_carries_the_demo_texts(wheel: Path) -> None:
    """The policy texts, the noise, the style and the scripts of the demo site: every file."""
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"clausewatch/demo/data/{p.relative_to(ROOT / 'clausewatch/demo/data')}"
        for p in (ROOT / "clausewatch/demo/data").rglob("*")
        if p.is_file()
    }
    assert len(expected) == 8, expected
    assert expected <= names, sorted(expected - names)


def _imports(node: ast.AST) -> Iterator[str]:
    """Top-level modules imported at run time (not under ``if TYPE_CHECKING:``)."""
    if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
        for branch in node.orelse:
            yield from _imports(branch)
        return
    if isinstance(node, ast.Import):
        yield from (alias.name.split(".")[0] for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        yield node.module.split(".")[0]
    for child in ast.iter_child_nodes(node):
        yield from _imports(child)


def test_every_imported_distribution_is_declared(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        [meta] = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(zf.read(meta).decode())
    declared = {
        _normalise(re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0])
        for req in metadata.get_all("Requires-Dist") or []
        if "extra ==" not in req
    }
    providers = packages_distributions()
    undeclared: dict[str, str] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for module in _imports(ast.parse(path.read_text(), str(path))):
                if module in sys.stdlib_module_names or module in PACKAGES:
                    continue
                dists = {_normalise(d) for d in providers.get(module, [])}
                if not dists & declared:
                    undeclared[module] = str(path.relative_to(ROOT))
    assert not undeclared, f"imported but not in [project] dependencies: {undeclared}"
