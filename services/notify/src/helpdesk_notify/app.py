"""Composition root of the notify service: builds and runs its parts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from helpdesk.identity.v1 import identity_pb2_grpc
from helpdesk.notify.v1 import notify_pb2_grpc

from helpdesk_kit.config import DatabaseSettings
from helpdesk_kit.db import Database
from helpdesk_kit.http import create_app, http_server
from helpdesk_kit.inbox import Consumer
from helpdesk_kit.ops import OPS_SERVICE, mount_ops
from helpdesk_kit.outbox import OutboxRelay
from helpdesk_kit.retention import Pruner
from helpdesk_kit.rpc import GrpcServer, channel
from helpdesk_kit.runtime import start_process
from helpdesk_kit.trust import Mesh, identity_keys, passport_verifier
from helpdesk_notify import store, usecases
from helpdesk_notify.config import Settings
from helpdesk_notify.consumers import identity_routes, portal_routes, routes, sla_routes, with_webhooks
from helpdesk_notify.directory import IdentityDirectory
from helpdesk_notify.domain import EMAIL, PUSHBULLET
from helpdesk_notify.rpc import NotifyService, NotifySettingsService
from helpdesk_notify.usecases import SERVICE
from helpdesk_notify.webhooks import kinds
from helpdesk_notify.webhooks.addresses import AddressGuard, parse_networks
from helpdesk_notify.webhooks.feed_order import keep_in_order
from helpdesk_notify.webhooks.sender import Sender
from helpdesk_notify.webhooks.worker import WebhookWorker
from helpdesk_notify.worker import ChannelWorker, RetryPolicy, pushbullet_session, smtp_session

MIGRATIONS = Path(__file__).parent / "migrations"


async def serve(settings: Settings) -> None:
    life = start_process(service=SERVICE, settings=settings)
    db = await life.open_database(
        settings.database_url, schema=SERVICE, pool_size=settings.database_pool_size
    )
    _, js = await life.open_nats(settings.nats_url, name=SERVICE)
    relay = OutboxRelay(db=db, js=js, service=SERVICE)
    life.run_relay(relay)

    mesh = Mesh.from_settings(settings, service=SERVICE)
    identity = channel(
        settings.identity_addr, service="identity", mesh=mesh, deadline=settings.rpc_deadline_seconds
    )
    life.on_stop(identity.close)
    directory = IdentityDirectory(
        identity_pb2_grpc.IdentityStub(identity), ttl=settings.directory_cache_seconds
    )
    url = settings.public_url
    for name, source, source_routes in (
        ("notify-tickets", "tickets", with_webhooks(routes(directory, url), kinds.TICKET_EVENTS)),
        ("notify-sla", "sla", with_webhooks(sla_routes(directory, url), kinds.SLA_EVENTS)),
        (
            "notify-identity",
            "identity",
            with_webhooks(identity_routes(directory, directory, url), kinds.IDENTITY_EVENTS, directory),
        ),
        ("notify-portal", "portal", portal_routes(directory, url)),
    ):
        life.run_consumer(
            Consumer(
                name=name,
                db=db,
                js=js,
                source_service=source,
                routes=source_routes,
                max_deliveries=settings.consumer_max_deliveries,
                retry_horizon=settings.consumer_retry_horizon_seconds,
                transient_cap=settings.consumer_retry_cap_seconds,
            )
        )

    policy = RetryPolicy(
        horizon_seconds=settings.delivery_retry_horizon_seconds,
        base_seconds=settings.delivery_backoff_base_seconds,
        cap_seconds=settings.delivery_backoff_cap_seconds,
    )
    for channel_name, factory in ((EMAIL, smtp_session), (PUSHBULLET, pushbullet_session)):
        worker = ChannelWorker(
            db=db,
            channel=channel_name,
            session_factory=factory,
            policy=policy,
            idle_seconds=settings.delivery_idle_seconds,
            per_transaction=settings.delivery_per_transaction,
            circuit_base_seconds=settings.delivery_circuit_base_seconds,
            circuit_cap_seconds=settings.delivery_circuit_cap_seconds,
        )
        task = life.spawn(worker.run(), name=f"notify-{channel_name}")
        life.on_stop(_stopper(worker, task))

    guard = AddressGuard(refused=parse_networks(settings.webhook_refused_networks))
    sender = Sender(guard, timeout_seconds=settings.webhook_timeout_seconds)
    life.on_stop(sender.close)
    hooks = WebhookWorker(
        db=db,
        sender=sender,
        policy=RetryPolicy(
            horizon_seconds=settings.webhook_retry_horizon_seconds,
            base_seconds=settings.webhook_backoff_base_seconds,
            cap_seconds=settings.webhook_backoff_cap_seconds,
        ),
        per_transaction=settings.delivery_per_transaction,
        idle_seconds=settings.delivery_idle_seconds,
    )
    life.on_stop(_stopper(hooks, life.spawn(hooks.run(), name="notify-webhooks")))
    life.supervise(lambda: keep_in_order(db, life.stopping, settings.feed_order_seconds), name="feed-order")

    pruner = Pruner(
        db=db,
        service=SERVICE,
        rules=usecases.retention_rules(
            settings,
            delivered_days=settings.retention_delivered_days,
            read_popups_days=settings.retention_read_popups_days,
            unread_popups_days=settings.retention_unread_popups_days,
            events_days=settings.retention_events_days,
        ),
        settings=settings,
    )
    life.supervise(lambda: pruner.run(life.stopping), name="retention")

    grpc_server = GrpcServer(
        port=settings.grpc_port,
        service_names=["helpdesk.notify.v1.Notify", "helpdesk.notify.v1.NotifySettings", OPS_SERVICE],
        mesh=mesh,
        passports=passport_verifier(identity_keys(identity)),
        host=settings.bind_host,
    )
    mount_ops(grpc_server, db=db, consumers=life.consumers)
    notify_pb2_grpc.add_NotifyServicer_to_server(NotifyService(db=db, public_url=url), grpc_server.server)
    notify_pb2_grpc.add_NotifySettingsServicer_to_server(
        NotifySettingsService(
            db=db,
            directory=directory,
            public_url=url,
            mailing_per_second=settings.mailing_per_second,
            guard=guard,
        ),
        grpc_server.server,
    )
    await life.serve_grpc(grpc_server, grace=settings.shutdown_grace_seconds)

    # Ready = the database answers. NATS away does not count: the outbox keeps the facts
    # until it is back (docs/operations.md § Readiness).
    app = create_app(service=SERVICE, readiness={"database": db.ping})
    life.serve_http(http_server(app, port=settings.http_port, host=settings.bind_host))
    await life.run_until_stopped()


def _stopper(
    worker: ChannelWorker | WebhookWorker, task: asyncio.Task[None]
) -> Callable[[], Awaitable[None]]:
    async def stop() -> None:
        worker.stop()
        await asyncio.wait([task], timeout=10)

    return stop


async def migrate(settings: DatabaseSettings) -> None:
    """The schema to its newest revision; stored secrets re-sealed (the caller set up the key ring)."""
    # Alembic and the ORM cost seconds to import: only the migrate command pays for them.
    from helpdesk_kit.migrations import upgrade

    await upgrade(database_url=settings.database_url, schema=SERVICE, script_location=MIGRATIONS)
    # Secrets in the clear, or sealed by a retired key, are sealed with the current key.
    async with Database(settings.database_url, schema=SERVICE, pool_size=1) as db, db.unit_of_work() as uow:
        await store.reseal_settings(uow.conn)
        await uow.commit()
