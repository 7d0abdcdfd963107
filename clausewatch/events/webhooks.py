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
retried by a later run, after an exponential backoff spread by jitter (the endpoint's
:meth:`Endpoint.policy`, see :mod:`clausewatch.retry`); after the retry budget the event is moved to
``webhooks/<endpoint>/dead/<cursor>.json`` and the document's queue moves on. The state is
saved after every event, so a crash repeats at most one delivery (same ``webhook-id``:
receivers de-duplicate) and loses none. One deliverer works on an endpoint at a time (a lease
in the state), and gives the lease back whatever goes wrong.

Bad input does not stop delivery: a log entry that is not a readable event (truncated,
garbage) is skipped with one error line naming it (``clausewatch verify`` names it too;
``deliver --replay --since`` sends it once it is restored); an unreadable state file stops
that endpoint only, with one error line naming the file, and is left as it is.

Every request is guarded (:mod:`clausewatch.net.outbound`): an endpoint that is not public, or a
password in its URL over plain http, is refused unless ``CLAUSEWATCH_ALLOW_PRIVATE_URLS=1``
(nothing is sent, nothing counts against its retry budget); redirects are never followed; the
default client checks the address it connects to. The secret is never sent: it signs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from standardwebhooks import Webhook

from clausewatch.errors import (
    ClausewatchError,
    InputError,
    IntegrityError,
    NotAFile,
    ObjectNotFound,
)
from clausewatch.net import outbound
from clausewatch.net.outbound import OutboundRefused
from clausewatch.retry import Backoff, Policy
from clausewatch.settings import settings, usable_webhook_secret
from clausewatch.storage import layout
from clausewatch.storage.models import load_json
from clausewatch.storage.records import DeliveryState
from clausewatch.storage.store import Store

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)


class DeliveryIncomplete(ClausewatchError):
    """A delivery run in which some event was not delivered (failed, dead-lettered, skipped)
    or an endpoint could not be worked on."""


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

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{outbound.masked(url)} is not an http(s) URL with a host")
        return url

    @field_validator("secret")
    @classmethod
    def _usable_secret(cls, secret: str) -> str:
        if not usable_webhook_secret(secret):
            raise ValueError("not a usable Standard Webhooks secret: use whsec_ followed by base64")
        return secret

    def policy(self) -> Policy:
        """``max_attempts`` in all; waits of ``backoff_s`` doubling up to ``max_backoff_s``,
        each spread from half to one and a half times that (not "full" jitter: never 0)."""
        return Policy(
            self.max_attempts,
            Backoff(self.backoff_s, factor=2.0, max_s=self.max_backoff_s, spread=1.0),
        )

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
    s = settings()
    path = path or s.webhooks_file
    if path:
        try:
            raw = yaml.safe_load(Path(path).read_text())
            return _Config.model_validate(raw).endpoints
        except ValidationError as exc:
            raise InputError(f"webhook settings {path}: {_describe(exc)}") from None
        except (OSError, yaml.YAMLError, ValueError) as exc:
            raise InputError(f"webhook settings {path}: {_one_line(exc)}") from None
    urls = [u.strip() for u in s.webhook_urls.split(",") if u.strip()]
    secret = s.webhook_secret.get_secret_value() if s.webhook_secret else ""
    if urls and not secret:
        raise InputError("CLAUSEWATCH_WEBHOOK_URLS is set but CLAUSEWATCH_WEBHOOK_SECRET is not")
    try:
        return [Endpoint(name=generated_name(u), url=u, secret=secret) for u in urls]
    except ValidationError as exc:
        raise InputError(f"CLAUSEWATCH_WEBHOOK_URLS / _SECRET: {_describe(exc)}") from None


def generated_name(url: str) -> str:
    """The name of an endpoint given by URL only (``CLAUSEWATCH_WEBHOOK_URLS``)."""
    return "hook-" + hashlib.sha256(url.encode()).hexdigest()[:10]


