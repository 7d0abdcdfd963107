"""A downstream consumer of clausewatch webhooks: verify, de-duplicate, process.

Run it with `python docs/consumer_example.py` (port 8080) and point clausewatch at it:
CLAUSEWATCH_WEBHOOK_URLS=http://127.0.0.1:8080/ CLAUSEWATCH_WEBHOOK_SECRET=whsec_...
The test suite runs this file against signed deliveries (tests/test_docs.py).
"""

import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

SECRET = os.environ.get("CLAUSEWATCH_WEBHOOK_SECRET", "")
seen: set[str] = set()  # use a database table with a unique key in production


def handle(body: bytes, headers: dict[str, str]) -> int:
    try:
        Webhook(SECRET).verify(body, headers)  # signature and timestamp (5-minute tolerance)
    except WebhookVerificationError:
        return 401  # not from our clausewatch: reject
    event = json.loads(body)
    if event["id"] in seen:
        return 204  # a retry of something already processed
    seen.add(event["id"])
    if event["type"] == "dev.clausewatch.document.changed":
        data = event["data"]
        print(f"{data['document']['title']} changed ({data['change_class']}):")
        for clause in data["clauses"]:
            print(f"  {clause['change']} {clause['clause']}: {words(clause)}")
    return 204


def words(clause: dict) -> str:
    """A modified clause's word diff (a list of operations) as text; others as their text."""
    if clause["word_ops"] is None:
        return clause["after"] or clause["before"]
    marks = {"equal": "{}", "delete": "(removed: {})", "insert": "(added: {})"}
    return " ".join(marks[op["op"]].format(op["text"]) for op in clause["word_ops"])


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(handle(body, {k.lower(): v for k, v in self.headers.items()}))
        self.end_headers()


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 8080), Handler).serve_forever()
