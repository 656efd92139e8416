"""Composition root of the realtime service: builds and runs its parts."""

from __future__ import annotations

from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.identity.v1 import identity_pb2_grpc

from helpdesk_kit.http import create_app, http_server
from helpdesk_kit.rpc import channel
from helpdesk_kit.runtime import start_process
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_realtime import api
from helpdesk_realtime.config import Settings
from helpdesk_realtime.events import NOTIFICATION_CREATED, on_notification
from helpdesk_realtime.hub import Hub

SERVICE = "realtime"


async def serve(settings: Settings) -> None:
    life = start_process(service=SERVICE, settings=settings)
    nc, _ = await life.open_nats(settings.nats_url, name=SERVICE)
    identity = channel(settings.identity_addr, deadline=settings.rpc_deadline_seconds)
    life.on_stop(identity.close)
    stub = identity_pb2_grpc.IdentityStub(identity)

    async def fetch_keys() -> dict[str, bytes]:
        resp = await stub.GetVerificationKeys(id_pb.GetVerificationKeysRequest())
        return {k.key_id: k.public_key_pem for k in resp.keys}

    hub = Hub(queue_size=settings.socket_queue_size)
    await nc.subscribe(NOTIFICATION_CREATED, cb=on_notification(hub))

    async def nats_connected() -> bool:
        return bool(nc.is_connected)

    app = create_app(service=SERVICE, readiness={"nats": nats_connected})
    api.add_routes(app, hub=hub, verifier=TokenVerifier(fetch_keys))
    life.serve_http(http_server(app, port=settings.http_port))
    await life.run_until_stopped()


async def migrate(settings: Settings) -> None:
    """Realtime keeps nothing durable: there is nothing to migrate."""
