#!/usr/bin/env python3
"""Listens on the WebSocket ``/ws`` as a program: a personal API token in the
``Authorization`` header (no ``Origin``), the events of the tickets its user sees as
JSON lines on standard output. Reconnects after a drop and resumes from the last event
id it saw (``resume_from``); stops for good when the token is refused or revoked.
Needs ``websockets`` (pip install websockets); docs/api.md shows it,
tests/e2e/test_integrators.py runs it.

    python3 examples/listen_events.py BASE_URL TOKEN [COUNT]

COUNT: exit after that many events (default: run until stopped).
"""

from __future__ import annotations

import asyncio
import json
import sys

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

POLICY_VIOLATION = 1008  # refused or revoked: reconnecting will not help


async def listen(base_url: str, token: str, count: int | None) -> None:
    url = base_url.replace("https://", "wss://").replace("http://", "ws://").rstrip("/") + "/ws"
    last_event: int | None = None
    seen = 0
    while True:
        target = url if last_event is None else f"{url}?resume_from={last_event}"
        try:
            async with websockets.connect(
                target, additional_headers={"Authorization": f"Bearer {token}"}
            ) as ws:
                async for text in ws:
                    message = json.loads(text)
                    print(json.dumps(message), flush=True)
                    if "event_id" in message:
                        last_event = message["event_id"]
                        seen += 1
                        if count is not None and seen >= count:
                            return
        except InvalidStatus as refused:
            raise SystemExit(f"refused: {refused.response.status_code}") from refused
        except ConnectionClosed as closed:
            if closed.rcvd is not None and closed.rcvd.code == POLICY_VIOLATION:
                raise SystemExit(f"closed: {closed.rcvd.reason}") from closed
        await asyncio.sleep(1)  # a restart or a network drop: connect again and resume


def main(argv: list[str]) -> None:
    if len(argv) not in (3, 4):
        raise SystemExit(__doc__)
    asyncio.run(listen(argv[1], argv[2], int(argv[3]) if len(argv) == 4 else None))


if __name__ == "__main__":
    main(sys.argv)
