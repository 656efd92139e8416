#!/usr/bin/env python3
"""Keeps a copy of the tickets a user sees: the first run reads every ticket updated
since a date, each later run only what changed since the run before. The cursor the
API answered last is kept in a file; ``updated_since`` is only for the very first page.
Standard library only; docs/api.md § Syncing tickets explains the feed,
tests/e2e/test_integrators.py runs it.

    python3 examples/sync_tickets.py BASE_URL TOKEN STATE_FILE [SINCE]

SINCE: RFC 3339 (default 1970-01-01T00:00:00Z). Prints each changed ticket as one JSON
line (a ticket changed twice may come twice: keep the one with the higher version).
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

PAGE = 100


def get(url: str, token: str) -> Any:
    """A GET; over a rate limit it waits ``Retry-After`` seconds and asks again."""
    while True:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                # Slow down before the limit is hit rather than after.
                if response.headers.get("RateLimit-Remaining") == "0":
                    time.sleep(int(response.headers.get("RateLimit-Reset", "1")))
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code != 429:
                raise SystemExit(f"GET {url}: {error.code} {error.read().decode()}") from error
            time.sleep(int(error.headers.get("Retry-After", "1")))


def sync(base_url: str, token: str, state: Path, since: str) -> int:
    """Reads the feed from where the last run ended to where it stands now; the number of
    tickets read."""
    cursor = state.read_text().strip() if state.exists() else ""
    read = 0
    while True:
        query = {"limit": PAGE, "sort": "updated_at"}
        query.update({"cursor": cursor} if cursor else {"updated_since": since})
        page = get(f"{base_url.rstrip('/')}/api/v1/tickets?{urllib.parse.urlencode(query)}", token)
        for ticket in page["items"]:
            keep = ("id", "version", "state", "subject", "updated_at")
            print(json.dumps({k: ticket[k] for k in keep}), flush=True)
        read += len(page["items"])
        cursor = page["next_cursor"]  # never null in the feed: where to go on from
        state.write_text(cursor)  # saved after each page: a crash re-reads at most one page
        if len(page["items"]) < PAGE:
            return read  # caught up, for now


def main(argv: list[str]) -> None:
    if len(argv) not in (4, 5):
        raise SystemExit(__doc__)
    base_url, token, state = argv[1], argv[2], Path(argv[3])
    since = argv[4] if len(argv) == 5 else "1970-01-01T00:00:00Z"
    sync(base_url, token, state, since)


if __name__ == "__main__":
    main(sys.argv)
