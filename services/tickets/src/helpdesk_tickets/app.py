"""Composition root of the tickets service: builds and runs its parts."""

from __future__ import annotations

from pathlib import Path

from helpdesk.identity.v1 import identity_pb2_grpc
from helpdesk.tickets.v1 import tickets_pb2_grpc

from helpdesk_kit.config import DatabaseSettings
from helpdesk_kit.http import create_app, http_server
from helpdesk_kit.inbox import Consumer
from helpdesk_kit.ops import OPS_SERVICE, mount_ops
from helpdesk_kit.outbox import OutboxRelay
from helpdesk_kit.retention import Pruner
from helpdesk_kit.rpc import GrpcServer, channel
from helpdesk_kit.runtime import start_process
from helpdesk_kit.trust import Mesh, identity_keys, passport_verifier
from helpdesk_tickets import consumers, usecases
from helpdesk_tickets.config import Settings, StorageSettings
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.events import SERVICE
from helpdesk_tickets.rpc import TicketsService
from helpdesk_tickets.storage import FileStore, S3Store, s3_store

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
    units = UnitDirectory(identity_pb2_grpc.IdentityStub(identity), ttl=settings.units_cache_seconds)

    life.run_consumer(
        Consumer(
            name="tickets-sla",
            db=db,
            js=js,
            source_service="sla",
            routes=consumers.SLA_ROUTES,
            max_deliveries=settings.consumer_max_deliveries,
            retry_horizon=settings.consumer_retry_horizon_seconds,
            transient_cap=settings.consumer_retry_cap_seconds,
        )
    )
    ticket_settings = usecases.SettingsCache()
    life.supervise(
        lambda: usecases.run_archiver(
            db=db, settings=ticket_settings, every=settings.archive_every_seconds, stopping=life.stopping
        ),
        name="archiver",
    )
    pruner = Pruner(
        db=db,
        service=SERVICE,
        rules=usecases.retention_rules(
            settings,
            idempotency_keys_hours=settings.retention_idempotency_keys_hours,
            archived_history_days=settings.retention_archived_history_days,
        ),
        settings=settings,
    )
    life.supervise(lambda: pruner.run(life.stopping), name="retention")

    grpc_server = GrpcServer(
        port=settings.grpc_port,
        service_names=["helpdesk.tickets.v1.Tickets", OPS_SERVICE],
        mesh=mesh,
        passports=passport_verifier(identity_keys(identity)),
        host=settings.bind_host,
    )
    mount_ops(grpc_server, db=db, consumers=life.consumers)
    blobs = blob_store(settings)
    tickets_pb2_grpc.add_TicketsServicer_to_server(
        TicketsService(db=db, units=units, settings=ticket_settings, blobs=blobs, spool=blobs.spool_dir()),
        grpc_server.server,
    )
    await life.serve_grpc(grpc_server, grace=settings.shutdown_grace_seconds)

    # Ready = the database answers. NATS away does not count: the outbox keeps the facts
    # until it is back (docs/operations.md § Readiness).
    app = create_app(service=SERVICE, readiness={"database": db.ping})
    life.serve_http(http_server(app, port=settings.http_port, host=settings.bind_host))
    await life.run_until_stopped()


def blob_store(settings: StorageSettings) -> FileStore | S3Store:
    if settings.s3_bucket:
        return s3_store(
            endpoint_url=settings.s3_endpoint_url,
            bucket=settings.s3_bucket,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
        )
    return FileStore(Path(settings.files_dir).resolve())


async def migrate(settings: DatabaseSettings) -> None:
    # Alembic and the ORM cost seconds to import: only the migrate command pays for them.
    from helpdesk_kit.migrations import upgrade

    await upgrade(database_url=settings.database_url, schema=SERVICE, script_location=MIGRATIONS)
