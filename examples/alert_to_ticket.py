#!/usr/bin/env python3
"""A monitoring alert becomes a ticket, once: the alert's id is the ``Idempotency-Key``,
so a monitoring system that fires the same alert again (or retries after a timeout)
gets the ticket the first call made instead of a second one. Standard library only;
docs/api.md walks through it, tests/e2e/test_integrators.py runs it.

    python3 examples/alert_to_ticket.py BASE_URL TOKEN UNIT_ID ALERT_ID SUMMARY [DETAILS]

TOKEN: a personal API token (``hd_…``, made at /api/v1/me/tokens). Prints the ticket as
one JSON line. A 429 is waited out (``Retry-After``) and the call repeated.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from typing import Any

MAX_TRIES = 5


def call(method: str, url: str, token: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    """One API call; over a rate limit it waits as long as the answer says and tries again."""
    data = json.dumps(body).encode() if body is not None else None
    for _ in range(MAX_TRIES):
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {token}")
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            if error.code != 429:
                raise SystemExit(f"{method} {url}: {error.code} {error.read().decode()}") from error
            time.sleep(int(error.headers.get("Retry-After", "1")))
    raise SystemExit(f"{method} {url}: still rate-limited after {MAX_TRIES} tries")


def file_alert(base_url: str, token: str, unit_id: int, alert_id: str, summary: str, details: str) -> Any:
    return call(
        "POST",
        base_url.rstrip("/") + "/api/v1/tickets",
        token,
        {"subject": summary, "body": details, "priority": "high", "unit_id": unit_id},
        # Same alert, same key: one ticket however often it fires within 24 hours.
        headers={"Idempotency-Key": f"alert-{alert_id}"},
    )


def main(argv: list[str]) -> None:
    if len(argv) not in (6, 7):
        raise SystemExit(__doc__)
    base_url, token, unit_id, alert_id, summary = argv[1:6]
    details = argv[6] if len(argv) == 7 else ""
    ticket = file_alert(base_url, token, int(unit_id), alert_id, summary, details)
    print(json.dumps({"id": ticket["id"], "version": ticket["version"], "subject": ticket["subject"]}))


if __name__ == "__main__":
    main(sys.argv)
