"""Modules imported on first use, so a command pays only for the libraries it touches.

``import_lazily("httpx")`` returns the module at once and runs its code on the first attribute
access (the standard library's :class:`importlib.util.LazyLoader`). An import of
``clausewatch.pipeline.importer`` then costs what extraction and the local store need, not an HTTP
client that only archiving uses.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def import_lazily(name: str) -> ModuleType:
    """``name``'s module, loaded on first attribute access (at once if already imported)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
