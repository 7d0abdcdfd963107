"""clausewatch: verifiable, long-term evidence of what policy pages said.

The Python API, for a program that records into a store of its own (the CLI and the Prefect
flows are built on the same calls)::

    import clausewatch

    store = clausewatch.open_store("file:///srv/evidence")         # or s3://bucket/prefix
    ref = clausewatch.DocumentRef(id="acme-terms", url="https://acme.example/terms")
    capture = clausewatch.Capture(url=ref.url, captured_at=now, source="import", body=html)
    outcome = clausewatch.record_capture(store, clausewatch.Target(ref=ref), capture)
    outcome.status, outcome.change_class                           # "first", "changed", ...
    for manifest_hash, manifest in clausewatch.versions(store, "acme-terms"):
        ...
    assert clausewatch.verify_store(store).ok                      # every hash re-checked

Each name is imported on first use, so ``import clausewatch`` costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_API = {
    "open_store": "clausewatch.storage.store",
    "Store": "clausewatch.storage.store",
    "DocumentRef": "clausewatch.storage.models",
    "Manifest": "clausewatch.storage.models",
    "Capture": "clausewatch.pipeline.model",
    "Target": "clausewatch.pipeline.model",
    "Outcome": "clausewatch.pipeline.model",
    "record_capture": "clausewatch.pipeline.record",
    "extract_capture": "clausewatch.pipeline.record",
    "versions": "clausewatch.evidence.history",
    "find_version": "clausewatch.evidence.history",
    "diff_versions": "clausewatch.evidence.history",
    "document_history": "clausewatch.evidence.history",
    "verify_store": "clausewatch.storage.verify",
    "ClausewatchError": "clausewatch.errors",
}
__all__ = [
    "Capture",
    "ClausewatchError",
    "DocumentRef",
    "Manifest",
    "Outcome",
    "Store",
    "Target",
    "diff_versions",
    "document_history",
    "extract_capture",
    "find_version",
    "open_store",
    "record_capture",
    "verify_store",
    "versions",
]  # the keys of _API (tests/test_api.py)

if TYPE_CHECKING:
    from clausewatch.errors import ClausewatchError
    from clausewatch.evidence.history import (
        diff_versions,
        document_history,
        find_version,
        versions,
    )
    from clausewatch.pipeline.model import Capture, Outcome, Target
    from clausewatch.pipeline.record import extract_capture, record_capture
    from clausewatch.storage.models import DocumentRef, Manifest
    from clausewatch.storage.store import Store, open_store
    from clausewatch.storage.verify import verify_store


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'clausewatch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
