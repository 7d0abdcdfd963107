"""Webhook delivery of the event log: signed, retried, in order per document, replayable.

The store's event log is the source of truth; delivery is a reader of it. For each endpoint
the store keeps one state object (``webhooks/<endpoint>/state.json``, replaced by
compare-and-swap) holding:

- ``cursor``: every event up to it has been delivered, filtered out, dead-lettered, or is
  waiting in ``waiting``;
- ``waiting``: per document, the events queued behind a failed delivery, in log order, with
  the next attempt time of the first one. Other documents are not held up.

A delivery is an HTTP POST of the CloudEvent (``application/cloudevents+json``) signed per the
Standard Webhooks specification (``webhook-id`` = the event id, ``webhook-timestamp``,
``webhook-signature``). 2xx is success; anything else, or no answer within the timeout, is
retried with exponential backoff and jitter; after the retry budget the event is moved to
``webhooks/<endpoint>/dead/<cursor>.json`` and the document's queue moves on. The state is
saved after every event, so a crash repeats at most one delivery (same ``webhook-id``:
receivers de-duplicate) and loses none. One deliverer works on an endpoint at a time (a lease
in the state).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field
from standardwebhooks import Webhook

from clausewatch.errors import InputError
from storage.store import Store

LEASE = timedelta(minutes=5)


class Endpoint(BaseModel):
    """A webhook receiver and what it wants."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")
    url: str
    secret: str = Field(repr=False, description="Standard Webhooks secret (whsec_... or base64).")
    types: tuple[str, ...] = ()  # event types, or their last part ("changed")
    entities: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    timeout_s: float = 10.0
    max_attempts: int = 8
    backoff_s: float = 30.0
    max_backoff_s: float = 6 * 3600.0

    def wants(self, event: dict[str, Any]) -> bool:
        etype = str(event.get("type", ""))
        if self.types and not any(etype == t or etype.endswith("." + t) for t in self.types):
            return False
        if self.documents and event.get("subject") not in self.documents:
            return False
        entity = (event.get("data") or {}).get("document", {}).get("entity")
        return not self.entities or entity in self.entities


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    endpoints: list[Endpoint]


def endpoints_from_env(path: str | None = None) -> list[Endpoint]:
    """Endpoints from a settings file (``CLAUSEWATCH_WEBHOOKS_FILE``), else from
    ``CLAUSEWATCH_WEBHOOK_URLS`` (comma separated) sharing ``CLAUSEWATCH_WEBHOOK_SECRET``."""
    path = path or os.environ.get("CLAUSEWATCH_WEBHOOKS_FILE")
    if path:
        try:
            raw = yaml.safe_load(Path(path).read_text())
            return _Config.model_validate(raw).endpoints
        except (OSError, yaml.YAMLError, ValueError) as exc:
            raise InputError(f"webhook settings {path}: {exc}") from None
    urls = [
        u.strip() for u in os.environ.get("CLAUSEWATCH_WEBHOOK_URLS", "").split(",") if u.strip()
    ]
    secret = os.environ.get("CLAUSEWATCH_WEBHOOK_SECRET", "")
    if urls and not secret:
        raise InputError("CLAUSEWATCH_WEBHOOK_URLS is set but CLAUSEWATCH_WEBHOOK_SECRET is not")
    return [
        Endpoint(name="hook-" + hashlib.sha256(u.encode()).hexdigest()[:10], url=u, secret=secret)
        for u in urls
    ]


