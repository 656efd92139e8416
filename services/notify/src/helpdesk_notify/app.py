"""Composition root of the notify service: builds and runs its parts."""

from __future__ import annotations

from pathlib import Path

from helpdesk.identity.v1 import identity_pb2_grpc
from helpdesk.notify.v1 import notify_pb2_grpc

from helpdesk_kit.http import create_app, http_server
from helpdesk_kit.inbox import Consumer
from helpdesk_kit.outbox import OutboxRelay
from helpdesk_kit.rpc import GrpcServer, channel
from helpdesk_kit.runtime import start_process
from helpdesk_notify.config import Settings
from helpdesk_notify.directory import IdentityDirectory
from helpdesk_notify.events import routes
from helpdesk_notify.rpc import NotifyService
from helpdesk_notify.usecases import SERVICE

MIGRATIONS = Path(__file__).parent / "migrations"


async def serve(settings: Settings) -> None:
    life = start_process(service=SERVICE, settings=settings)
    db = await life.open_database(
        settings.database_url, schema=SERVICE, pool_size=settings.database_pool_size
    )
    nc, js = await life.open_nats(settings.nats_url, name=SERVICE)
    life.run_relay(OutboxRelay(db=db, js=js, service=SERVICE))

    identity = channel(settings.identity_addr, deadline=settings.rpc_deadline_seconds)
    life.on_stop(identity.close)
    directory = IdentityDirectory(identity_pb2_grpc.IdentityStub(identity))
    life.run_consumer(
        Consumer(
            name="notify-tickets",
            db=db,
            js=js,
            source_service="tickets",
            routes=routes(directory),
            max_deliveries=settings.consumer_max_deliveries,
        )
    )

    grpc_server = GrpcServer(port=settings.grpc_port, service_names=["helpdesk.notify.v1.Notify"])
    notify_pb2_grpc.add_NotifyServicer_to_server(NotifyService(db=db), grpc_server.server)
    await life.serve_grpc(grpc_server, grace=settings.shutdown_grace_seconds)

    async def nats_connected() -> bool:
        return bool(nc.is_connected)

    app = create_app(service=SERVICE, readiness={"database": db.ping, "nats": nats_connected})
    life.serve_http(http_server(app, port=settings.http_port))
    await life.run_until_stopped()


async def migrate(settings: Settings) -> None:
    # Alembic and the ORM cost seconds to import: only the migrate command pays for them.
    from helpdesk_kit.migrations import upgrade

    await upgrade(database_url=settings.database_url, schema=SERVICE, script_location=MIGRATIONS)
