"""Composition root of the sla service: builds and runs its parts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from helpdesk.sla.v1 import sla_pb2_grpc

from helpdesk_kit.config import DatabaseSettings
from helpdesk_kit.http import create_app, http_server
from helpdesk_kit.inbox import Consumer
from helpdesk_kit.ops import OPS_SERVICE, mount_ops
from helpdesk_kit.outbox import OutboxRelay
from helpdesk_kit.retention import Pruner, messaging_rules
from helpdesk_kit.rpc import GrpcServer, channel
from helpdesk_kit.runtime import start_process
from helpdesk_kit.trust import Mesh, identity_keys, passport_verifier
from helpdesk_sla.config import Settings
from helpdesk_sla.consumers import routes
from helpdesk_sla.rpc import SlaService
from helpdesk_sla.timers import Scheduler
from helpdesk_sla.usecases import Policy

SERVICE = "sla"
MIGRATIONS = Path(__file__).parent / "migrations"


async def serve(settings: Settings) -> None:
    life = start_process(service=SERVICE, settings=settings)
    db = await life.open_database(
        settings.database_url, schema=SERVICE, pool_size=settings.database_pool_size
    )
    _, js = await life.open_nats(settings.nats_url, name=SERVICE)
    policy = Policy(warning_percent=settings.sla_warning_percent)
    life.run_relay(OutboxRelay(db=db, js=js, service=SERVICE))
    life.run_consumer(
        Consumer(
            name="sla-tickets",
            db=db,
            js=js,
            source_service="tickets",
            routes=routes(policy),
            max_deliveries=settings.consumer_max_deliveries,
            retry_horizon=settings.consumer_retry_horizon_seconds,
            transient_cap=settings.consumer_retry_cap_seconds,
        )
    )

    scheduler = Scheduler(db=db, rescan_seconds=settings.sla_timers_rescan_seconds)
    timers = life.supervise(scheduler.run, name="sla-timers")

    async def stop_timers() -> None:
        scheduler.stop()
        await asyncio.wait([timers], timeout=10)

    life.on_stop(stop_timers)
    pruner = Pruner(db=db, service=SERVICE, rules=messaging_rules(settings), settings=settings)
    life.supervise(lambda: pruner.run(life.stopping), name="retention")

    mesh = Mesh.from_settings(settings, service=SERVICE)
    identity = channel(
        settings.identity_addr, service="identity", mesh=mesh, deadline=settings.rpc_deadline_seconds
    )
    life.on_stop(identity.close)
    grpc_server = GrpcServer(
        port=settings.grpc_port,
        service_names=["helpdesk.sla.v1.Sla", OPS_SERVICE],
        mesh=mesh,
        passports=passport_verifier(identity_keys(identity)),
        host=settings.bind_host,
    )
    mount_ops(grpc_server, db=db, consumers=life.consumers)
    sla_pb2_grpc.add_SlaServicer_to_server(SlaService(db=db, policy=policy), grpc_server.server)
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
