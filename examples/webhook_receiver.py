#!/usr/bin/env python3
"""A Helpdesk webhook receiver: checks each request's signature, drops events it has
already seen (by their ``id``), and prints each new event as one JSON line. Standard
library only; docs/webhooks.md explains what it checks, tests/e2e/test_webhooks.py runs it.

    python3 examples/webhook_receiver.py --port 8088 --secret "$WEBHOOK_SECRET" [--out events.jsonl]

Answers 204 to an event it took (or had taken before: Helpdesk retries until it hears a
2xx, so a duplicate is normal and must not be processed twice) and 401 to a request
whose signature is missing, wrong or older than five minutes. A real receiver would keep
the ids it has seen in its database, in the same transaction as what it does with the event.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO

TOLERANCE_SECONDS = 300  # the replay window: a captured request is refused after it


def verify(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """Whether ``Helpdesk-Signature: t=<unix>,v1=<hex>`` signs ``body`` with ``secret``, recently."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        stamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    # Several v1 values may come while a secret is being changed: any one that matches will do.
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


class Receiver:
    """The events taken so far (by id) and where each new one is written."""

    def __init__(self, secret: str, out: IO[str]) -> None:
        self.secret = secret
        self.out = out
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def take(self, body: bytes) -> bool:
        """Records the event; False when it was taken before."""
        event = json.loads(body)
        with self.lock:
            if event["id"] in self.seen:
                return False
            self.seen.add(event["id"])
            self.out.write(json.dumps(event) + "\n")
            self.out.flush()
            return True


def handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not verify(receiver.secret, self.headers.get("Helpdesk-Signature", ""), body):
                self.send_response(401)
                self.end_headers()
                return
            receiver.take(body)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write("webhook_receiver: " + (format % args) + "\n")

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--out", help="append events here (default: standard output)")
    args = parser.parse_args()
    out = open(args.out, "a", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    if args.out:  # events taken before a restart are not taken again
        with open(args.out, encoding="utf-8") as previous:
            seen = {json.loads(line)["id"] for line in previous if line.strip()}
    else:
        seen = set()
    receiver = Receiver(args.secret, out)
    receiver.seen |= seen
    server = ThreadingHTTPServer((args.host, args.port), handler_for(receiver))
    sys.stderr.write(f"webhook_receiver: listening on http://{args.host}:{args.port}/\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
