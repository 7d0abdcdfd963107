"""Published JSON Schemas: the catalog, store records and every event type.

The schemas ship inside the package, in ``clausewatch/schema_files/`` (the one copy: the wheel
carries it, ``make schemas`` writes it). Every file is generated from the models: the store
records', the catalog's, and the events' (:mod:`clausewatch.events.models`, the models the events
are built through); a test checks the files are current, so the published schemas cannot drift
from the code, and the tests validate every emitted event against them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from clausewatch.errors import InputError
from clausewatch.events import cloudevents as events
from clausewatch.events import models as event_models
from clausewatch.pipeline.catalog import Catalog
from clausewatch.storage.models import CheckRecord, Head, Manifest

SCHEMA_DIR = Path(__file__).resolve().parent / "schema_files"
_MODELS: dict[str, type[BaseModel]] = {
    "catalog": Catalog,
    "manifest": Manifest,
    "head": Head,
    "check": CheckRecord,
}


def _event_schema(type_: str) -> dict[str, Any]:
    return event_models.event_schema(event_models.BY_TYPE[type_])


def event_schema_path(type_: str, directory: Path = SCHEMA_DIR) -> Path:
    return directory / "events" / f"{type_.rsplit('.', 1)[-1]}.schema.json"


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
    """Write every published schema (``make schemas``): the models' and the events'."""
    (directory / "events").mkdir(parents=True, exist_ok=True)
    written = []
    for name in _MODELS:
        path = directory / f"{name}.schema.json"
        path.write_text(schema_text(name))
        written.append(path)
    for type_ in events.EVENT_TYPES:
        path = event_schema_path(type_, directory)
        path.write_text(schema_text(type_))
        written.append(path)
    return written
