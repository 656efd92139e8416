"""The pollers: each enabled mailbox is read by one replica at a time, in a task of its own.

``Supervisor`` looks at the mailboxes every few seconds and starts a ``MailboxPoller`` for
each enabled one whose lease it can take (a row lease in PostgreSQL: owner and expiry,
renewed at a third of its length, so a replica that dies frees its mailboxes within one
lease). A poller signs in, opens the folder, processes every UID above where reading
stopped (UIDVALIDITY respected: a new one restarts from the first UID, and Message-IDs
already filed are recognised), marks each processed mail (\\Seen and ``$Helpdesk``, or a
move to the processed folder) or moves it to quarantine, then waits: IMAP IDLE where the
server has it, else the poll interval. Any IMAP failure closes the session and retries
with exponential backoff and jitter; a down service (tickets, identity) leaves the mail
for the next round. One mailbox's trouble never touches another's task.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from helpdesk_kit.db import Database
from helpdesk_kit.errors import Unavailable
from helpdesk_kit.logs import get_logger
from helpdesk_mailin import store
from helpdesk_mailin.ports import MailboxSession
from helpdesk_mailin.store import MailboxRow
from helpdesk_mailin.usecases import Intake

log = get_logger(__name__)

SessionFactory = Callable[[MailboxRow, str], MailboxSession]


@dataclass(frozen=True)
class Timing:
    poll_seconds: float = 60.0
    lease_seconds: float = 90.0
    backoff_base: float = 2.0
    backoff_cap: float = 300.0
    scan_seconds: float = 5.0


def backoff(failures: int, base: float, cap: float) -> float:
    ceiling = min(cap, base * 2.0 ** max(failures - 1, 0))
    return ceiling * (0.5 + random.random() / 2)


class MailboxPoller:
    """Reads one mailbox until ``stop()`` or until it loses the lease."""

    def __init__(
        self,
        *,
        db: Database,
        intake: Intake,
        mailbox_id: int,
        owner: str,
        sessions: SessionFactory,
        timing: Timing,
    ) -> None:
        self.mailbox_id = mailbox_id
        self._db = db
        self._intake = intake
        self._owner = owner
        self._sessions = sessions
        self._timing = timing
        self._stopping = asyncio.Event()
        self._session: MailboxSession | None = None

    def stop(self) -> None:
        self._stopping.set()

    async def _lease(self) -> MailboxRow | None:
        """Renews the lease; the mailbox as it is now (None: lost, gone or switched off)."""
        async with self._db.unit_of_work() as uow:
            held = await store.mailboxes.claim_lease(
                uow.conn, self.mailbox_id, self._owner, self._timing.lease_seconds
            )
            row = await store.mailboxes.mailbox(uow.conn, self.mailbox_id) if held else None
            await uow.commit()
        return row

    async def run(self) -> None:
        failures = 0
        try:
            while not self._stopping.is_set():
                box = await self._lease()
                if box is None:
                    return
                try:
                    await self.poll_once(box)
                    failures = 0
                    await self._wait(self._timing.poll_seconds)
                except Unavailable as exc:
                    failures += 1
                    await self._record(error=exc.detail)
                    await self._close()
                    await self._sleep(backoff(failures, self._timing.backoff_base, self._timing.backoff_cap))
        finally:
            await self._close()
            async with self._db.unit_of_work() as uow:
                await store.mailboxes.release_lease(uow.conn, self.mailbox_id, self._owner)
                await uow.commit()

    async def poll_once(self, box: MailboxRow) -> int:
        """Processes every new mail; returns how many. Raises Unavailable on IMAP trouble."""
        if self._session is None:
            async with self._db.unit_of_work() as uow:
                password = await store.mailboxes.password_of(uow.conn, box.id)
            self._session = self._sessions(box, password)
        session = self._session
        state = await session.open(box.settings.folder)
        after = box.last_uid if state.uidvalidity == box.uidvalidity else 0
        done = 0
        renewed = time.monotonic()
        for uid in await session.new_uids(after):
            if self._stopping.is_set():
                break
            # A backlog outlasts the lease (thousands of mails at ~20 a second): renew it as
            # the round goes, or a standby replica takes the mailbox and reads it too; lost
            # or switched off, the round ends here.
            if time.monotonic() - renewed >= self._timing.lease_seconds / 3:
                if await self._lease() is None:
                    break
                renewed = time.monotonic()
            await self._one(session, box, state.uidvalidity, uid)
            async with self._db.unit_of_work() as uow:
                await store.mailboxes.set_read_position(uow.conn, box.id, state.uidvalidity, uid)
                await uow.commit()
            done += 1
        await self._record(error="", idle=state.idle)
        return done

    async def _one(self, session: MailboxSession, box: MailboxRow, uidvalidity: int, uid: int) -> None:
        raw = await session.fetch(uid)
        if raw is None:  # expunged meanwhile
            return
        outcome = await self._intake.receive(box=box, uidvalidity=uidvalidity, uid=uid, raw=raw)
        if outcome.kind == "quarantined":
            await session.quarantine(uid, box.settings.quarantine_folder)
        else:
            await session.mark_processed(uid, box.settings.processed_folder)

    async def _record(self, *, error: str, idle: bool = False) -> None:
        async with self._db.unit_of_work() as uow:
            await store.mailboxes.record_poll(uow.conn, self.mailbox_id, error=error, idle=idle)
            await uow.commit()
        if error:
            log.warning("mailin.poll_failed", mailbox_id=self.mailbox_id, error=error)

    async def _wait(self, seconds: float) -> None:
        """IDLE or sleep, but no longer than a third of the lease (it must be renewed)."""
        limit = min(seconds, self._timing.lease_seconds / 3)
        if self._session is None:
            await self._sleep(limit)
            return
        waiting = asyncio.ensure_future(self._session.wait(limit))
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if waiting.done():
            waiting.result()  # an IMAP failure while idling is raised here
        # else: stopping; closing the session (run's finally) ends the IDLE within half a second

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(Unavailable):
                await session.close()


class Supervisor:
    """Starts a poller for each enabled mailbox this replica can lease; stops them at the end."""

    def __init__(self, *, db: Database, intake: Intake, sessions: SessionFactory, timing: Timing) -> None:
        self._db = db
        self._intake = intake
        self._sessions = sessions
        self._timing = timing
        self.owner = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self._running: dict[int, tuple[MailboxPoller, asyncio.Task[None]]] = {}
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                await self.scan()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self._timing.scan_seconds)
        finally:
            for poller, _ in self._running.values():
                poller.stop()
            tasks = [task for _, task in self._running.values()]
            if tasks:
                await asyncio.wait(tasks, timeout=10)

    async def scan(self) -> None:
        """Starts pollers for enabled mailboxes not read here yet (each takes its own lease)."""
        for mailbox_id, (_, task) in list(self._running.items()):
            if task.done():
                del self._running[mailbox_id]
                if not task.cancelled() and task.exception() is not None:
                    # A failure outside IMAP (the database): the next scan starts it again.
                    log.warning("mailin.poller_ended", mailbox_id=mailbox_id, error=repr(task.exception()))
        try:
            async with self._db.unit_of_work() as uow:
                enabled = await store.mailboxes.enabled_mailbox_ids(uow.conn)
        except OSError as exc:  # the database restarting: the next scan tries again
            log.warning("mailin.scan_failed", error=repr(exc))
            return
        for mailbox_id in enabled:
            if mailbox_id not in self._running:
                poller = MailboxPoller(
                    db=self._db,
                    intake=self._intake,
                    mailbox_id=mailbox_id,
                    owner=self.owner,
                    sessions=self._sessions,
                    timing=self._timing,
                )
                task = asyncio.create_task(poller.run(), name=f"mailin-{mailbox_id}")
                self._running[mailbox_id] = (poller, task)
