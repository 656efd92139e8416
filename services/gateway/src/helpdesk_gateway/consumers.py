"""The facts the gateway acts on: identity's word that a session, an API token or a user's
rights no longer are what this replica holds (``auth.SessionGuard``).

Every replica listens on a plain NATS subscription of its own, not a durable consumer:
there is nothing to catch up after an absence, since whatever a replica held expires
within its re-check interval (5 s) anyway — that re-check is the fallback while NATS is
away; the subscription makes revocations take effect at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from google.protobuf.message import DecodeError
from helpdesk.identity.v1 import events_pb2
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import Error as NatsError

from helpdesk_gateway.auth import SessionGuard
from helpdesk_kit.logs import get_logger
from helpdesk_kit.streams import connect

log = get_logger(__name__)

SESSION_REVOKED = "identity.SessionRevoked"
API_TOKEN_REVOKED = "identity.ApiTokenRevoked"
USER_CHANGED = "identity.UserChanged"
SUBJECTS = (SESSION_REVOKED, API_TOKEN_REVOKED, USER_CHANGED)


class Revocations:
    """Applies identity's revocation facts to the guard the app uses now."""

    def __init__(self, guard: Callable[[], SessionGuard]) -> None:
        self._guard = guard

    async def on_message(self, msg: Msg) -> None:
        try:
            self.apply(msg.subject, msg.data)
        except DecodeError:
            log.warning("gateway.bad_event", subject=msg.subject)

    def apply(self, subject: str, data: bytes) -> None:
        guard = self._guard()
        if subject == SESSION_REVOKED:
            ended = events_pb2.SessionRevoked.FromString(data)
            guard.sessions_ended(ended.session_ids)
        elif subject == API_TOKEN_REVOKED:
            revoked = events_pb2.ApiTokenRevoked.FromString(data)
            guard.api_tokens_revoked(revoked.token_ids)
        elif subject == USER_CHANGED:
            guard.user_changed(events_pb2.UserChanged.FromString(data).user_id)

    async def subscribe(self, nc: NATS) -> None:
        for name in SUBJECTS:
            await nc.subscribe(name, cb=self.on_message)
        await nc.flush()


class RevocationFeed:
    """The replica's NATS connection for revocations: connects (retrying while NATS is away,
    so the gateway starts and serves without it), subscribes, and holds on until stopped;
    the client re-subscribes by itself after a reconnect."""

    def __init__(self, url: str, revocations: Revocations, *, retry_seconds: float = 2.0) -> None:
        self._url = url
        self._revocations = revocations
        self._retry = retry_seconds
        self._stopping = asyncio.Event()
        self.connected = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        nc: NATS | None = None
        try:
            while nc is None and not self._stopping.is_set():
                try:
                    nc = await connect(self._url, name="gateway")
                    await self._revocations.subscribe(nc)
                except (NatsError, OSError, TimeoutError) as exc:
                    log.warning("gateway.revocations_unavailable", error=repr(exc))
                    if nc is not None:
                        with contextlib.suppress(NatsError):
                            await nc.close()
                        nc = None
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), self._retry)
            if nc is not None:
                self.connected.set()
                log.info("gateway.revocations_followed")
            await self._stopping.wait()
        finally:
            if nc is not None:
                with contextlib.suppress(NatsError):
                    await nc.close()
