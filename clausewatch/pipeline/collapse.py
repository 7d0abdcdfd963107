"""The content-collapse guard: a capture that lost most of the terms is held back, not recorded.

A page that rendered half-way (a script failed, a wall covered it, the site served its home
page in place of the policy) can still give a few hundred words of text. Recorded, it would be
a "change" to a stub, and the recovery a change back. So a capture whose text has less than
:data:`SIZE_SHARE` of the previous version's words *and* keeps less than :data:`KEEP_SHARE` of
them (counted with repeats, after the substance folding of :func:`extractors.substance_tokens`)
is an ``extraction_failed`` event with ``"reason": "suspect"``, never a version: the head does
not move, so the next capture is compared with the last good version. A translation keeps the
size of the text and is never held back; a policy shorter than :data:`MIN_WORDS` words never is.

The held capture is kept as evidence: its blobs (HTTP body, DOM, screenshot) and a record
``held/<document>.json`` naming them, overwritten by the next capture held back. When the page
really was rewritten that much, ``clausewatch accept DOCUMENT`` records the held capture as the
new version (a ``substantive`` change, with its event) after checking that nothing was
recorded or checked since; or the operator may simply wait: the guard compares with the head,
so it holds back every capture of the new text until one is accepted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from clausewatch.errors import InputError
from clausewatch.extractors import Clause, Extraction, substance_tokens
from clausewatch.storage import layout
from clausewatch.storage.models import dump, load_json
from clausewatch.storage.records import HeldCapture
from clausewatch.storage.store import Store
from clausewatch.urls import url_problem

MIN_WORDS = 150
MAX_CLOCK_SKEW = timedelta(minutes=5)  # as for import: a capture time this far ahead is refused
SIZE_SHARE = 0.5
KEEP_SHARE = 0.3
# canonical bytes repeat each clause's heading path, so they shrink less evenly than the words
BYTES_SHARE = 0.7


def collapse_reason(old: Sequence[Clause], old_size: int, new: Extraction) -> str | None:
    """Why ``new`` looks like a collapse of the version whose clauses are ``old`` (None when it
    does not). ``old_size`` is the length of ``old``'s canonical bytes: a new version whose own
    are not much smaller is let through on its size alone, without counting words."""
    if len(new.canonical) >= BYTES_SHARE * old_size:
        return None
    # words by white space first (fast): most new versions stop here
    if sum(len(c.text.split()) for c in new.clauses) >= SIZE_SHARE * sum(
        len(c.text.split()) for c in old
    ):
        return None
    before = Counter(substance_tokens(old))
    words_before = sum(before.values())
    if words_before < MIN_WORDS:
        return None
    after = Counter(substance_tokens(new.clauses))
    words_after = sum(after.values())
    kept = sum((before & after).values())
    if words_after >= SIZE_SHARE * words_before or kept >= KEEP_SHARE * words_before:
        return None
    return (
        f"the capture has {words_after:,} words and keeps {kept / words_before:.0%} of the "
        f"previous version's {words_before:,}"
    )


def put_held(store: Store, held: HeldCapture) -> None:
    store.backend.overwrite(layout.held(held.document.id), dump(held))


def get_held(store: Store, document: str) -> tuple[HeldCapture, str]:
    """The document's held capture and its version token; InputError when there is none."""
    found = store.backend.read_versioned(layout.held(document))
    if found is None:
        raise InputError(
            f"{document}: no capture is held back in {store.url} (the guard holds back a "
            "capture that lost most of the text; see `clausewatch events --type "
            "extraction_failed`)"
        )
    data, token = found
    try:
        held = HeldCapture.model_validate(load_json(data))
        problem = _held_problem(held, document)
    except ValueError as exc:
        problem = str(exc)
    if problem is not None:
        raise InputError(
            f"{document}: the held capture record {layout.held(document)} is damaged ({problem}); "
            "nothing was recorded, and the next capture held back replaces it"
        )
    return held, token


def _held_problem(held: HeldCapture, document: str) -> str | None:
    """What makes a held record unusable: it must be this document's, hold the HTTP body,
    name an http(s) URL and a time that is not ahead of the clock (what import checks)."""
    if held.document.id != document:
        return f"it names document {held.document.id!r}"
    if "response" not in held.blobs:
        return "it names no HTTP body (blob 'response')"
    problem = url_problem(held.url)
    if problem is not None:
        return problem
    if held.captured_at > datetime.now(UTC) + MAX_CLOCK_SKEW:
        return f"its capture time {held.captured_at.isoformat()} is in the future"
    return None


def stale_reason(store: Store, held: HeldCapture) -> str | None:
    """Why accepting ``held`` would record the past (None when it is still the latest news)."""
    if held.accepted is not None:
        return f"it was accepted already, as manifest {held.accepted}"
    head, _ = store.head(held.document.id)
    if head is not None and head.manifest != held.head:
        return (
            f"a version was recorded since ({head.manifest[:12]}, {head.captured_at.isoformat()})"
        )
    checked = store.last_checked(held.document.id)
    if checked is not None and checked > held.captured_at:
        return f"the page was checked since ({checked.isoformat()}) and showed the recorded text"
    return None
