"""Composition root of the portal service: builds and runs its parts."""

from __future__ import annotations

from pathlib import Path

from helpdesk.identity.v1 import identity_pb2_grpc
from helpdesk.portal.v1 import portal_pb2_grpc

from helpdesk_kit.config import DatabaseSettings
from helpdesk_kit.http import create_app, http_server
from helpdesk_kit.ops import OPS_SERVICE, mount_ops
from helpdesk_kit.outbox import OutboxRelay
from helpdesk_kit.rpc import GrpcServer, channel
from helpdesk_kit.runtime import start_process
from helpdesk_kit.trust import Mesh, identity_keys, passport_verifier
from helpdesk_portal.config import Settings
from helpdesk_portal.directory import IdentityDirectory
from helpdesk_portal.events import SERVICE
from helpdesk_portal.rpc import PortalService

MIGRATIONS = Path(__file__).parent / "migrations"


async def serve(settings: Settings) -> None:
    life = start_process(service=SERVICE, settings=settings)
    db = await life.open_database(
        settings.database_url, schema=SERVICE, pool_size=settings.database_pool_size
    )
    _, js = await life.open_nats(settings.nats_url, name=SERVICE)
    life.run_relay(OutboxRelay(db=db, js=js, service=SERVICE))

    mesh = Mesh.from_settings(settings, service=SERVICE)
    identity = channel(
        settings.identity_addr, service="identity", mesh=mesh, deadline=settings.rpc_deadline_seconds
    )
    life.on_stop(identity.close)
    grpc_server = GrpcServer(
        port=settings.grpc_port,
        service_names=["helpdesk.portal.v1.Portal", OPS_SERVICE],
        mesh=mesh,
        passports=passport_verifier(identity_keys(identity)),
        host=settings.bind_host,
    )
    # The kit's Ops, like every service with a database (the portal consumes nothing: no parked events).
    mount_ops(grpc_server, db=db, consumers=life.consumers)
    directory = IdentityDirectory(identity_pb2_grpc.IdentityStub(identity))
    portal_pb2_grpc.add_PortalServicer_to_server(
        PortalService(db=db, directory=directory), grpc_server.server
    )
    await life.serve_grpc(grpc_server, grace=settings.shutdown_grace_seconds)

    # Ready = the database answers. NATS away does not count: the outbox keeps the facts
    # until it is back (docs/operations.md § Readiness).
    app = create_app(service=SERVICE, readiness={"database": db.ping})
    life.serve_http(http_server(app, port=settings.http_port, host=settings.bind_host))
    await life.run_until_stopped()


async def migrate(settings: DatabaseSettings) -> None:
    # Alembic and the ORM cost seconds to import: only the migrate command pays for them.
    from helpdesk_kit.migrations import upgrade

    await upgrade(database_url=settings.database_url, schema=SERVICE, script_location=MIGRATIONS)
