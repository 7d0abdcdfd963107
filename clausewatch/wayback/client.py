"""A client for the Wayback Machine's Save Page Now 2 (SPN2) API, on httpx.

Protocol (https://docs.google.com/document/d/1Nsv52MvSjbLb2PCpHlat0gkzw0EvtSgpKHu4mk0MnrA):

- ``POST {base}/save`` with form fields ``url``, ``if_not_archived_within``,
  ``capture_screenshot``, ``skip_first_archive``; ``Accept: application/json``;
  ``Authorization: LOW {access}:{secret}`` with keys (without them the same endpoint serves
  anonymous captures, with lower limits). The answer names a ``job_id``; an answer without one
  is an error, whatever its HTTP status.
- ``GET {base}/save/status/{job_id}``: ``pending``, then ``success`` (``timestamp``,
  ``original_url``: the capture is ``{base}/web/{timestamp}/{original_url}``) or ``error``
  (``status_ext``, ``message``).
- ``GET {base}/save/status/user``: ``available`` and ``processing`` capture sessions.
- HTTP 429: too many requests; wait (``Retry-After``) before submitting anything again.

waybackpy has no SPN2, keys or timeouts, so the save client is written here; the CDX API
("was this URL captured since T?") is read directly too, with the same client and timeouts.
Every request has a timeout. The client never sleeps in a tight loop: polling backs off, and a
429 is raised to the caller, who pauses all submissions (for the ``Retry-After`` the server
asks, capped: :func:`clausewatch.retry.retry_after_s`). What is worth another try later is
marked ``transient`` in the :class:`SaveResult` (HTTP 429 and 5xx, network errors and timeouts:
:mod:`clausewatch.retry`; and the ``status_ext`` values of :data:`TRANSIENT_STATUS`); the
caller (:mod:`clausewatch.wayback.archive`) schedules the retry.

Every request is guarded (:mod:`clausewatch.net.outbound`): a base URL that is not public, or keys
over plain http, raise :class:`~clausewatch.net.outbound.OutboundRefused` unless
``CLAUSEWATCH_ALLOW_PRIVATE_URLS=1``; redirects are never followed; the default client checks
the address it connects to.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from clausewatch.errors import InputError
from clausewatch.lazy import import_lazily
from clausewatch.net import outbound
from clausewatch.retry import retry_after_s, transient_status
from clausewatch.settings import settings

if TYPE_CHECKING:
    import httpx
else:
    httpx = import_lazily("httpx")  # only archiving needs it (0.2 s to import)

DEFAULT_BASE = "https://web.archive.org"
# status_ext values worth another try later; everything else is permanent.
TRANSIENT_STATUS = frozenset(
    {
        "error:too-many-requests",
        "error:soft-time-limit-exceeded",
        "error:no-browsers-available",
        "error:user-session-limit",
        "error:celery",
        "error:gateway-timeout",
        "error:internal-server-error",
        "error:service-unavailable",
        "error:bad-gateway",
        "error:proxy-error",
        "error:browsing-timeout",
        "error:capture-location-error",
        "error:invalid-server-response",
    }
)

SaveOutcome = Literal["archived", "pending", "failed"]
ACCESS_KEY_VAR = "WAYBACK_ACCESS_KEY"
SECRET_KEY_VAR = "WAYBACK_SECRET_KEY"
# what an Authorization header may spell wherever it shows up in an error text
_LOW_AUTH = re.compile(r"LOW [^\s'\"]+")


def key_problem(value: str | None, name: str) -> str | None:
    """Why ``value`` cannot be a Wayback key (sent in an HTTP header), or None. The message
    names the variable, never the value."""
    if value is None or all("!" <= c <= "~" for c in value):
        return None
    return (
        f"{name} is not a usable key: it must be printable ASCII without spaces or line breaks "
        "(look for a trailing newline or a pasted quote; the value is not shown)"
    )


def _key(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name) or None
    if why := key_problem(value, name):
        raise InputError(why)
    return value


@dataclass(frozen=True)
class WaybackSettings:
    """Configuration; :meth:`from_env` reads the ``CLAUSEWATCH_WAYBACK*`` and key variables."""

    base_url: str = DEFAULT_BASE
    access_key: str | None = None
    secret_key: str | None = None
    enabled: bool = True
    if_not_archived_within: str = "1d"
    timeout_s: float = 30.0
    poll_interval_s: float = 5.0
    max_polls: int = 12

    @classmethod
    def from_env(cls) -> WaybackSettings:
        """Raises :class:`~clausewatch.errors.InputError` for a key that cannot be sent.
        An empty (or blank) ``CLAUSEWATCH_WAYBACK_URL`` means the default, as unset does."""
        env = os.environ
        s = settings()
        return cls(
            base_url=s.wayback_url,
            access_key=_key(env, ACCESS_KEY_VAR),
            secret_key=_key(env, SECRET_KEY_VAR),
            enabled=s.wayback,
            if_not_archived_within=s.wayback_if_not_archived_within,
            poll_interval_s=s.wayback_poll_interval,
        )


@dataclass(frozen=True)
class SaveResult:
    outcome: SaveOutcome
    job_id: str | None = None
    archive_url: str | None = None
    timestamp: str | None = None
    status_ext: str | None = None
    message: str | None = None
    transient: bool = False
    ambiguous: bool = False  # the job may exist although we saw no job_id (5xx, timeout)


class RateLimited(Exception):
    """The Wayback Machine answered 429: stop submitting until ``retry_after`` seconds pass."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Wayback Machine rate limit: retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class WaybackClient:
    """SPN2 over an injected ``httpx.Client`` (tests pass one pointed at a local server)."""

    def __init__(
        self,
        settings: WaybackSettings,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.client = client or outbound.client(settings.timeout_s)
        self.sleep = sleep

    def check(self) -> None:
        """Raise :class:`~clausewatch.net.outbound.OutboundRefused` if the base URL may not be
        reached: not public, or keys over plain http (unless CLAUSEWATCH_ALLOW_PRIVATE_URLS=1);
        :class:`~clausewatch.errors.InputError` for a key that cannot be sent in a header."""
        for value, name in (
            (self.settings.access_key, ACCESS_KEY_VAR),
            (self.settings.secret_key, SECRET_KEY_VAR),
        ):
            if why := key_problem(value, name):
                raise InputError(why)
        outbound.check(
            self.settings.base_url,
            "Wayback Machine API (CLAUSEWATCH_WAYBACK_URL)",
            credentials=bool(self.settings.access_key and self.settings.secret_key),
        )

    def redact(self, text: str) -> str:
        """``text`` without the keys, in any spelling an error message may use (raw, or
        escaped by a repr), nor anything that looks like an Authorization value: every error
        text that is stored or printed goes through here first."""
        if not text:
            return text
        for key in (self.settings.access_key, self.settings.secret_key):
            if not key:
                continue
            spellings = {
                key,
                key.strip(),
                repr(key)[1:-1],
                ascii(key)[1:-1],
                repr(key.encode("utf-8", "backslashreplace"))[2:-1],
            }
            for spelling in sorted(spellings, key=len, reverse=True):
                if len(spelling) >= 3:
                    text = text.replace(spelling, "***")
        return _LOW_AUTH.sub("LOW ***", text)

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.settings.access_key and self.settings.secret_key:
            headers["Authorization"] = f"LOW {self.settings.access_key}:{self.settings.secret_key}"
        return headers

    def _get(self, path: str, **params: str) -> httpx.Response:
        self.check()
        return self.client.get(
            self.settings.base_url + path,
            params=params or None,
            headers=self._headers(),
            timeout=self.settings.timeout_s,
            follow_redirects=False,
        )

    def available_sessions(self) -> int | None:
        """Capture sessions this user may still open (None when the server does not say)."""
        try:
            response = self._get("/save/status/user")
            if response.status_code == 429:
                raise RateLimited(_retry_after(response))
            data = response.json()
        except (httpx.HTTPError, ValueError):
            return None
        available = data.get("available") if isinstance(data, dict) else None
        return int(available) if isinstance(available, int) else None

    def submit(self, url: str, fresh: bool = False) -> SaveResult:
        """Ask for a capture; a job_id means pending. Raises RateLimited on 429.

        ``fresh`` leaves out ``if_not_archived_within``, so a recent existing snapshot is not
        accepted in place of a new one."""
        form = {"url": url, "capture_screenshot": "1", "skip_first_archive": "1"}
        if not fresh:
            form["if_not_archived_within"] = self.settings.if_not_archived_within
        self.check()
        try:
            response = self.client.post(
                self.settings.base_url + "/save",
                data=form,
                headers=self._headers(),
                timeout=self.settings.timeout_s,
                follow_redirects=False,
            )
        except httpx.TimeoutException:
            return SaveResult("failed", message="submit timed out", transient=True, ambiguous=True)
        except httpx.HTTPError as exc:
            return SaveResult(
                "failed",
                message=self.redact(f"submit failed: {type(exc).__name__}: {exc}")[:300],
                transient=True,  # a transport error (retry.is_transient): nothing else is raised
            )
        if response.status_code == 429:
            raise RateLimited(_retry_after(response))
        if response.is_redirect:
            location = outbound.masked(response.headers.get("Location", ""))
            return SaveResult(
                "failed",
                message=f"HTTP {response.status_code} redirect to {location!r} not followed: "
                "check CLAUSEWATCH_WAYBACK_URL",
                transient=True,
            )
        if transient_status(response.status_code):  # 5xx (429 is handled above)
            return SaveResult(
                "failed",
                message=f"HTTP {response.status_code} on submit",
                transient=True,
                ambiguous=True,
            )
        data = _json(response)
        job_id = data.get("job_id")
        if not job_id:
            return _error(data, f"HTTP {response.status_code} without a job_id")
        return SaveResult("pending", job_id=str(job_id))

    def poll(self, job_id: str, heartbeat: Callable[[], None] | None = None) -> SaveResult:
        """Follow a job with backoff until it succeeds, fails, or ``max_polls`` run out;
        ``heartbeat`` is called after each wait (the caller renews its claim there).

        Polling, not retrying: the waits (``poll_interval_s``, then 1.5 times longer each
        time, at most 60 s) are for a job that is not done yet; a failed or 5xx status read
        just counts as one poll, and a 429 is raised."""
        delay = self.settings.poll_interval_s
        for attempt in range(self.settings.max_polls):
            if attempt:
                self.sleep(delay)
                delay = min(delay * 1.5, 60.0)
                if heartbeat is not None:
                    heartbeat()
            try:
                response = self._get(f"/save/status/{job_id}")
            except httpx.HTTPError:
                continue  # a slow or failed status read: the job goes on, ask again
            if response.status_code == 429:
                raise RateLimited(_retry_after(response))
            if transient_status(response.status_code):  # 5xx: ask again
                continue
            data = _json(response)
            status = data.get("status")
            if status == "success":
                timestamp, original = (
                    str(data.get("timestamp", "")),
                    str(data.get("original_url", "")),
                )
                return SaveResult(
                    "archived",
                    job_id=job_id,
                    timestamp=timestamp,
                    archive_url=f"{self.settings.base_url}/web/{timestamp}/{original}",
                )
            if status == "error":
                return _error(data, "capture failed", job_id)
        return SaveResult("pending", job_id=job_id)

    def captured_since(self, url: str, since: datetime) -> SaveResult | None:
        """The newest capture of ``url`` since ``since`` (CDX API), or None."""
        stamp = since.astimezone(UTC).strftime("%Y%m%d%H%M%S")
        try:
            response = self._get(
                "/cdx/search/cdx", url=url, output="json", limit="-1", **{"from": stamp}
            )
            rows = response.json() if response.status_code == 200 else []
        except (httpx.HTTPError, ValueError):
            return None
        if not isinstance(rows, list) or len(rows) < 2:
            return None
        header, newest = rows[0], rows[-1]
        row = dict(zip(header, newest, strict=False))
        timestamp, original = row.get("timestamp"), row.get("original", url)
        if not timestamp:
            return None
        return SaveResult(
            "archived",
            timestamp=timestamp,
            archive_url=f"{self.settings.base_url}/web/{timestamp}/{original}",
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {"message": response.text[:300]}
    return data if isinstance(data, dict) else {}


def _error(data: dict[str, Any], fallback: str, job_id: str | None = None) -> SaveResult:
    status_ext = data.get("status_ext")
    message = str(data.get("message") or fallback)[:500]
    # an error without a status_ext (HTTP 200 with only a message) is retried later
    transient = status_ext in TRANSIENT_STATUS or not status_ext
    return SaveResult(
        "failed", job_id=job_id, status_ext=status_ext, message=message, transient=transient
    )


def _retry_after(response: httpx.Response) -> float:
    return retry_after_s(response.headers.get("Retry-After"))