def select(endpoints: list[Endpoint], wanted: str) -> list[Endpoint]:
    """The endpoints named ``wanted``, or whose URL is ``wanted`` (a trailing ``/`` aside)."""
    named = [e for e in endpoints if e.name == wanted]
    return named or [e for e in endpoints if e.url.rstrip("/") == wanted.rstrip("/")]


def _describe(exc: ValidationError, whole: str = "settings") -> str:
    """A pydantic error on one line, without the input values (they may hold secrets)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or whole}: {err['msg']}"
        for err in exc.errors(include_url=False, include_input=False)
    )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


@dataclass
class DeliveryReport:
    endpoint: str
    delivered: int = 0
    failed: int = 0  # attempts that failed (retried later, or dead-lettered)
    dead: int = 0
    waiting: int = 0
    skipped: int = 0  # log entries that are not readable events
    busy: bool = False
    error: str | None = None  # why the endpoint was not worked on (refused, unreadable state)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing failed, was dead-lettered or skipped, and the endpoint could be worked on."""
        return not (self.failed or self.dead or self.skipped or self.error)

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "ok": self.ok}


class _Unreadable(ClausewatchError):
    """An endpoint's state file cannot be parsed."""


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
        self.client = client or outbound.client()
        self.clock = clock
        self.jitter = jitter
        self.owner = uuid.uuid4().hex

    def _key(self, endpoint: Endpoint, name: str) -> str:
        return layout.webhook(endpoint.name, name)

    @staticmethod
    def refusal(endpoint: Endpoint) -> str | None:
        """Why nothing may be sent to ``endpoint`` (see :mod:`clausewatch.net.outbound`), or None."""
        why = outbound.refusal(endpoint.url, credentials=outbound.has_credentials(endpoint.url))
        return f"webhook {endpoint.name}: {why}" if why else None

    def send(self, endpoint: Endpoint, event: dict[str, Any]) -> str | None:
        """POST one event; None on success, else why it failed. Raises OutboundRefused when the
        connection is refused (the default client checks the address it connects to)."""
        body, headers = sign(endpoint, event, datetime.now(UTC))  # the time of this attempt
        try:
            response = self.client.post(
                endpoint.url,
                content=body,
                headers=headers,
                timeout=endpoint.timeout_s,
                follow_redirects=False,  # a redirect could lead to a private address
            )
        except httpx.TimeoutException:
            return f"no answer within {endpoint.timeout_s:g} s"
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:300]
        if 200 <= response.status_code < 300:
            return None
        if response.is_redirect:
            location = outbound.masked(response.headers.get("Location", ""))
            return (
                f"HTTP {response.status_code} redirect to {location!r} not followed: "
                "point the endpoint at the final URL"
            )
        return f"HTTP {response.status_code}"

    def deliver(self, endpoint: Endpoint) -> DeliveryReport:
        """Deliver what is due to one endpoint. The lease is given back whatever happens."""
        report = DeliveryReport(endpoint.name)
        if why := self.refusal(endpoint):
            report.error = why
            return report
        try:
            claimed = self._claim(endpoint)
        except ClausewatchError as exc:  # an unreadable state, the store failing
            report.error = str(exc)
            return report
        if claimed is None:
            report.busy = True
            return report
        state, token = claimed
        try:
            self._deliver(endpoint, state, token, report)
        except ClausewatchError as exc:
            # a connection refused when it was made (OutboundRefused), the store failing,
            # another deliverer taking over: the state stays as it was last saved
            report.error = (
                str(exc) if str(exc).startswith("webhook ") else f"webhook {endpoint.name}: {exc}"
            )
        finally:
            self._release(endpoint)  # also when something unforeseen is raised
        report.waiting = sum(len(q) for q in state.waiting.values())
        return report

    def _deliver(
        self, endpoint: Endpoint, state: DeliveryState, token: str | None, report: DeliveryReport
    ) -> None:
        events: dict[int, dict[str, Any]] = {}
        for document in sorted(state.waiting, key=lambda d: (state.waiting[d] or [0])[0]):
            token = self._drain(endpoint, state, token, document, events, report)
        for cursor, event in self._log(state.cursor, report):
            if event is None:  # not a readable event: skipped (the report names it)
                state.cursor = cursor
                token = self._save(endpoint, state, token)
                continue
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

    def _drain(
        self,
        endpoint: Endpoint,
        state: DeliveryState,
        token: str | None,
        document: str,
        events: dict[int, dict[str, Any]],
        report: DeliveryReport,
        save: bool = True,
    ) -> str | None:
        """Send the document's waiting events in order until one fails."""
        queue = state.waiting.get(document, [])
        due = state.next_attempt_at.get(document)
        if due is not None and due > self.clock():
            return token
        while queue:
            cursor = queue[0]
            event = events.get(cursor) or self._read(cursor, report)
            if event is None:  # the entry became unreadable while it waited: skipped
                queue.pop(0)
                self._forget(state, document)
                if save:
                    token = self._save(endpoint, state, token)
                continue
            error = self.send(endpoint, event)
            if error is None:
                queue.pop(0)
                events.pop(cursor, None)  # only events still waiting stay in memory
                state.delivered += 1
                report.delivered += 1
                self._forget(state, document)
            else:
                report.failed += 1
                report.errors.append(f"{document} #{cursor}: {error}")
                attempts = state.attempts.get(document, 0) + 1
                if endpoint.policy().gives_up(attempts):
                    self._dead_letter(endpoint, cursor, event, attempts, error)
                    queue.pop(0)
                    events.pop(cursor, None)
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
        return timedelta(seconds=endpoint.policy().delay(attempts, self.jitter))

    @staticmethod
    def _forget(state: DeliveryState, document: str) -> None:
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

    def _log(
        self, since: int, report: DeliveryReport
    ) -> Iterator[tuple[int, dict[str, Any] | None]]:
        """(cursor, event) for every log entry after ``since``; None for an unreadable one."""
        for key in self.store.backend.list(layout.EVENT_LOG, start_after=layout.event(since)):
            name = key.rsplit("/", 1)[1].removesuffix(".json")
            if name.isdigit():
                yield int(name), self._read(int(name), report)

    def _read(self, cursor: int, report: DeliveryReport) -> dict[str, Any] | None:
        """A log entry, or None (counted and named in the report) when it is not an event."""
        key = layout.event(cursor)
        try:
            event: Any = load_json(self.store.backend.read(key))
        except (ValueError, ObjectNotFound, IntegrityError, NotAFile):
            event = None
        if isinstance(event, dict) and isinstance(event.get("id"), str) and event["id"]:
            return event
        report.skipped += 1
        report.errors.append(
            f"skipped {key} in {self.store.url}: not a readable event (truncated or damaged); "
            "see `clausewatch verify`"
        )
        return None

    def _read_state(self, endpoint: Endpoint) -> tuple[DeliveryState, str | None]:
        """The endpoint's state and its version token; raises _Unreadable."""
        key = self._key(endpoint, "state.json")
        found = self.store.backend.read_versioned(key)
        if found is None:
            return DeliveryState(), None
        try:
            return DeliveryState.model_validate_json(found[0]), found[1]
        except ValueError as exc:
            reason = _describe(exc, "file") if isinstance(exc, ValidationError) else _one_line(exc)
            raise _Unreadable(
                f"webhook {endpoint.name}: state {key} in {self.store.url} is unreadable "
                f"({reason[:200]}); nothing was delivered to it. Restore the file, or delete it "
                "to deliver the whole event log again (receivers de-duplicate by webhook-id)"
            ) from None

    def _claim(self, endpoint: Endpoint) -> tuple[DeliveryState, str | None] | None:
        key = self._key(endpoint, "state.json")
        state, found_token = self._read_state(endpoint)
        now = self.clock()
        if state.lease_owner and state.lease_until and state.lease_until > now:
            return None
        state.lease_owner, state.lease_until = self.owner, now + LEASE
        token = self.store.backend.swap(key, state.model_dump_json().encode(), found_token)
        return None if token is None else (state, token)

    def _release(self, endpoint: Endpoint) -> None:
        """Give the lease back if this deliverer still holds it, keeping the state as it was
        last saved (what happened since is at most one repeated delivery). Best effort: if the
        store fails now, the lease expires on its own."""
        key = self._key(endpoint, "state.json")
        try:
            found = self.store.backend.read_versioned(key)
            if found is None:
                return
            state = DeliveryState.model_validate_json(found[0])
            if state.lease_owner != self.owner:
                return
            state.lease_owner = state.lease_until = None
            self.store.backend.swap(key, state.model_dump_json().encode(), found[1])
        except Exception:
            log.warning("could not release the delivery lease %s in %s", key, self.store.url)

    def _save(self, endpoint: Endpoint, state: DeliveryState, token: str | None) -> str | None:
        """Save the state by compare-and-swap (its new version token); while the lease is
        held, it is renewed whenever half of it has passed, so a long delivery keeps it."""
        key = self._key(endpoint, "state.json")
        now = self.clock()
        held = state.lease_owner == self.owner and state.lease_until is not None
        if held and state.lease_until is not None and state.lease_until - now < LEASE / 2:
            state.lease_until = now + LEASE
        saved = self.store.backend.swap(key, state.model_dump_json().encode(), token)
        if saved is None:
            raise InputError(f"webhook {endpoint.name}: another deliverer took over; stopping")
        return saved

    def replay(self, endpoint: Endpoint, since: int) -> DeliveryReport:
        """Send again every event after ``since`` that the endpoint wants (state untouched)."""
        report = DeliveryReport(endpoint.name)
        if why := self.refusal(endpoint):
            report.error = why
            return report
        try:
            for cursor, event in self._log(since, report):
                if event is not None and endpoint.wants(event):
                    error = self.send(endpoint, event)
                    if error is None:
                        report.delivered += 1
                    else:
                        report.failed += 1
                        report.errors.append(f"#{cursor}: {error}")
        except OutboundRefused as exc:
            report.error = f"webhook {endpoint.name}: {exc}"
        return report

    def dead_letters(self, endpoint: Endpoint) -> list[dict[str, Any]]:
        """The endpoint's dead letters (an unreadable one is listed with its key and error)."""
        letters = []
        for key in self.store.backend.list(self._key(endpoint, "dead/")):
            try:
                letter = load_json(self.store.backend.read(key))
            except (ValueError, ObjectNotFound, IntegrityError, NotAFile) as exc:
                letter = {"key": key, "error": f"unreadable dead letter: {_one_line(exc)}"}
            letters.append(letter if isinstance(letter, dict) else {"key": key, "error": "?"})
        return letters

    def status(self, endpoint: Endpoint) -> dict[str, Any]:
        """What ``deliver --list`` shows: the endpoint, its URL without credentials, what is
        pending (waiting behind failures, and log entries after its cursor not yet looked at:
        the endpoint's filters may drop some), its dead letters. Key listings only."""
        row: dict[str, Any] = {
            "endpoint": endpoint.name,
            "url": outbound.masked(endpoint.url),
            "refused": self.refusal(endpoint),
        }
        try:
            state, _ = self._read_state(endpoint)
        except _Unreadable as exc:
            return {
                **row,
                "pending": None,
                "waiting": None,
                "new": None,
                "cursor": None,
                "dead": self._count(self._key(endpoint, "dead/")),
                "error": str(exc),
            }
        waiting = sum(len(q) for q in state.waiting.values())
        new = self._count(layout.EVENT_LOG, start_after=layout.event(state.cursor))
        leased = bool(state.lease_owner and state.lease_until and state.lease_until > self.clock())
        return {
            **row,
            "pending": waiting + new,
            "waiting": waiting,
            "new": new,
            "cursor": state.cursor,
            "dead": self._count(self._key(endpoint, "dead/")),
            "delivering": leased,
            "last_errors": dict(sorted(state.last_error.items())),
            "error": None,
        }

    def _count(self, prefix: str, start_after: str | None = None) -> int:
        return sum(1 for _ in self.store.backend.list(prefix, start_after=start_after))
