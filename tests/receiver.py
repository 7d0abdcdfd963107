"""A real webhook receiver on 127.0.0.1 that verifies Standard Webhooks signatures."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass
class Receiver:
    secret: str
    fail_first: int = 0  # answer 503 to this many deliveries first
    delay_s: float = 0.0  # answer this late
    received: list[dict[str, Any]] = field(default_factory=list)  # verified deliveries, in order
    rejected: int = 0
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        with self.lock:
            self.attempts += 1
            if self.attempts <= self.fail_first:
                return 503
        if self.delay_s:
            time.sleep(self.delay_s)
        try:
            event = Webhook(self.secret).verify(body, headers)
        except Exception:
            with self.lock:
                self.rejected += 1
            return 401
        with self.lock:
            self.received.append(event)
        return 204

    def ids(self) -> list[str]:
        return [e["id"] for e in self.received]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status = self.server.receiver.handle(body, {k.lower(): v for k, v in self.headers.items()})
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    receiver: Receiver
    daemon_threads = True


def start(receiver: Receiver, port: int = 0) -> _Server:
    server = _Server(("127.0.0.1", port), _Handler)
    server.receiver = receiver
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


def decode(event: Any) -> dict[str, Any]:
    return event if isinstance(event, dict) else json.loads(event)
