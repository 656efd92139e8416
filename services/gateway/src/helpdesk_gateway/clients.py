"""The gateway's gRPC clients of the other services, one channel each."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from helpdesk.identity.v1 import identity_pb2_grpc
from helpdesk.notify.v1 import notify_pb2_grpc
from helpdesk.portal.v1 import portal_pb2_grpc
from helpdesk.tickets.v1 import tickets_pb2_grpc

from helpdesk_gateway.cache import Expiring
from helpdesk_gateway.config import Settings
from helpdesk_kit.rpc import channel
from helpdesk_kit.trust import Mesh, identity_keys


@dataclass
class Clients:
    channels: dict[str, grpc.aio.Channel]
    identity: identity_pb2_grpc.IdentityAsyncStub
    tickets: tickets_pb2_grpc.TicketsAsyncStub
    notify: notify_pb2_grpc.NotifyAsyncStub
    portal: portal_pb2_grpc.PortalAsyncStub
    settings: Settings
    # user id → full name for tickets responses; a renamed user shows the new name within a minute.
    names: Expiring = field(default_factory=lambda: Expiring(ttl=60.0, size=50_000))
    # Whether the portal is switched on, as the portal last said (api/portal.py).
    portal_switch: Expiring = field(default_factory=lambda: Expiring(ttl=2.0, size=1))

    @classmethod
    def connect(cls, settings: Settings) -> Clients:
        deadline = settings.rpc_deadline_seconds
        mesh = Mesh.from_settings(settings, service="gateway")
        addresses = {
            "identity": settings.identity_addr,
            "tickets": settings.tickets_addr,
            "notify": settings.notify_addr,
            "sla": settings.sla_addr,
            "portal": settings.portal_addr,
        }
        if settings.mailin_addr:
            addresses["mailin"] = settings.mailin_addr
        chans = {
            name: channel(addr, service=name, mesh=mesh, deadline=deadline)
            for name, addr in addresses.items()
        }
        return cls(
            channels=chans,
            identity=identity_pb2_grpc.IdentityStub(chans["identity"]),
            tickets=tickets_pb2_grpc.TicketsStub(chans["tickets"]),
            notify=notify_pb2_grpc.NotifyStub(chans["notify"]),
            portal=portal_pb2_grpc.PortalStub(chans["portal"]),
            settings=settings,
        )

    async def fetch_keys(self) -> dict[str, bytes]:
        return await identity_keys(self.channels["identity"])()

    async def close(self) -> None:
        for ch in self.channels.values():
            await ch.close()
