"""examples/zenlix_client.py — an integration written for ZENLIX, plain HTTP POSTs — runs
unchanged against the gateway served over real HTTP."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from helpdesk_devstack.servers import free_port
from helpdesk_kit.http import http_server

from .conftest import Desk

SCRIPT = Path(__file__).parents[2] / "examples" / "zenlix_client.py"


async def test_the_example_zenlix_client_files_and_follows_a_ticket(desk: Desk) -> None:
    unit_name = "Hosting"
    unit = await desk.unit(unit_name)
    monitoring = await desk.user("Monitoring Bot Service", unit_ids=[unit], key=False)
    client = await desk.user("Datacenter Owner Team", kind="client", key=False)
    port = free_port()
    server = http_server(desk.app, port=port)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn only offers a flag
            await asyncio.sleep(0.05)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPT),
            f"http://127.0.0.1:{port}",
            monitoring.login,
            monitoring.password,
            client.login,
            unit_name,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    finally:
        server.should_exit = True
        await serving
    assert proc.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert lines[0] == "signed in as Monitoring Bot Service (Bot)"
    assert "status=free prio=2" in lines[2]
    assert lines[3] == "comments: 1, last: 'now at 97%'"
    assert lines[4] == "locked: was free, may now unlock,ok"
    assert lines[5] == "done: was lock_by_me, may now un_ok"
    assert lines[6].startswith("ticket #") and " is ok_by_me since 20" in lines[6]