class _State(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: int = 0
    waiting: dict[str, list[int]] = Field(default_factory=dict)
    attempts: dict[str, int] = Field(default_factory=dict)
    next_attempt_at: dict[str, datetime] = Field(default_factory=dict)
    last_error: dict[str, str] = Field(default_factory=dict)
    delivered: int = 0
    dead: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None


@dataclass
class Report:
    endpoint: str
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    waiting: int = 0
    busy: bool = False
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def sign(endpoint: Endpoint, event: dict[str, Any], now: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and Standard Webhooks headers of a delivery."""
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    signature = Webhook(endpoint.secret).sign(str(event["id"]), now, body)
    headers = {
        "content-type": "application/cloudevents+json",
        "webhook-id": str(event["id"]),
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode(), headers


class Deliverer:
    """Delivers one store's event log to its endpoints over an injected ``httpx.Client``."""

    def __init__(
        self,
        store: Store,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.client = client or httpx.Client()
        self.clock = clock
        self.jitter = jitter
        self.owner = uuid.uuid4().hex

    def _key(self, endpoint: Endpoint, name: str) -> str:
        return f"webhooks/{endpoint.name}/{name}"

    def send(self, endpoint: Endpoint, event: dict[str, Any]) -> str | None:
        """POST one event; None on success, else why it failed."""
        body, headers = sign(endpoint, event, datetime.now(UTC))  # the time of this attempt
        try:
            response = self.client.post(
                endpoint.url, content=body, headers=headers, timeout=endpoint.timeout_s
            )
        except httpx.TimeoutException:
            return f"no answer within {endpoint.timeout_s:g} s"
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:300]
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    def deliver(self, endpoint: Endpoint) -> Report:
        """Deliver what is due to one endpoint."""
        report = Report(endpoint.name)
        claimed = self._claim(endpoint)
        if claimed is None:
            report.busy = True
            return report
        state, token = claimed
        events = dict(self._events_needed(state))
        for document in sorted(state.waiting, key=lambda d: state.waiting[d][0]):
            token = self._drain(endpoint, state, token, document, events, report)
        for cursor, event in self.store.events(state.cursor):
            document = str(event.get("subject", ""))
            if endpoint.wants(event):
                if state.waiting.get(document):
                    state.waiting[document].append(cursor)
                else:
                    state.waiting[document] = [cursor]
                    state.next_attempt_at.pop(document, None)
                    events[cursor] = event
                    token = self._drain(
                        endpoint, state, token, document, events, report, save=False
                    )
            state.cursor = cursor
            token = self._save(endpoint, state, token)
        state.lease_owner = state.lease_until = None
        self._save(endpoint, state, token)
        report.waiting = sum(len(q) for q in state.waiting.values())
        return report

    def _drain(
        self,
        endpoint: Endpoint,
        state: _State,
        token: str | None,
        document: str,
        events: dict[int, dict[str, Any]],
        report: Report,
        save: bool = True,
    ) -> str | None:
        """Send the document's waiting events in order until one fails."""
        queue = state.waiting.get(document, [])
        due = state.next_attempt_at.get(document)
        if due is not None and due > self.clock():
            return token
        while queue:
            cursor = queue[0]
            event = events.get(cursor) or self._event(cursor)
            error = self.send(endpoint, event)
            if error is None:
                queue.pop(0)
                state.delivered += 1
                report.delivered += 1
                self._forget(state, document)
            else:
                report.failed += 1
                report.errors.append(f"{document} #{cursor}: {error}")
                attempts = state.attempts.get(document, 0) + 1
                if attempts >= endpoint.max_attempts:
                    self._dead_letter(endpoint, cursor, event, attempts, error)
                    queue.pop(0)
                    state.dead += 1
                    report.dead += 1
                    self._forget(state, document)
                    continue
                state.attempts[document] = attempts
                state.last_error[document] = error
                state.next_attempt_at[document] = self.clock() + self._backoff(endpoint, attempts)
                break
            if save:
                token = self._save(endpoint, state, token)
        if not queue:
            state.waiting.pop(document, None)
            self._forget(state, document)
        return self._save(endpoint, state, token) if save else token

    def _backoff(self, endpoint: Endpoint, attempts: int) -> timedelta:
        base = min(endpoint.max_backoff_s, endpoint.backoff_s * 2 ** (attempts - 1))
        return timedelta(seconds=base * (0.5 + self.jitter()))  # "full" jitter around the base

    @staticmethod
    def _forget(state: _State, document: str) -> None:
        for table in (state.attempts, state.next_attempt_at, state.last_error):
            table.pop(document, None)

    def _dead_letter(
        self, endpoint: Endpoint, cursor: int, event: dict[str, Any], attempts: int, error: str
    ) -> None:
        record = {
            "cursor": cursor,
            "event_id": event.get("id"),
            "document": event.get("subject"),
            "attempts": attempts,
            "last_error": error,
            "dead_at": self.clock().isoformat(),
        }
        self.store.backend.create(
            self._key(endpoint, f"dead/{cursor:012d}.json"),
            json.dumps(record, sort_keys=True).encode(),
        )

    def _event(self, cursor: int) -> dict[str, Any]:
        return json.loads(self.store.backend.read(f"events/log/{cursor:012d}.json"))  # type: ignore[no-any-return]

    def _events_needed(self, state: _State) -> Iterator[tuple[int, dict[str, Any]]]:
        for queue in state.waiting.values():
            if queue:
                yield queue[0], self._event(queue[0])

    def _claim(self, endpoint: Endpoint) -> tuple[_State, str | None] | None:
        key = self._key(endpoint, "state.json")
        found = self.store.backend.read_versioned(key)
        state = _State.model_validate_json(found[0]) if found else _State()
        now = self.clock()
        if state.lease_owner and state.lease_until and state.lease_until > now:
            return None
        state.lease_owner, state.lease_until = self.owner, now + LEASE
        token = found[1] if found else None
        if not self.store.backend.swap(key, state.model_dump_json().encode(), token):
            return None
        return state, self._version(key)

    def _save(self, endpoint: Endpoint, state: _State, token: str | None) -> str | None:
        key = self._key(endpoint, "state.json")
        if not self.store.backend.swap(key, state.model_dump_json().encode(), token):
            raise InputError(f"webhook {endpoint.name}: another deliverer took over; stopping")
        return self._version(key)

    def _version(self, key: str) -> str | None:
        found = self.store.backend.read_versioned(key)
        return found[1] if found else None

    def replay(self, endpoint: Endpoint, since: int) -> Report:
        """Send again every event after ``since`` that the endpoint wants (state untouched)."""
        report = Report(endpoint.name)
        for cursor, event in self.store.events(since):
            if endpoint.wants(event):
                error = self.send(endpoint, event)
                if error is None:
                    report.delivered += 1
                else:
                    report.failed += 1
                    report.errors.append(f"#{cursor}: {error}")
        return report

    def dead_letters(self, endpoint: Endpoint) -> list[dict[str, Any]]:
        prefix = self._key(endpoint, "dead/")
        return [json.loads(self.store.backend.read(k)) for k in self.store.backend.list(prefix)]
