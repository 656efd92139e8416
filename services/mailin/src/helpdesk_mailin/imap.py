"""An IMAP mailbox over imapclient, run in a thread of its own per mailbox.

imapclient is synchronous and mature (UIDs, UIDVALIDITY, IDLE, MOVE, STARTTLS); each
session gets a one-thread executor, so a mailbox blocked in IDLE or on a slow server
holds only its own thread and never the event loop's shared pool. Every socket operation
has ``timeout`` seconds; any failure is ``ImapUnavailable`` (the poller reconnects with
backoff). See docs/adr/0011-mail-intake.md.
"""

from __future__ import annotations

import asyncio
import imaplib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import imapclient
from imapclient.exceptions import IMAPClientError

from helpdesk_mailin.domain.mailbox import PROCESSED_KEYWORD, MailboxSettings
from helpdesk_mailin.errors import ImapUnavailable
from helpdesk_mailin.ports import FolderState

_T = TypeVar("_T")
_FAILURES = (IMAPClientError, imaplib.IMAP4.error, OSError, ssl.SSLError, socket.timeout, EOFError)
#: IDLE is renewed this often at most (RFC 2177 asks for less than 29 minutes).
IDLE_SLICE_SECONDS = 300.0
#: How often an IDLE looks whether the session is being closed (a stopping service must
#: not wait for the end of the IDLE: its thread would hold the process up to a minute).
IDLE_CHECK_SECONDS = 0.5


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """Verifies IMAP servers against the system's authorities and, when given, those in
    ``ca_file`` (a company's own CA: ``HELPDESK_MAILIN_CA_FILE``)."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


class ImapSession:
    """``MailboxSession`` over one imapclient connection."""

    def __init__(
        self,
        settings: MailboxSettings,
        password: str,
        *,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._settings = settings
        self._password = password
        self._timeout = timeout
        self._ssl = ssl_context or ssl.create_default_context()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"imap-{settings.name[:20]}")
        self._client: Any = None
        self._idle = False
        self._keyword = True
        self._closing = threading.Event()

    async def _run(self, fn: Callable[[], _T]) -> _T:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn)
        except _FAILURES as exc:
            raise ImapUnavailable(f"IMAP {self._settings.host}: {type(exc).__name__}: {exc}") from exc

    def _connect(self) -> Any:
        s = self._settings
        client = imapclient.IMAPClient(
            s.host, port=s.port, ssl=s.security == "tls", ssl_context=self._ssl, timeout=self._timeout
        )
        if s.security == "starttls":
            client.starttls(self._ssl)
        client.login(s.login, self._password)
        return client

    async def open(self, folder: str) -> FolderState:
        if self._client is None:
            self._client = await self._run(self._connect)
        client = self._client

        def select() -> FolderState:
            info = client.select_folder(folder)
            flags = [f.decode() if isinstance(f, bytes) else str(f) for f in info.get(b"PERMANENTFLAGS", ())]
            self._keyword = "\\*" in flags or PROCESSED_KEYWORD in flags
            self._idle = client.has_capability("IDLE")
            return FolderState(
                uidvalidity=int(info.get(b"UIDVALIDITY", 0)),
                messages=int(info.get(b"EXISTS", 0)),
                idle=self._idle,
            )

        return await self._run(select)

    async def new_uids(self, after_uid: int) -> list[int]:
        client = self._client
        # "n:*" always answers the highest UID, even below n: keep only those above.
        found = await self._run(lambda: client.search(["UID", f"{after_uid + 1}:*"]))
        return sorted(int(u) for u in found if int(u) > after_uid)

    async def fetch(self, uid: int) -> bytes | None:
        client = self._client
        # BODY.PEEK: reading does not set \\Seen; only a processed mail is marked.
        data = await self._run(lambda: client.fetch([uid], ["BODY.PEEK[]"]))
        item = data.get(uid) or {}
        raw = item.get(b"BODY[]")
        return bytes(raw) if raw is not None else None

    async def mark_processed(self, uid: int, move_to: str) -> None:
        client = self._client
        flags = [imapclient.SEEN, *([PROCESSED_KEYWORD] if self._keyword else [])]

        def mark() -> None:
            client.add_flags([uid], flags, silent=True)
            if move_to:
                self._move(client, uid, move_to)

        await self._run(mark)

    async def quarantine(self, uid: int, folder: str) -> None:
        client = self._client
        await self._run(lambda: self._move(client, uid, folder))

    @staticmethod
    def _move(client: Any, uid: int, folder: str) -> None:
        if not client.folder_exists(folder):
            client.create_folder(folder)
        if client.has_capability("MOVE"):
            client.move([uid], folder)
        else:
            client.copy([uid], folder)
            client.delete_messages([uid], silent=True)
            client.expunge([uid]) if client.has_capability("UIDPLUS") else client.expunge()

    async def wait(self, seconds: float) -> None:
        """Until the server announces a change (IDLE) or ``seconds`` pass (polling)."""
        if not self._idle:
            await asyncio.sleep(seconds)
            return
        client = self._client
        slice_ = min(seconds, IDLE_SLICE_SECONDS)

        def idle() -> None:
            ends = time.monotonic() + slice_
            client.idle()
            try:
                while not self._closing.is_set():
                    left = ends - time.monotonic()
                    if left <= 0 or client.idle_check(timeout=min(left, IDLE_CHECK_SECONDS)):
                        return
            finally:
                client.idle_done()

        await self._run(idle)

    async def close(self) -> None:
        self._closing.set()  # ends an IDLE in progress, so the logout below runs at once
        client, self._client = self._client, None
        if client is not None:
            try:
                await self._run(client.logout)
            except ImapUnavailable:
                await asyncio.get_running_loop().run_in_executor(self._pool, client.shutdown)
        self._pool.shutdown(wait=False)


async def probe(
    settings: MailboxSettings, password: str, *, seconds: float, ssl_context: ssl.SSLContext | None = None
) -> FolderState:
    """Signs in and opens the folder; nothing is changed."""
    session = ImapSession(settings, password, timeout=seconds, ssl_context=ssl_context)
    try:
        return await session.open(settings.folder)
    finally:
        await session.close()
