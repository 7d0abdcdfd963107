"""Published JSON Schemas: the catalog, store records and every event type.

The schemas ship inside the package, in ``clausewatch/schema_files/`` (the one copy: the wheel
carries it, ``clausewatch schema`` reads it, ``make schemas`` writes it). The store-record and
catalog files are generated from the models (``make schemas``) and a test checks they are
current, so the published schemas cannot drift from the code; the event schemas are written by
hand and the tests validate every emitted event against them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from clausewatch import events
from clausewatch.catalog import Catalog
from clausewatch.errors import InputError
from storage.models import CheckRecord, Head, Manifest

SCHEMA_DIR = Path(__file__).resolve().parent / "schema_files"
_MODELS: dict[str, type[BaseModel]] = {
    "catalog": Catalog,
    "manifest": Manifest,
    "head": Head,
    "check": CheckRecord,
}


def _event_schema(type_: str) -> dict[str, Any]:
    path = SCHEMA_DIR / "events" / f"{type_.rsplit('.', 1)[-1]}.schema.json"
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def schema(name: str) -> dict[str, Any]:
    if name in _MODELS:
        return _MODELS[name].model_json_schema()
    for type_ in events.EVENT_TYPES:
        if name in (type_, type_.rsplit(".", 1)[-1]):
            return _event_schema(type_)
    names = ", ".join([*_MODELS, *(t.rsplit(".", 1)[-1] for t in events.EVENT_TYPES)])
    raise InputError(f"no schema {name!r}: choose one of {names}")


def schema_text(name: str) -> str:
    return json.dumps(schema(name), indent=2, sort_keys=True) + "\n"


def write_model_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in _MODELS:
        path = directory / f"{name}.schema.json"
        path.write_text(schema_text(name))
        written.append(path)
    return written
