"""Composition root of the identity service: builds and runs its parts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from helpdesk.identity.v1 import identity_pb2_grpc

from helpdesk_identity import store, usecases
from helpdesk_identity.config import Settings
from helpdesk_identity.ratelimit import Limiters
from helpdesk_identity.rpc import IdentityService
from helpdesk_kit.config import DatabaseSettings
from helpdesk_kit.db import Database
from helpdesk_kit.errors import AppError, Conflict
from helpdesk_kit.http import create_app, http_server
from helpdesk_kit.logs import get_logger
from helpdesk_kit.ops import OPS_SERVICE, mount_ops
from helpdesk_kit.outbox import OutboxRelay
from helpdesk_kit.rpc import GrpcServer
from helpdesk_kit.runtime import Lifecycle, start_process
from helpdesk_kit.trust import Mesh, passport_verifier

SERVICE = "identity"
MIGRATIONS = Path(__file__).parent / "migrations"
log = get_logger(__name__)


async def serve(settings: Settings) -> None:
    life = start_process(service=SERVICE, settings=settings)
    db = await life.open_database(
        settings.database_url, schema=SERVICE, pool_size=settings.database_pool_size
    )
    await usecases.ensure_signing_key(db=db)
    limiters = await _limiters(settings, life)
    # Ready = the database answers; NATS away does not count (the outbox keeps the facts).
    readiness: dict[str, Any] = {"database": db.ping}
    if settings.nats_url:
        _, js = await life.open_nats(settings.nats_url, name=SERVICE)
        life.run_relay(OutboxRelay(db=db, js=js, service=SERVICE))
    else:
        log.warning("identity.no_events", reason="HELPDESK_NATS_URL is not set: registration mails wait")

    life.supervise(lambda: _ldap_sync_loop(db, settings.ldap_sync_interval_seconds), name="ldap-sync")
    life.supervise(lambda: _forget_ended_sessions_loop(db), name="sessions-gc")

    async def own_keys() -> dict[str, bytes]:
        return await usecases.verification_keys(db=db, access_ttl=settings.access_token_ttl_seconds)

    grpc_server = GrpcServer(
        port=settings.grpc_port,
        service_names=["helpdesk.identity.v1.Identity", OPS_SERVICE],
        mesh=Mesh.from_settings(settings, service=SERVICE),
        passports=passport_verifier(own_keys),
        host=settings.bind_host,
    )
    mount_ops(grpc_server, db=db, consumers=life.consumers)
    identity_pb2_grpc.add_IdentityServicer_to_server(
        IdentityService(db=db, settings=settings, limiters=limiters), grpc_server.server
    )
    await life.serve_grpc(grpc_server, grace=settings.shutdown_grace_seconds)

    app = create_app(service=SERVICE, readiness=readiness)
    life.serve_http(http_server(app, port=settings.http_port, host=settings.bind_host))
    await life.run_until_stopped()


async def _limiters(settings: Settings, life: Lifecycle) -> Limiters:
    if settings.redis_url is None:
        log.warning("identity.no_rate_limits", reason="HELPDESK_REDIS_URL is not set")
        return Limiters.none()
    client = aioredis.from_url(settings.redis_url)
    life.on_stop(client.aclose)
    return limiters_in(client, settings)


def limiters_in(client: aioredis.Redis, settings: Settings) -> Limiters:
    """The service's attempt limits, counted in this Redis, as the settings set them."""
    return Limiters.in_redis(
        client,
        login_per_account=settings.login_failures_per_account,
        login_per_address=settings.login_failures_per_address,
        login_window_seconds=settings.login_failure_window_seconds,
        totp_per_account=settings.totp_failures_per_account,
        totp_window_seconds=settings.totp_failure_window_seconds,
        mail_per_account=settings.mail_requests_per_account,
        mail_window_seconds=settings.mail_request_window_seconds,
    )


# How often ended sessions are looked for and forgotten (one replica per round).
SESSIONS_GC_SECONDS = 3600.0


async def _forget_ended_sessions_loop(db: Database, interval: float = SESSIONS_GC_SECONDS) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            deleted = await usecases.forget_ended_sessions(db=db)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # The database away for a round must not end the loop; the next retries.
            log.warning("sessions.gc_failed", error=repr(exc))
            continue
        if deleted:
            log.info("sessions.forgotten", count=deleted)


async def _ldap_sync_loop(db: Database, interval: float) -> None:
    """Imports the directory every ``interval`` seconds when LDAP is enabled (one replica per round)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await usecases.sync_ldap(db=db, actor=None)
        except Conflict as exc:  # not enabled, or another replica is syncing
            log.debug("ldap.sync_skipped", reason=exc.detail)
        except (AppError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # A failed round (directory or database down) must not end the loop; the next retries.
            log.warning("ldap.sync_failed", error=repr(exc))


async def migrate(settings: DatabaseSettings) -> None:
    # Alembic and the ORM cost seconds to import: only the migrate command pays for them.
    from helpdesk_kit.migrations import upgrade

    await upgrade(database_url=settings.database_url, schema=SERVICE, script_location=MIGRATIONS)
    # Secrets stored in the clear (or sealed with a key since retired) are sealed with the
    # current key: the step of a key rotation, and of moving to sealed storage.
    async with Database(settings.database_url, schema=SERVICE, pool_size=1) as db, db.unit_of_work() as uow:
        changed = await store.reseal_all(uow.conn)
        await uow.commit()
    if changed:
        log.info("identity.secrets_resealed", count=changed)


async def bootstrap_admin(settings: Settings) -> tuple[bool, str | None]:
    async with Database(settings.database_url, schema=SERVICE, pool_size=1) as db:
        await usecases.ensure_signing_key(db=db)
        return await usecases.bootstrap_admin(db=db, password=settings.admin_password)
