"""Composition root of the identity service: builds and runs its parts."""

from __future__ import annotations

from pathlib import Path

from helpdesk.identity.v1 import identity_pb2_grpc

from helpdesk_identity import usecases
from helpdesk_identity.config import Settings
from helpdesk_identity.rpc import IdentityService
from helpdesk_kit.db import Database
from helpdesk_kit.http import create_app, http_server
from helpdesk_kit.rpc import GrpcServer
from helpdesk_kit.runtime import start_process

SERVICE = "identity"
MIGRATIONS = Path(__file__).parent / "migrations"


async def serve(settings: Settings) -> None:
    life = start_process(service=SERVICE, settings=settings)
    db = await life.open_database(
        settings.database_url, schema=SERVICE, pool_size=settings.database_pool_size
    )
    await usecases.ensure_signing_key(db=db)

    grpc_server = GrpcServer(port=settings.grpc_port, service_names=["helpdesk.identity.v1.Identity"])
    identity_pb2_grpc.add_IdentityServicer_to_server(
        IdentityService(db=db, settings=settings), grpc_server.server
    )
    await life.serve_grpc(grpc_server, grace=settings.shutdown_grace_seconds)

    app = create_app(service=SERVICE, readiness={"database": db.ping})
    life.serve_http(http_server(app, port=settings.http_port))
    await life.run_until_stopped()


async def migrate(settings: Settings) -> None:
    # Alembic and the ORM cost seconds to import: only the migrate command pays for them.
    from helpdesk_kit.migrations import upgrade

    await upgrade(database_url=settings.database_url, schema=SERVICE, script_location=MIGRATIONS)


async def bootstrap_admin(settings: Settings) -> tuple[bool, str | None]:
    async with Database(settings.database_url, schema=SERVICE, pool_size=1) as db:
        await usecases.ensure_signing_key(db=db)
        return await usecases.bootstrap_admin(db=db, password=settings.admin_password)
