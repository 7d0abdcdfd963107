"""The layout of a store, in one place: every key area, the form of its keys, what it holds.

The same on every backend. Code that keeps something in a store asks here for the key (and
for the prefix to list), never spells one out; the README's "Store layout" table is
:func:`markdown_table` (``tests/test_layout.py`` keeps the two in step), and the local backend's
directory rules and the S3 backend's Object Lock areas are derived from :data:`AREAS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from clausewatch.errors import InputError
from clausewatch.storage.models import DOCUMENT_ID, SHA256

TIME_NAME = "%Y%m%dT%H%M%S%fZ"  # UTC, sorts as a string: 20260101T093000250000Z

BLOBS = "blobs/"
MANIFESTS = "manifests/"
HEADS = "heads/"
CHECKS = "checks/"
LATEST_CHECKS = "latest-checks/"
EVENT_LOG = "events/log/"
EVENT_IDS = "events/ids/"
EVENT_CURSOR = "events/cursor"
EVENT_DAYS = "events/days/"
SEALS = "seals/"
REEXTRACTS = "reextracts/"
FAILURES = "failures/"
HELD = "held/"
WAYBACK_QUEUE = "wayback/queue/"
WAYBACK_DONE = "wayback/done/"
WAYBACK_ATTESTATIONS = "wayback/attestations/"
WAYBACK_PAUSED = "wayback/paused-until"
WEBHOOKS = "webhooks/"

CHECK_NAME = re.compile(r"(\d{8}T\d{12}Z)-([0-9a-f]{8})\.json")  # <UTC time>-<SHA-256[:8]>.json
WAYBACK_ENTRY = re.compile(r"wayback/(?:queue|done)/([^/]+)/([0-9a-f]{64})\.json")


@dataclass(frozen=True)
class Area:
    """One kind of object in a store."""

    key: str  # its keys, as documented
    holds: str
    written: Literal["once", "swap", "overwrite"]  # create-only, compare-and-swap, replaced


AREAS: tuple[Area, ...] = (
    Area(
        "blobs/<h[:2]>/<h>",
        "bytes by their SHA-256: HTTP body, rendered DOM, screenshot, clauses, lineage",
        "once",
    ),
    Area(
        "manifests/<h[:2]>/<h>.json",
        "a version's manifest (its SHA-256 is its name)",
        "once",
    ),
    Area("heads/<document>.json", "the latest version of a document", "swap"),
    Area(
        "checks/<document>/<time>-<h8>.json",
        "an unchanged check (about 350 bytes)",
        "once",
    ),
    Area(
        "latest-checks/<document>",
        "the name of the document's latest check record (a hint, may lag)",
        "overwrite",
    ),
    Area("events/log/<cursor>.json", "the event log (12-digit cursor, in order)", "once"),
    Area(
        "events/ids/<event id>",
        "the cursor of a logged event (de-duplication), or a writer's claim on it",
        "swap",
    ),
    Area("events/cursor", "the highest cursor written (a hint, may lag)", "overwrite"),
    Area(
        "events/days/<YYYYMMDD>",
        "a cursor logged that UTC day (where a digest of a period starts reading)",
        "once",
    ),
    Area("seals/<time>.json", "a seal: the Merkle root of every head", "once"),
    Area(
        "reextracts/<document>/<h>.json",
        "the head a re-extraction to head h replaced",
        "once",
    ),
    Area(
        "failures/<document>.json",
        "a document's streak of failed checks",
        "overwrite",
    ),
    Area(
        "held/<document>.json",
        "the last capture the content-collapse guard held back",
        "overwrite",
    ),
    Area(
        "wayback/queue/<document>/<manifest>.json",
        "a version waiting for its Wayback capture",
        "swap",
    ),
    Area(
        "wayback/done/<document>/<manifest>.json",
        "a version done with it (archived, skipped or failed), moved out of the queue",
        "once",
    ),
    Area(
        "wayback/attestations/<manifest>.json",
        "the Wayback capture of a version, with its timestamp",
        "once",
    ),
    Area(
        "wayback/paused-until",
        "the time Save Page Now may be asked again after a 429",
        "overwrite",
    ),
    Area(
        "webhooks/<endpoint>/state.json",
        "an endpoint's delivery state and lease",
        "swap",
    ),
    Area(
        "webhooks/<endpoint>/dead/<cursor>.json",
        "an event given up on for that endpoint",
        "once",
    ),
)

# The top-level directories of the layout, and every directory inside it: a local store never
# takes a key of an area for a directory or a directory for a key (storage.local).
TOP_LEVEL = frozenset(area.key.split("/", 1)[0] for area in AREAS)
DIRECTORIES = re.compile(
    r"(?:blobs|manifests)(?:/[0-9a-f]{2})?|heads|seals|failures|held"
    r"|latest-checks|(?:checks|reextracts)(?:/[^/]+)?"
    r"|events(?:/log|/ids|/days)?|wayback(?:/attestations|/(?:queue|done)(?:/[^/]+)?)?"
    r"|webhooks(?:/[^/]+(?:/dead)?)?"
)
# Written once and kept: under S3 Object Lock when the store is configured with it
WRITE_ONCE = (BLOBS, MANIFESTS, SEALS, REEXTRACTS)
# A location holding one of these is a store (`clausewatch` refuses to read anything else)
MARKERS = (HEADS, MANIFESTS, BLOBS, "events/", CHECKS)


def document_id(document: str) -> str:
    """``document``, if it can name keys; else :class:`InputError` saying what an id is."""
    if not DOCUMENT_ID.fullmatch(document):  # `$` alone lets a trailing newline in
        raise InputError(
            f"invalid document id {document!r}: use lower-case letters, digits, '.', '-' and '_' "
            "(no slashes or '..'), starting and ending with a letter or digit"
        )
    return document


def sha256_name(h: str) -> str:
    """``h``, if it is a SHA-256 in hex; else :class:`InputError`."""
    if not SHA256.fullmatch(h):
        raise InputError(f"{h!r} is not a SHA-256: expected 64 lower-case hex digits")
    return h


def time_name(at: datetime) -> str:
    return at.strftime(TIME_NAME)


def blob(h: str) -> str:
    return f"{BLOBS}{h[:2]}/{h}"


def manifest(h: str) -> str:
    return f"{MANIFESTS}{h[:2]}/{h}.json"


def head(document: str) -> str:
    return f"{HEADS}{document_id(document)}.json"


def head_document(key: str) -> str | None:
    """The document whose head ``key`` is, or None if it is not ``heads/<valid id>.json``."""
    name = key[len(HEADS) :]
    if not key.startswith(HEADS) or not name.endswith(".json"):
        return None
    document = name[: -len(".json")]
    return document if DOCUMENT_ID.fullmatch(document) else None


def checks(document: str) -> str:
    """The prefix of a document's check records."""
    return f"{CHECKS}{document_id(document)}/"


