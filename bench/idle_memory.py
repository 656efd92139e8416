"""Resident memory of each service when idle, and identity's after the first sign-in.

    .venv/bin/python bench/idle_memory.py              # RSS 30 s after the stack is ready
    .venv/bin/python bench/idle_memory.py --sign-in    # then once more, 10 s after a sign-in

Starts a stack of its own (durable PostgreSQL, as bench/create_tickets.py does), makes no
request, waits, and prints each service's RSS (psutil) in MB, largest first. With
``--sign-in`` the administrator then signs in once (argon2id at identity) and the RSS is
read again. A benchmark, not a test: it asserts nothing and is never run by `make test`.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("gateway", "identity", "tickets", "sla", "notify", "realtime", "portal", "mailin")


def rss_by_service() -> dict[str, float]:
    """MB resident per service, among this process's descendants only (other stacks on the
    machine are someone else's)."""
    found: dict[str, float] = {}
    for p in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(p.cmdline())
            for svc in SERVICES:
                if f"helpdesk_{svc} serve" in cmd:
                    found[svc] = found.get(svc, 0.0) + p.memory_info().rss / 2**20
        except psutil.Error:
            continue
    return found


def line(label: str, rss: dict[str, float]) -> str:
    cells = "  ".join(f"{svc} {mb:6.1f}" for svc, mb in sorted(rss.items(), key=lambda kv: -kv[1]))
    return f"{label:<14} {cells}"


def sign_in(url: str, password: str) -> None:
    body = json.dumps({"login": "system", "password": password}).encode()
    request = urllib.request.Request(
        f"{url}/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wait", type=float, default=30.0, help="seconds idle before reading")
    parser.add_argument("--sign-in", action="store_true", help="then sign in once and read again")
    args = parser.parse_args()
    from helpdesk_devstack.stack import Stack

    password = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        stack = Stack(
            ROOT / "devstack.toml",
            Path(tmp),
            durable=True,
            env={"HELPDESK_ADMIN_PASSWORD": password},
            ready_timeout=180.0,
        )
        stack.start()
        try:
            time.sleep(args.wait)
            print(line("idle", rss_by_service()), flush=True)
            if args.sign_in:
                sign_in(stack.gateway_url, password)
                time.sleep(10.0)
                print(line("after sign-in", rss_by_service()), flush=True)
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
