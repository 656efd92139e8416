"""Composition root of the mailin service: builds and runs its parts."""

from __future__ import annotations

import ssl
from pathlib import Path

from helpdesk.mailin.v1 import mailin_pb2_grpc

from helpdesk_kit.config import DatabaseSettings
from helpdesk_kit.db import Database
from helpdesk_kit.http import create_app, http_server
from helpdesk_kit.logs import get_logger
from helpdesk_kit.retention import Pruner, Rule, keep_for
from helpdesk_kit.rpc import GrpcServer, channel
from helpdesk_kit.runtime import start_process
from helpdesk_kit.trust import Mesh, identity_keys, passport_verifier
from helpdesk_mailin import crashpoints, store
from helpdesk_mailin.config import Settings
from helpdesk_mailin.imap import ImapSession, tls_context
from helpdesk_mailin.peers import GrpcPeers
from helpdesk_mailin.poller import SessionFactory, Supervisor, Timing
from helpdesk_mailin.ports import MailboxSession
from helpdesk_mailin.rpc import MailinService
from helpdesk_mailin.store import MailboxRow
from helpdesk_mailin.usecases import Intake, Limits

log = get_logger(__name__)

SERVICE = "mailin"
MIGRATIONS = Path(__file__).parent / "migrations"


def imap_sessions(timeout: float, tls: ssl.SSLContext, *, crash_before_flag: bool = False) -> SessionFactory:
    kind = crashpoints.SessionCrashingBeforeFlag if crash_before_flag else ImapSession

    def make(box: MailboxRow, password: str) -> MailboxSession:
        return kind(box.settings, password, timeout=timeout, ssl_context=tls)

    return make


def retention_rules(*, mail_log_days: float) -> list[Rule]:
    """What retention deletes here (docs/operations.md § Retention): the mail log's old
    outcomes (``store.messages.prune`` says what stays)."""
    return [Rule("mail_log", keep_for(days=mail_log_days), store.messages.prune)]


async def serve(settings: Settings) -> None:
    life = start_process(service=SERVICE, settings=settings)
    db = await life.open_database(
        settings.database_url, schema=SERVICE, pool_size=settings.database_pool_size
    )
    rules = retention_rules(mail_log_days=settings.retention_mail_log_days)
    pruner = Pruner(db=db, service=SERVICE, rules=rules, settings=settings)
    life.supervise(lambda: pruner.run(life.stopping), name="retention")
    mesh = Mesh.from_settings(settings, service=SERVICE)
    deadline = settings.rpc_deadline_seconds
    channels = {
        name: channel(addr, service=name, mesh=mesh, deadline=deadline)
        for name, addr in (
            ("identity", settings.identity_addr),
            ("tickets", settings.tickets_addr),
            ("notify", settings.notify_addr),
        )
    }
    for ch in channels.values():
        life.on_stop(ch.close)
    crash_at = settings.mailin_test_crash_at
    if crash_at:
        log.warning("mailin.test_crash_point_armed", point=crash_at)  # never in production
    peers = crashpoints.PeersCrashingAfterTicket if crash_at == "after_ticket" else GrpcPeers
    tls = tls_context(settings.mailin_ca_file)
    intake = Intake(
        db=db,
        peers=peers(identity=channels["identity"], tickets=channels["tickets"], notify=channels["notify"]),
        limits=Limits(
            per_sender_per_hour=settings.mailin_per_sender_per_hour,
            max_file_bytes=settings.mailin_max_file_bytes,
            keep_bytes=settings.mailin_keep_bytes,
        ),
    )
    supervisor = Supervisor(
        db=db,
        intake=intake,
        sessions=imap_sessions(
            settings.mailin_imap_timeout_seconds, tls, crash_before_flag=crash_at == "before_flag"
        ),
        timing=Timing(
            poll_seconds=settings.mailin_poll_seconds,
            lease_seconds=settings.mailin_lease_seconds,
            backoff_base=settings.mailin_backoff_base_seconds,
            backoff_cap=settings.mailin_backoff_cap_seconds,
        ),
    )
    task = life.spawn(supervisor.run(), name="mailin-supervisor")

    async def stop_pollers() -> None:
        supervisor.stop()
        await task

    life.on_stop(stop_pollers)

    grpc_server = GrpcServer(
        port=settings.grpc_port,
        service_names=["helpdesk.mailin.v1.Mailin"],
        mesh=mesh,
        passports=passport_verifier(identity_keys(channels["identity"])),
        host=settings.bind_host,
    )
    mailin_pb2_grpc.add_MailinServicer_to_server(
        MailinService(db=db, intake=intake, imap_timeout=settings.mailin_imap_timeout_seconds, imap_tls=tls),
        grpc_server.server,
    )
    await life.serve_grpc(grpc_server, grace=settings.shutdown_grace_seconds)
    app = create_app(service=SERVICE, readiness={"database": db.ping})
    life.serve_http(http_server(app, port=settings.http_port, host=settings.bind_host))
    await life.run_until_stopped()


async def migrate(settings: DatabaseSettings) -> None:
    """The schema to its newest revision; mailbox passwords re-sealed (the caller set up the key ring)."""
    # Alembic and the ORM cost seconds to import: only the migrate command pays for them.
    from helpdesk_kit.migrations import upgrade

    await upgrade(database_url=settings.database_url, schema=SERVICE, script_location=MIGRATIONS)
    async with Database(settings.database_url, schema=SERVICE, pool_size=1) as db, db.unit_of_work() as uow:
        await store.mailboxes.reseal_passwords(uow.conn)
        await uow.commit()
