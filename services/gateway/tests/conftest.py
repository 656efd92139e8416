"""Fixtures of the gateway's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from helpdesk_devstack.servers import free_port
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.config import Settings


@pytest.fixture
async def offline_clients() -> AsyncIterator[Clients]:
    """The gateway's clients aimed at a free port: for building the app, its route table and
    its document, which call no service."""
    nobody = f"127.0.0.1:{free_port()}"
    clients = Clients.connect(
        Settings(
            identity_addr=nobody,
            tickets_addr=nobody,
            sla_addr=nobody,
            notify_addr=nobody,
            portal_addr=nobody,
            grpc_insecure=True,
        )
    )
    try:
        yield clients
    finally:
        await clients.close()
