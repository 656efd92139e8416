"""Mail intake against real servers: PostgreSQL (mailin's schema) and a throwaway dovecot
(IMAP with STARTTLS and implicit TLS, a passwd-file user, maildirs: the devstack plugin's
``dovecot`` fixture), the other services
faked behind mailin's own ``Peers`` interface (tests/fakes.py)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from helpdesk_devstack.servers.dovecot import HOST, Dovecot
from helpdesk_kit.config import DatabaseSettings
from helpdesk_kit.db import Database
from helpdesk_mailin import app, store
from helpdesk_mailin.domain.mailbox import MailboxSettings
from helpdesk_mailin.imap import ImapSession
from helpdesk_mailin.poller import MailboxPoller, SessionFactory, Timing
from helpdesk_mailin.ports import MailboxSession
from helpdesk_mailin.store import MailboxRow
from helpdesk_mailin.usecases import Intake, Limits

from .fakes import FakePeers

SAMPLES = Path(__file__).parent / "samples"
_logins = itertools.count(1)


def sample(name: str, **fill: object) -> bytes:
    raw = (SAMPLES / name).read_bytes()
    for key, value in fill.items():
        raw = raw.replace(f"{{{key.upper()}}}".encode(), str(value).encode())
    return raw


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    await app.migrate(DatabaseSettings(database_url=database_url))
    async with Database(database_url, schema=app.SERVICE, pool_size=4) as database:
        yield database


@pytest.fixture
def peers() -> FakePeers:
    return FakePeers()


@pytest.fixture
def intake(db: Database, peers: FakePeers) -> Intake:
    return Intake(db=db, peers=peers, limits=Limits(per_sender_per_hour=5, max_file_bytes=2 * 1024 * 1024))


def sessions(dovecot: Dovecot) -> SessionFactory:
    def make(box: MailboxRow, password: str) -> MailboxSession:
        return ImapSession(box.settings, password, timeout=10, ssl_context=dovecot.ssl_context())

    return make


async def new_mailbox(
    db: Database, dovecot: Dovecot, *, password: str | None = None, **settings: object
) -> MailboxRow:
    """A mail account on the dovecot and its mailbox in mailin (implicit TLS by default)."""
    login = f"desk{next(_logins)}@desk.example"
    dovecot.add_user(login, "secret-pw")
    base: dict[str, object] = {
        "name": login,
        "host": HOST,
        "port": dovecot.tls_port,
        "security": "tls",
        "login": login,
        "unit_id": 10,
    }
    s = MailboxSettings(**(base | settings))  # type: ignore[arg-type]
    async with db.unit_of_work() as uow:
        mailbox_id = await store.mailboxes.insert_mailbox(
            uow.conn, s, "secret-pw" if password is None else password
        )
        row = await store.mailboxes.mailbox(uow.conn, mailbox_id)
        await uow.commit()
    assert row is not None
    return row


def poller(
    db: Database,
    intake: Intake,
    dovecot: Dovecot,
    box: MailboxRow,
    owner: str = "test",
    *,
    poll_seconds: float = 0.2,
    lease_seconds: float = 30,
) -> MailboxPoller:
    return MailboxPoller(
        db=db,
        intake=intake,
        mailbox_id=box.id,
        owner=owner,
        sessions=sessions(dovecot),
        timing=Timing(
            poll_seconds=poll_seconds,
            lease_seconds=lease_seconds,
            backoff_base=0.05,
            backoff_cap=0.2,
            scan_seconds=0.1,
        ),
    )


async def poll(db: Database, intake: Intake, dovecot: Dovecot, box: MailboxRow) -> int:
    """One round of the mailbox's poller, as the running service does it."""
    p = poller(db, intake, dovecot, box)
    async with db.unit_of_work() as uow:
        fresh = await store.mailboxes.mailbox(uow.conn, box.id)
    assert fresh is not None
    try:
        return await p.poll_once(fresh)
    finally:
        await p._close()
