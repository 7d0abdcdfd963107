"""Every event type, built from fixed inputs, is exactly the JSON it was before its data became
pydantic models (the expected literals were printed by the dict-building code they replaced),
and is valid against its published schema."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from clausewatch.changes.diff import ClauseChange, ClauseDiff
from clausewatch.changes.lineage import Lineage
from clausewatch.errors import FetchError
from clausewatch.events import cloudevents as events
from clausewatch.evidence.digest import digest_event
from clausewatch.evidence.seal import seal
from clausewatch.pipeline.record import record_failure
from clausewatch.storage.local import LocalBackend
from clausewatch.storage.models import DocumentRef, Manifest
from clausewatch.storage.records import Attestation
from clausewatch.storage.store import Store
from clausewatch.wayback.archive import archived_event
from tests.helpers import T0, target

DOC = DocumentRef(
    id="acme-privacy", entity="Acme", title="Privacy policy", url="https://acme.test/p"
)
BARE = DocumentRef(id="bare", url="https://bare.test/")


def _hash(n: int) -> str:
    return f"{n:064x}"


def _manifest(version: int, change_class: str, minutes: int, doc: DocumentRef = DOC) -> Manifest:
    return Manifest.model_validate(
        {
            "document": doc.model_dump(),
            "version": version,
            "previous": _hash(100 + version - 1) if version > 1 else None,
            "captured_at": T0 + timedelta(minutes=minutes, microseconds=1500 * version),
            "source": "browser",
            "request_url": doc.url,
            "blobs": {},
            "content_hash": _hash(200 + version),
            "substance_hash": _hash(300 + version),
            "change_class": change_class,
            "extraction": {"method": "auto", "extractor": "x", "clause_count": 3 * version},
        }
    )


def _diff(n: int) -> ClauseDiff:
    base = [
        ClauseChange("modified", ("1 Data", "Retention"), "keep 30 days", "keep 14 days", 0, 0),
        ClauseChange("added", ("2 Ünïcode",), None, "New “clause” [-x-]", None, 1),
        ClauseChange("removed", (), "Gone.", None, 2, None),
        ClauseChange("moved", ("3",), "Moved.", "Moved.", 3, 7),
    ]
    changes = tuple(base[i % 4] for i in range(n))
    counts = {"modified": 0, "added": 0, "removed": 0, "moved": 0}
    for c in changes:
        counts[c.change] += 1
    return ClauseDiff(changes, 5, {k: v for k, v in counts.items() if v})


def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """One event (or None) per case, from fixed inputs."""
    monkeypatch.setenv("CLAUSEWATCH_INSTANCE", "fixture")
    lineages = (Lineage(("c1", "c2", "c3", "c4"), 5), Lineage(("c1", "c5", "c3", "c4", "c6"), 7))
    m1, m2 = _manifest(1, "first", 0), _manifest(2, "substantive", 1)
    h1, h2 = _hash(101), _hash(102)
    out: dict[str, Any] = {}
    out["captured"] = events.version_event((h1, m1), None, None)
    out["changed"] = events.version_event((h2, m2), (h1, m1), _diff(4), lineages)
    out["changed_no_lineage"] = events.version_event((h2, m2), (h1, m1), _diff(2))
    out["changed_no_diff"] = events.version_event((h2, m2), (h1, m1), None)
    out["changed_truncated"] = events.version_event((h2, m2), (h1, m1), _diff(53), lineages)
    m3 = _manifest(3, "reverted", 2, BARE)
    out["reverted"] = events.version_event((_hash(103), m3), (h2, m2), _diff(1))
    m4, m5 = _manifest(4, "flapping", 3), _manifest(5, "flapping", 4)
    out["flapping"] = events.version_event((_hash(104), m4), (h2, m2), _diff(1))
    out["flapping_again"] = events.version_event((_hash(105), m5), (_hash(104), m4), _diff(1))
    mc = _manifest(6, "cosmetic", 5)
    out["cosmetic_off"] = events.version_event((_hash(106), mc), (h2, m2), _diff(1))
    monkeypatch.setenv("CLAUSEWATCH_EVENTS_COSMETIC", "on")
    out["cosmetic"] = events.version_event((_hash(106), mc), (h2, m2), _diff(1))
    out["language"] = events.version_event(
        (_hash(107), _manifest(7, "language", 6)), (h2, m2), _diff(1)
    )
    out["first_with_previous"] = events.version_event((h1, m1), (h2, m2), None)
    out["recovered"] = events.recovered_event(
        DOC, T0 + timedelta(hours=2), T0 + timedelta(hours=1, seconds=0.25), 3
    )
    out["extraction_failed"] = events.failure_event(
        events.EXTRACTION_FAILED, DOC, T0 + timedelta(minutes=9), "acme-privacy: no text"
    )
    out["extraction_failed_suspect"] = events.failure_event(
        events.EXTRACTION_FAILED, BARE, T0, "bare: held back", 200, reason="suspect"
    )
    out["fetch_failed_plain"] = events.failure_event(
        events.FETCH_FAILED, DOC, T0, "acme-privacy: HTTP 503", 503
    )
    store = Store(LocalBackend(tmp_path / "store"))
    for minute in (1, 2):
        fetched = record_failure(
            store, target(), T0 + timedelta(minutes=minute), FetchError("HTTP 404", status=404)
        )
    out["fetch_failed"] = fetched.event
    record = Attestation(
        document="acme-privacy",
        manifest=h2,
        content_hash=m2.content_hash,
        url="https://acme.test/p",
        archive_url="https://web.archive.org/web/20260101000000/https://acme.test/p",
        timestamp="20260101000000",
        job_id="spn2-1",
        recorded_at=T0 + timedelta(minutes=30),
    )
    out["archived"] = archived_event(m2, record)
    out["archived_no_timestamp"] = archived_event(
        m2, record.model_copy(update={"timestamp": None, "job_id": None})
    )
    summary = {
        "since": "2025-12-25T00:00:00Z",
        "until": "2026-01-01T00:00:00Z",
        "documents": 2,
        "changes": 3,
        "failures": 1,
        "entities": {
            "Acme": {
                "acme-privacy": {
                    "title": "Privacy",
                    "changes": [{"time": "x"}, {"time": "y"}],
                    "clauses_touched": 4,
                    "failures": 1,
                    "archived": 0,
                    "captured": 1,
                }
            },
            "(no entity)": {},
        },
        "other_events": [],
    }
    out["digest"] = digest_event(summary, T0 + timedelta(days=1))
    out["digest_empty"] = digest_event(
        {**summary, "documents": 0, "changes": 0, "failures": 0, "entities": {}}, T0
    )
    out["sealed_first"] = seal(store, T0 + timedelta(hours=3))
    out["sealed_chained"] = seal(store, T0 + timedelta(hours=4))
    return out


def test_every_event_is_the_json_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got = built(tmp_path, monkeypatch)
    assert set(got) == set(EXPECTED)
    for case, event in got.items():
        # the same keys in the same order, the same values: the JSON text is identical
        assert json.dumps(event, ensure_ascii=False) == json.dumps(
            EXPECTED[case], ensure_ascii=False
        ), case
        if event is not None:
            assert events.encode(event, 7) == events.encode(EXPECTED[case], 7), case


def test_every_built_event_matches_its_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import validate

    for event in built(tmp_path, monkeypatch).values():
        if event is not None:
            validate(event)
            validate(json.loads(events.encode(event, 3)))


# printed by the code before the models (see the module docstring), key order kept
EXPECTED: dict[str, Any] = json.loads(
    r"""
{
 "captured": {
  "specversion": "1.0",
  "id": "625e86628dd8e1c495fa444418730cd1",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.captured",
  "subject": "acme-privacy",
  "time": "2026-01-01T00:00:00.001500Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Privacy policy",
    "type": "",
    "url": "https://acme.test/p"
   },
   "current": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000065",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000c9",
    "version": 1,
    "captured_at": "2026-01-01T00:00:00.001500Z"
   },
   "links": {
    "content": "sha256:00000000000000000000000000000000000000000000000000000000000000c9",
    "manifest": "sha256:0000000000000000000000000000000000000000000000000000000000000065"
   },
   "clause_count": 3
  }
 },
 "changed": {
  "specversion": "1.0",
  "id": "09bba2bc426302acc11306d60661631e",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.changed",
  "subject": "acme-privacy",
  "time": "2026-01-01T00:01:00.003000Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Privacy policy",
    "type": "",
    "url": "https://acme.test/p"
   },
   "current": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000066",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000ca",
    "version": 2,
    "captured_at": "2026-01-01T00:01:00.003000Z"
   },
   "links": {
    "content": "sha256:00000000000000000000000000000000000000000000000000000000000000ca",
    "manifest": "sha256:0000000000000000000000000000000000000000000000000000000000000066"
   },
   "previous": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000065",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000c9",
    "version": 1,
    "captured_at": "2026-01-01T00:00:00.001500Z"
   },
   "change_class": "substantive",
   "summary": {
    "modified": 1,
    "added": 1,
    "removed": 1,
    "moved": 1
   },
   "clauses": [
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    },
    {
     "clause": "c3",
     "change": "removed",
     "path": [],
     "before": "Gone.",
     "after": null,
     "word_ops": null
    },
    {
     "clause": "c4",
     "change": "moved",
     "path": [
      "3"
     ],
     "before": "Moved.",
     "after": "Moved.",
     "word_ops": null
    }
   ],
   "truncated": false
  }
 },
 "changed_no_lineage": {
  "specversion": "1.0",
  "id": "09bba2bc426302acc11306d60661631e",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.changed",
  "subject": "acme-privacy",
  "time": "2026-01-01T00:01:00.003000Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Privacy policy",
    "type": "",
    "url": "https://acme.test/p"
   },
   "current": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000066",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000ca",
    "version": 2,
    "captured_at": "2026-01-01T00:01:00.003000Z"
   },
   "links": {
    "content": "sha256:00000000000000000000000000000000000000000000000000000000000000ca",
    "manifest": "sha256:0000000000000000000000000000000000000000000000000000000000000066"
   },
   "previous": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000065",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000c9",
    "version": 1,
    "captured_at": "2026-01-01T00:00:00.001500Z"
   },
   "change_class": "substantive",
   "summary": {
    "modified": 1,
    "added": 1
   },
   "clauses": [
    {
     "clause": null,
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": null,
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    }
   ],
   "truncated": false
  }
 },
 "changed_no_diff": {
  "specversion": "1.0",
  "id": "09bba2bc426302acc11306d60661631e",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.changed",
  "subject": "acme-privacy",
  "time": "2026-01-01T00:01:00.003000Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Privacy policy",
    "type": "",
    "url": "https://acme.test/p"
   },
   "current": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000066",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000ca",
    "version": 2,
    "captured_at": "2026-01-01T00:01:00.003000Z"
   },
   "links": {
    "content": "sha256:00000000000000000000000000000000000000000000000000000000000000ca",
    "manifest": "sha256:0000000000000000000000000000000000000000000000000000000000000066"
   },
   "previous": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000065",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000c9",
    "version": 1,
    "captured_at": "2026-01-01T00:00:00.001500Z"
   },
   "change_class": "substantive",
   "summary": {},
   "clauses": [],
   "truncated": false
  }
 },
 "changed_truncated": {
  "specversion": "1.0",
  "id": "09bba2bc426302acc11306d60661631e",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.changed",
  "subject": "acme-privacy",
  "time": "2026-01-01T00:01:00.003000Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Privacy policy",
    "type": "",
    "url": "https://acme.test/p"
   },
   "current": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000066",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000ca",
    "version": 2,
    "captured_at": "2026-01-01T00:01:00.003000Z"
   },
   "links": {
    "content": "sha256:00000000000000000000000000000000000000000000000000000000000000ca",
    "manifest": "sha256:0000000000000000000000000000000000000000000000000000000000000066"
   },
   "previous": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000065",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000c9",
    "version": 1,
    "captured_at": "2026-01-01T00:00:00.001500Z"
   },
   "change_class": "substantive",
   "summary": {
    "modified": 14,
    "added": 13,
    "removed": 13,
    "moved": 13
   },
   "clauses": [
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    },
    {
     "clause": "c3",
     "change": "removed",
     "path": [],
     "before": "Gone.",
     "after": null,
     "word_ops": null
    },
    {
     "clause": "c4",
     "change": "moved",
     "path": [
      "3"
     ],
     "before": "Moved.",
     "after": "Moved.",
     "word_ops": null
    },
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    },
    {
     "clause": "c3",
     "change": "removed",
     "path": [],
     "before": "Gone.",
     "after": null,
     "word_ops": null
    },
    {
     "clause": "c4",
     "change": "moved",
     "path": [
      "3"
     ],
     "before": "Moved.",
     "after": "Moved.",
     "word_ops": null
    },
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    },
    {
     "clause": "c3",
     "change": "removed",
     "path": [],
     "before": "Gone.",
     "after": null,
     "word_ops": null
    },
    {
     "clause": "c4",
     "change": "moved",
     "path": [
      "3"
     ],
     "before": "Moved.",
     "after": "Moved.",
     "word_ops": null
    },
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    },
    {
     "clause": "c3",
     "change": "removed",
     "path": [],
     "before": "Gone.",
     "after": null,
     "word_ops": null
    },
    {
     "clause": "c4",
     "change": "moved",
     "path": [
      "3"
     ],
     "before": "Moved.",
     "after": "Moved.",
     "word_ops": null
    },
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    },
    {
     "clause": "c3",
     "change": "removed",
     "path": [],
     "before": "Gone.",
     "after": null,
     "word_ops": null
    },
    {
     "clause": "c4",
     "change": "moved",
     "path": [
      "3"
     ],
     "before": "Moved.",
     "after": "Moved.",
     "word_ops": null
    },
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    },
    {
     "clause": "c3",
     "change": "removed",
     "path": [],
     "before": "Gone.",
     "after": null,
     "word_ops": null
    },
    {
     "clause": "c4",
     "change": "moved",
     "path": [
      "3"
     ],
     "before": "Moved.",
     "after": "Moved.",
     "word_ops": null
    },
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    },
    {
     "clause": "c3",
     "change": "removed",
     "path": [],
     "before": "Gone.",
     "after": null,
     "word_ops": null
    },
    {
     "clause": "c4",
     "change": "moved",
     "path": [
      "3"
     ],
     "before": "Moved.",
     "after": "Moved.",
     "word_ops": null
    },
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    },
    {
     "clause": "c3",
     "change": "removed",
     "path": [],
     "before": "Gone.",
     "after": null,
     "word_ops": null
    },
    {
     "clause": "c4",
     "change": "moved",
     "path": [
      "3"
     ],
     "before": "Moved.",
     "after": "Moved.",
     "word_ops": null
    },
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    },
    {
     "clause": "c3",
     "change": "removed",
     "path": [],
     "before": "Gone.",
     "after": null,
     "word_ops": null
    },
    {
     "clause": "c4",
     "change": "moved",
     "path": [
      "3"
     ],
     "before": "Moved.",
     "after": "Moved.",
     "word_ops": null
    },
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    },
    {
     "clause": "c3",
     "change": "removed",
     "path": [],
     "before": "Gone.",
     "after": null,
     "word_ops": null
    },
    {
     "clause": "c4",
     "change": "moved",
     "path": [
      "3"
     ],
     "before": "Moved.",
     "after": "Moved.",
     "word_ops": null
    },
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    },
    {
     "clause": "c3",
     "change": "removed",
     "path": [],
     "before": "Gone.",
     "after": null,
     "word_ops": null
    },
    {
     "clause": "c4",
     "change": "moved",
     "path": [
      "3"
     ],
     "before": "Moved.",
     "after": "Moved.",
     "word_ops": null
    },
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    },
    {
     "clause": "c3",
     "change": "removed",
     "path": [],
     "before": "Gone.",
     "after": null,
     "word_ops": null
    },
    {
     "clause": "c4",
     "change": "moved",
     "path": [
      "3"
     ],
     "before": "Moved.",
     "after": "Moved.",
     "word_ops": null
    },
    {
     "clause": "c1",
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    },
    {
     "clause": "c5",
     "change": "added",
     "path": [
      "2 Ünïcode"
     ],
     "before": null,
     "after": "New “clause” [-x-]",
     "word_ops": null
    }
   ],
   "truncated": true
  }
 },
 "reverted": {
  "specversion": "1.0",
  "id": "5b485a9a8593c6708ed652c17ad76576",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.changed",
  "subject": "bare",
  "time": "2026-01-01T00:02:00.004500Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "bare",
    "entity": "",
    "title": "",
    "type": "",
    "url": "https://bare.test/"
   },
   "current": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000067",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000cb",
    "version": 3,
    "captured_at": "2026-01-01T00:02:00.004500Z"
   },
   "links": {
    "content": "sha256:00000000000000000000000000000000000000000000000000000000000000cb",
    "manifest": "sha256:0000000000000000000000000000000000000000000000000000000000000067"
   },
   "previous": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000066",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000ca",
    "version": 2,
    "captured_at": "2026-01-01T00:01:00.003000Z"
   },
   "change_class": "reverted",
   "summary": {
    "modified": 1
   },
   "clauses": [
    {
     "clause": null,
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    }
   ],
   "truncated": false
  }
 },
 "flapping": {
  "specversion": "1.0",
  "id": "4166b881b812e4cb0f6885a66244d84c",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.flapping",
  "subject": "acme-privacy",
  "time": "2026-01-01T00:03:00.006000Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Privacy policy",
    "type": "",
    "url": "https://acme.test/p"
   },
   "current": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000068",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000cc",
    "version": 4,
    "captured_at": "2026-01-01T00:03:00.006000Z"
   },
   "links": {
    "content": "sha256:00000000000000000000000000000000000000000000000000000000000000cc",
    "manifest": "sha256:0000000000000000000000000000000000000000000000000000000000000068"
   },
   "previous": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000066",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000ca",
    "version": 2,
    "captured_at": "2026-01-01T00:01:00.003000Z"
   }
  }
 },
 "flapping_again": null,
 "cosmetic_off": null,
 "cosmetic": {
  "specversion": "1.0",
  "id": "90e0d18060fded7ca6b482ec36d9353d",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.cosmetic",
  "subject": "acme-privacy",
  "time": "2026-01-01T00:05:00.009000Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Privacy policy",
    "type": "",
    "url": "https://acme.test/p"
   },
   "current": {
    "manifest": "000000000000000000000000000000000000000000000000000000000000006a",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000ce",
    "version": 6,
    "captured_at": "2026-01-01T00:05:00.009000Z"
   },
   "links": {
    "content": "sha256:00000000000000000000000000000000000000000000000000000000000000ce",
    "manifest": "sha256:000000000000000000000000000000000000000000000000000000000000006a"
   },
   "previous": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000066",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000ca",
    "version": 2,
    "captured_at": "2026-01-01T00:01:00.003000Z"
   },
   "change_class": "cosmetic",
   "summary": {
    "modified": 1
   },
   "clauses": [
    {
     "clause": null,
     "change": "modified",
     "path": [
      "1 Data",
      "Retention"
     ],
     "before": "keep 30 days",
     "after": "keep 14 days",
     "word_ops": [
      {
       "op": "equal",
       "text": "keep"
      },
      {
       "op": "delete",
       "text": "30"
      },
      {
       "op": "insert",
       "text": "14"
      },
      {
       "op": "equal",
       "text": "days"
      }
     ]
    }
   ],
   "truncated": false
  }
 },
 "language": null,
 "first_with_previous": {
  "specversion": "1.0",
  "id": "625e86628dd8e1c495fa444418730cd1",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.captured",
  "subject": "acme-privacy",
  "time": "2026-01-01T00:00:00.001500Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Privacy policy",
    "type": "",
    "url": "https://acme.test/p"
   },
   "current": {
    "manifest": "0000000000000000000000000000000000000000000000000000000000000065",
    "content_hash": "00000000000000000000000000000000000000000000000000000000000000c9",
    "version": 1,
    "captured_at": "2026-01-01T00:00:00.001500Z"
   },
   "links": {
    "content": "sha256:00000000000000000000000000000000000000000000000000000000000000c9",
    "manifest": "sha256:0000000000000000000000000000000000000000000000000000000000000065"
   },
   "clause_count": 3
  }
 },
 "recovered": {
  "specversion": "1.0",
  "id": "0b7c11d2bd7a6011fe54814ade381d23",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.recovered",
  "subject": "acme-privacy",
  "time": "2026-01-01T02:00:00Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Privacy policy",
    "type": "",
    "url": "https://acme.test/p"
   },
   "failed_since": "2026-01-01T01:00:00.250000Z",
   "consecutive_failures": 3
  }
 },
 "extraction_failed": {
  "specversion": "1.0",
  "id": "719d139c9185f7a156d756706634089f",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.extraction_failed",
  "subject": "acme-privacy",
  "time": "2026-01-01T00:09:00Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Privacy policy",
    "type": "",
    "url": "https://acme.test/p"
   },
   "error": "acme-privacy: no text",
   "http_status": null
  }
 },
 "extraction_failed_suspect": {
  "specversion": "1.0",
  "id": "2769977e96b764a2e2000c37a19b31dc",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.extraction_failed",
  "subject": "bare",
  "time": "2026-01-01T00:00:00Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "bare",
    "entity": "",
    "title": "",
    "type": "",
    "url": "https://bare.test/"
   },
   "error": "bare: held back",
   "http_status": 200,
   "reason": "suspect"
  }
 },
 "fetch_failed_plain": {
  "specversion": "1.0",
  "id": "36f5a0946d46f70c4d91ac81bb1ab4fa",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.fetch_failed",
  "subject": "acme-privacy",
  "time": "2026-01-01T00:00:00Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Privacy policy",
    "type": "",
    "url": "https://acme.test/p"
   },
   "error": "acme-privacy: HTTP 503",
   "http_status": 503
  }
 },
 "fetch_failed": {
  "specversion": "1.0",
  "id": "e4ba671f3ae626ec782d1781aa2dde26",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.fetch_failed",
  "subject": "acme-privacy",
  "time": "2026-01-01T00:01:00Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Acme Privacy",
    "type": "privacy policy",
    "url": "https://acme.example/acme-privacy"
   },
   "error": "acme-privacy (https://acme.example/acme-privacy): HTTP 404",
   "http_status": 404,
   "consecutive_failures": 2
  }
 },
 "archived": {
  "specversion": "1.0",
  "id": "ef9ded80b9bc058d50b2f8c4f2d27a1d",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.archived",
  "subject": "acme-privacy",
  "time": "2026-01-01T00:30:00Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Privacy policy",
    "type": "",
    "url": "https://acme.test/p"
   },
   "manifest": "0000000000000000000000000000000000000000000000000000000000000066",
   "content_hash": "00000000000000000000000000000000000000000000000000000000000000ca",
   "url": "https://acme.test/p",
   "archive_url": "https://web.archive.org/web/20260101000000/https://acme.test/p",
   "timestamp": "20260101000000"
  }
 },
 "archived_no_timestamp": {
  "specversion": "1.0",
  "id": "ef9ded80b9bc058d50b2f8c4f2d27a1d",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.document.archived",
  "subject": "acme-privacy",
  "time": "2026-01-01T00:30:00Z",
  "datacontenttype": "application/json",
  "data": {
   "document": {
    "id": "acme-privacy",
    "entity": "Acme",
    "title": "Privacy policy",
    "type": "",
    "url": "https://acme.test/p"
   },
   "manifest": "0000000000000000000000000000000000000000000000000000000000000066",
   "content_hash": "00000000000000000000000000000000000000000000000000000000000000ca",
   "url": "https://acme.test/p",
   "archive_url": "https://web.archive.org/web/20260101000000/https://acme.test/p",
   "timestamp": null
  }
 },
 "digest": {
  "specversion": "1.0",
  "id": "87bcd3122e9f885a96478d8a11445f90",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.digest",
  "subject": "digest",
  "time": "2026-01-02T00:00:00Z",
  "datacontenttype": "application/json",
  "data": {
   "since": "2025-12-25T00:00:00Z",
   "until": "2026-01-01T00:00:00Z",
   "documents": 2,
   "changes": 3,
   "failures": 1,
   "entities": {
    "Acme": {
     "acme-privacy": {
      "changes": 2,
      "failures": 1
     }
    },
    "(no entity)": {}
   }
  }
 },
 "digest_empty": {
  "specversion": "1.0",
  "id": "87bcd3122e9f885a96478d8a11445f90",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.digest",
  "subject": "digest",
  "time": "2026-01-01T00:00:00Z",
  "datacontenttype": "application/json",
  "data": {
   "since": "2025-12-25T00:00:00Z",
   "until": "2026-01-01T00:00:00Z",
   "documents": 0,
   "changes": 0,
   "failures": 0,
   "entities": {}
  }
 },
 "sealed_first": {
  "specversion": "1.0",
  "id": "95eee7d0aac03309a6545038748bb2e4",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.store.sealed",
  "subject": "store",
  "time": "2026-01-01T03:00:00Z",
  "datacontenttype": "application/json",
  "data": {
   "seal": "seals/20260101T030000000000Z.json",
   "seal_sha256": "b1e6fb2d316ae631bfcc1f4d50773cf957c9e9658bd4322719683a8e82355e6b",
   "merkle_root": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
   "documents": 0,
   "previous": null
  }
 },
 "sealed_chained": {
  "specversion": "1.0",
  "id": "56d3530bbf5c6a44315b9d6d8286c930",
  "source": "urn:clausewatch:fixture",
  "type": "dev.clausewatch.store.sealed",
  "subject": "store",
  "time": "2026-01-01T04:00:00Z",
  "datacontenttype": "application/json",
  "data": {
   "seal": "seals/20260101T040000000000Z.json",
   "seal_sha256": "411428985718387ec5e02fef6d85055ec88d1e811039914a8aa4f774000d4b7d",
   "merkle_root": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
   "documents": 0,
   "previous": "b1e6fb2d316ae631bfcc1f4d50773cf957c9e9658bd4322719683a8e82355e6b"
  }
 }
}
"""
)
