"""A local server speaking the Wayback Machine's Save Page Now 2 protocol, failures included.

What it does with a submitted URL depends on a word in the URL's path:

    ok            a job that is pending for two polls, then succeeds
    rate          HTTP 429 with Retry-After: 120 the first time, then as `ok`
    transient     the first job fails with error:no-browsers-available, the next succeeds
    blocked       the job fails with error:blocked-url (permanent)
    nojob         HTTP 200 with an error message and no job_id
    created-5xx   the capture is made (it shows in CDX) but the submit answers 502
    slow          the capture is made, but the answer comes after 2 s
    hang          the job stays pending until `finish(job_id)` is called
    rate-poll     a job is made, but the first status poll answers 429
    old           with if_not_archived_within: success with a snapshot two days old;
                  without it: a fresh capture
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Job:
    url: str
    polls_left: int
    outcome: str  # "success" | "error" | "hang"
    status_ext: str | None = None


@dataclass
class FakeWayback:
    submissions: list[str] = field(default_factory=list)
    windows: list[str | None] = field(default_factory=list)  # if_not_archived_within per submit
    rate_limited_polls: int = 0
    authorizations: list[str | None] = field(default_factory=list)
    jobs: dict[str, Job] = field(default_factory=dict)
    cdx: dict[str, list[str]] = field(default_factory=dict)
    available: int = 5
    requests: list[str] = field(default_factory=list)  # "METHOD path" of every request
    # errors while answering (a client that went away mid-answer, e.g. a killed archiver):
    # kept here, never printed, so they cannot land in another test's captured output
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def finish(self, job_id: str) -> None:
        with self.lock:
            self.jobs[job_id].outcome, self.jobs[job_id].polls_left = "success", 0

    def _capture(self, url: str) -> str:
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        self.cdx.setdefault(url, []).append(stamp)
        return stamp

    def submit(
        self, url: str, auth: str | None, window: str | None = None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self.lock:
            self.submissions.append(url)
            self.windows.append(window)
            self.authorizations.append(auth)
            kind = next(
                (
                    k
                    for k in (
                        "transient",
                        "blocked",
                        "nojob",
                        "created-5xx",
                        "slow",
                        "hang",
                        "rate-poll",
                        "rate",
                        "old",
                        "ok",
                    )
                    if f"/{k}" in url
                ),
                "ok",
            )
            if kind == "rate" and self.submissions.count(url) == 1:
                return 429, {"message": "Too many requests"}, {"Retry-After": "120"}
            if kind == "nojob":
                return 200, {"message": "You cannot make more than 5 captures per minute."}, {}
            if kind in ("created-5xx", "slow"):
                self._capture(url)
                return (502 if kind == "created-5xx" else 200), {"job_id": "never-seen"}, {}
            job_id = uuid.uuid4().hex
            earlier = sum(1 for u in self.submissions if u == url)
            if kind == "transient" and earlier == 1:
                self.jobs[job_id] = Job(url, 1, "error", "error:no-browsers-available")
            elif kind == "blocked":
                self.jobs[job_id] = Job(url, 0, "error", "error:blocked-url")
            elif kind == "hang":
                self.jobs[job_id] = Job(url, 10**9, "hang")
            elif kind == "old" and window:
                self.jobs[job_id] = Job(url, 0, "old")
            elif kind == "rate-poll":
                self.jobs[job_id] = Job(url, 0, "rate-poll")
            else:
                self.jobs[job_id] = Job(url, 2, "success")
            return 200, {"url": url, "job_id": job_id}, {}

    def status(self, job_id: str) -> dict[str, Any] | None:
        """The job's status; None means: answer 429."""
        with self.lock:
            job = self.jobs.get(job_id)
            if job is not None and job.outcome == "rate-poll" and self.rate_limited_polls == 0:
                self.rate_limited_polls += 1
                return None
            if job is not None and job.outcome == "old":
                old = time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() - 2 * 86400))
                return {
                    "status": "success",
                    "job_id": job_id,
                    "original_url": job.url,
                    "timestamp": old,
                }
            if job is None:
                return {
                    "status": "error",
                    "status_ext": "error:not-found",
                    "message": "no such job",
                }
            if job.polls_left > 0 or job.outcome == "hang":
                job.polls_left -= 1
                return {"status": "pending", "job_id": job_id}
            if job.outcome == "error":
                return {"status": "error", "status_ext": job.status_ext, "message": job.status_ext}
            return {
                "status": "success",
                "job_id": job_id,
                "original_url": job.url,
                "timestamp": self._capture(job.url),
            }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        fake = self.server.fake
        fake.requests.append(f"POST {self.path}")
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        url = form.get("url", [""])[0]
        window = form.get("if_not_archived_within", [None])[0]
        status, body, headers = fake.submit(url, self.headers.get("Authorization"), window)
        if "/slow" in url:
            time.sleep(2)
        self._send(status, body, headers)

    def do_GET(self) -> None:
        fake = self.server.fake
        fake.requests.append(f"GET {self.path}")
        parsed = urlparse(self.path)
        if parsed.path == "/save/status/user":
            self._send(200, {"available": fake.available, "processing": 0})
        elif parsed.path.startswith("/save/status/"):
            answer = fake.status(parsed.path.rsplit("/", 1)[1])
            if answer is None:
                self._send(429, {"message": "Too many requests"}, {"Retry-After": "60"})
            else:
                self._send(200, answer)
        elif parsed.path == "/cdx/search/cdx":
            url = parse_qs(parsed.query).get("url", [""])[0]
            stamps = fake.cdx.get(url, [])
            rows = [["urlkey", "timestamp", "original"]] + [[url, s, url] for s in stamps]
            self._send(200, rows if stamps else [])
        else:
            self._send(404, {"message": "not found"})


class _Server(ThreadingHTTPServer):
    fake: FakeWayback
    # server_close() waits for the requests in flight (at most the 2 s of a "/slow" one), so
    # none outlives its test
    daemon_threads = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.fake.errors.append(f"{client_address}: {sys.exc_info()[1]!r}")


def serve() -> tuple[_Server, FakeWayback]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = FakeWayback()
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server, server.fake
