"""A stand-in service for the devstack tests, using only the standard library.

``python -m fake_service migrate|serve|hello [--greeting TEXT]``. It finds its
own name by matching ``HELPDESK_HTTP_PORT`` against the ``HELPDESK_<NAME>_URL``
variables the launcher sets. Knobs (environment variables, value = a name):

- ``FAKE_RECORD``: a file each command appends ``<name> <command>`` to;
- ``FAKE_FAIL_MIGRATE``: that service's ``migrate`` fails;
- ``FAKE_NEVER_READY``: that service's ``/readyz`` answers 503;
- ``FAKE_IGNORE_SIGTERM``: that service ignores SIGTERM.

``GET /deps`` answers whether the servers of its ``HELPDESK_DATABASE_URL``,
``HELPDESK_NATS_URL`` and ``HELPDESK_REDIS_URL`` accept a connection now (a real
service reconnects the same way: to the same address, whenever it is asked).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def own_name() -> str:
    port = os.environ["HELPDESK_HTTP_PORT"]
    for key, value in os.environ.items():
        if (
            key.startswith("HELPDESK_")
            and key.endswith("_URL")
            and key != "HELPDESK_PUBLIC_URL"
            and value == f"http://127.0.0.1:{port}"
        ):
            return key.removeprefix("HELPDESK_").removesuffix("_URL").lower()
    raise SystemExit(f"no HELPDESK_<NAME>_URL matches port {port}")


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def record(name: str, command: str) -> None:
    path = os.environ.get("FAKE_RECORD")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{name} {command}\n")


def dependencies() -> dict[str, str]:
    keys = {"database": "HELPDESK_DATABASE_URL", "nats": "HELPDESK_NATS_URL", "redis": "HELPDESK_REDIS_URL"}
    return {name: os.environ[key] for name, key in keys.items() if os.environ.get(key)}


def reachable(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=2):
            return True
    except OSError:
        return False


class Handler(BaseHTTPRequestHandler):
    name = ""

    def do_GET(self) -> None:
        if self.path == "/readyz":
            ready = os.environ.get("FAKE_NEVER_READY") != self.name
            self.reply(200 if ready else 503, {"ready": ready})
        elif self.path == "/deps":
            self.reply(200, {key: reachable(url) for key, url in dependencies().items()})
        elif self.path == "/env":
            env = {k: v for k, v in os.environ.items() if k.startswith("HELPDESK_")}
            self.reply(200, {"name": self.name, "pid": os.getpid(), "env": env})
        else:
            self.reply(404, {"error": "not found"})

    def reply(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"{self.name}: {format % args}\n")


def serve(name: str) -> None:
    if os.environ.get("FAKE_IGNORE_SIGTERM") == name:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    grpc = None
    if "HELPDESK_GRPC_PORT" in os.environ:  # stands in for a gRPC server
        grpc = socket.create_server(("127.0.0.1", int(os.environ["HELPDESK_GRPC_PORT"])))
    Handler.name = name
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["HELPDESK_HTTP_PORT"])), Handler)
    say(f"{name} serving")
    try:
        server.serve_forever()
    finally:
        server.server_close()
        if grpc is not None:
            grpc.close()
        say(f"{name} stopped")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["migrate", "serve", "hello"])
    parser.add_argument("--greeting", default="hello")
    args = parser.parse_args()
    name = own_name()
    record(name, args.command)
    if args.command == "migrate":
        if os.environ.get("FAKE_FAIL_MIGRATE") == name:
            sys.stderr.write(f"{name}: migration boom\n")
            raise SystemExit(3)
        say(f"{name} migrated")
    elif args.command == "hello":
        say(f"{args.greeting} from {name}")
    else:
        serve(name)


if __name__ == "__main__":
    main()