def check(document: str, at: datetime, digest: str) -> str:
    return f"{checks(document)}{time_name(at)}-{digest[:8]}.json"


def latest_check(document: str) -> str:
    """The hint naming a document's latest check record (its name under :func:`checks`)."""
    return f"{LATEST_CHECKS}{document_id(document)}"


def event(cursor: int) -> str:
    return f"{EVENT_LOG}{cursor:012d}.json"


def event_day(day: date) -> str:
    return f"{EVENT_DAYS}{day:%Y%m%d}"


EVENT_DAY_NAME = re.compile(r"events/days/(\d{8})")


def event_cursor(key: str) -> int | None:
    """The cursor of an event log key (None for another name)."""
    name = key.rsplit("/", 1)[1].removesuffix(".json")
    return int(name) if name.isdigit() else None


def event_id(ident: str) -> str:
    if not ident or not all(c.isalnum() or c in "-_." for c in ident):
        raise InputError(f"invalid event id {ident!r}")
    return f"{EVENT_IDS}{ident}"


def seal(at: datetime) -> str:
    return f"{SEALS}{time_name(at)}.json"


def reextract(document: str, head: str) -> str:
    return f"{REEXTRACTS}{document}/{head}.json"


def failure(document: str) -> str:
    return f"{FAILURES}{document_id(document)}.json"


def held(document: str) -> str:
    return f"{HELD}{document_id(document)}.json"


def wayback_entry(document: str, manifest: str) -> str:
    return f"{WAYBACK_QUEUE}{document_id(document)}/{manifest}.json"


def wayback_done(document: str, manifest: str) -> str:
    return f"{WAYBACK_DONE}{document_id(document)}/{manifest}.json"


def wayback_attestation(manifest: str) -> str:
    return f"{WAYBACK_ATTESTATIONS}{manifest}.json"


def webhook(endpoint: str, name: str) -> str:
    """A key of an endpoint's area: ``state.json``, or ``dead/`` and what is under it."""
    return f"{WEBHOOKS}{endpoint}/{name}"


def markdown_table() -> str:
    """The README's "Store layout" table."""
    rows = ["| key | holds | written |", "|---|---|---|"]
    how = {"once": "once", "swap": "by compare-and-swap", "overwrite": "replaced"}
    for area in AREAS:
        rows.append(f"| `{area.key}` | {area.holds} | {how[area.written]} |")
    return "\n".join(rows) + "\n"
