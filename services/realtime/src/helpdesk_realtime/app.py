"""Composition root of the realtime service: builds and runs its parts."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI
from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.identity.v1 import identity_pb2_grpc
from helpdesk.tickets.v1 import tickets_pb2, tickets_pb2_grpc
from nats.aio.client import Client as NATS
from nats.aio.subscription import Subscription
from redis.asyncio import BlockingConnectionPool, Redis

from helpdesk_kit.errors import AppError, Unauthenticated
from helpdesk_kit.http import create_app, http_server
from helpdesk_kit.logs import get_logger
from helpdesk_kit.origins import OriginPolicy
from helpdesk_kit.rpc import channel
from helpdesk_kit.runtime import start_process
from helpdesk_kit.tokens import KeyFetcher, TokenVerifier
from helpdesk_kit.trust import Mesh, acting_for, identity_keys, passport_verifier
from helpdesk_realtime import api
from helpdesk_realtime.config import Settings
from helpdesk_realtime.consumers import (
    NOTIFICATION_CREATED,
    PRESENCE,
    SLA_EVENTS,
    TICKET_EVENTS,
    Dispatcher,
    TicketAudiences,
    on_presence,
)
from helpdesk_realtime.domain import Viewer
from helpdesk_realtime.frames import FrameLimits, redis_storage
from helpdesk_realtime.hub import Connection, Hub
from helpdesk_realtime.journal import Journal
from helpdesk_realtime.presence import Presence, TicketAccess
from helpdesk_realtime.revocations import (
    API_TOKEN_REVOKED,
    SESSION_REVOKED,
    USER_CHANGED,
    on_api_token_revoked,
    on_session_revoked,
    on_user_changed,
)

SERVICE = "realtime"
log = get_logger(__name__)

# Active users of the given ids (identity); None when it cannot be asked now.
ActiveUsers = Callable[[list[int]], Awaitable[set[int] | None]]
# The sessions of the given ids that still count (not signed out, revoked or expired),
# each with its user as he is now; None when identity cannot be asked now.
ActiveSessions = Callable[[list[str]], Awaitable[dict[str, Viewer] | None]]
# The user of a session as he is now; None when the session no longer counts.
SessionViewer = Callable[[str], Awaitable[Viewer | None]]
# A personal API token's holder as he is now; None when the token no longer counts.
ApiTokenHolder = Callable[[str], Awaitable[api.TokenHolder | None]]


class IdentitySessions:
    """Sign-in sessions as identity sees them now: a fresh passport per session (kept a
    few seconds), and the user as the passport describes him."""

    def __init__(
        self, stub: identity_pb2_grpc.IdentityAsyncStub, verifier: TokenVerifier, ttl: float = 5.0
    ) -> None:
        self._stub = stub
        self._verifier = verifier
        self._ttl = ttl
        self._passports: dict[str, tuple[float, str]] = {}

    async def passport(self, session_id: str) -> str:
        """The session's passport; "" when the session no longer counts."""
        cached = self._passports.get(session_id)
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        resp = await self._stub.CheckSession(id_pb.CheckSessionRequest(session_id=session_id))
        self._remember({session_id: resp.passport} if resp.active else {}, [session_id])
        return resp.passport if resp.active else ""

    async def viewer(self, session_id: str) -> Viewer | None:
        passport = await self.passport(session_id)
        return Viewer.from_claims(await self._verifier.verify(passport)) if passport else None

    async def viewers(self, session_ids: list[str]) -> dict[str, Viewer]:
        """The sessions of these that still count, each with its user as he is now."""
        resp = await self._stub.CheckSessions(id_pb.CheckSessionsRequest(session_ids=session_ids))
        found = dict(resp.passports)
        self._remember(found, session_ids)
        return {sid: Viewer.from_claims(await self._verifier.verify(p)) for sid, p in found.items()}

    async def api_token_holder(self, token: str) -> api.TokenHolder | None:
        """The holder of a personal API token as identity sees him now (as the gateway asks
        for its API calls); None when the token no longer counts. Not kept: asked once per
        socket and at each periodic check, never per message."""
        try:
            resp = await self._stub.AuthenticateApiToken(id_pb.AuthenticateApiTokenRequest(token=token))
        except Unauthenticated:
            return None
        viewer = Viewer.from_claims(await self._verifier.verify(resp.passport))
        return api.TokenHolder(
            token_id=resp.token_id,
            viewer=viewer,
            login=resp.user.login,
            name=resp.user.full_name or resp.user.login,
        )

    def _remember(self, found: dict[str, str], asked: list[str]) -> None:
        now = time.monotonic()
        for sid in asked:
            if sid in found:
                self._passports[sid] = (now, found[sid])
            else:
                self._passports.pop(sid, None)


class TicketsAccess:
    """May this session's user see this ticket? Asked of the tickets service, with the
    user's passport (its rules: docs/product/roles.md § Visibility)."""

    def __init__(self, stub: tickets_pb2_grpc.TicketsAsyncStub, sessions: IdentitySessions) -> None:
        self._stub = stub
        self._sessions = sessions

    async def can_view(self, viewer: Viewer, ticket_id: int, *, session_id: str) -> bool:
        passport = await self._sessions.passport(session_id) if session_id else ""
        if not passport:
            return False
        try:
            with acting_for(passport):
                await self._stub.GetTicket(tickets_pb2.GetTicketRequest(ticket_id=ticket_id))
        except AppError:
            return False
        return True


@dataclass
class Realtime:
    """One replica's parts, running: its HTTP app and what it subscribed."""

    app: FastAPI
    hub: Hub
    parts: api.Parts


@contextlib.asynccontextmanager
async def running(
    settings: Settings,
    *,
    nc: NATS,
    redis: Redis,
    fetch_keys: KeyFetcher,
    access: TicketAccess,
    active_users: ActiveUsers | None = None,
    active_sessions: ActiveSessions | None = None,
    session_viewer: SessionViewer | None = None,
    api_token_holder: ApiTokenHolder | None = None,
) -> AsyncIterator[Realtime]:
    """Subscribes, builds the app and runs the background loops until the block ends."""
    hub = Hub(queue_size=settings.socket_queue_size)
    journal = Journal(
        redis, window_seconds=settings.resume_window_seconds, max_entries=settings.journal_max_entries
    )

    async def publish_presence(data: bytes) -> None:
        await nc.publish(PRESENCE, data)

    presence = Presence(redis, publish_presence, ttl_seconds=settings.presence_ttl_seconds)
    dispatcher = Dispatcher(hub, journal, TicketAudiences(redis))
    subs = [
        await nc.subscribe(NOTIFICATION_CREATED, cb=dispatcher.handler(dispatcher.decode_notification)),
        await nc.subscribe(TICKET_EVENTS, cb=dispatcher.handler(dispatcher.decode_ticket_event)),
        await nc.subscribe(PRESENCE, cb=on_presence(hub)),
    ]
    for name in SLA_EVENTS:
        subs.append(await nc.subscribe(name, cb=dispatcher.handler(dispatcher.decode_sla_event)))

    subs += await _follow_revocations(nc, hub, active_sessions, api_token_holder)
    await nc.flush()

    # Ready = this process serves sockets. NATS or Redis away affect every replica alike:
    # taking them all out would close every socket; nats-py re-subscribes when NATS is
    # back, and presence and the journal degrade meanwhile (docs/operations.md § Readiness).
    app = create_app(service=SERVICE, readiness={})
    parts = api.Parts(
        hub=hub,
        verifier=TokenVerifier(fetch_keys),
        journal=journal,
        presence=presence,
        access=access,
        origins=OriginPolicy.of(settings.public_url, settings.ws_allowed_origins),
        frames=FrameLimits(
            settings.rate_socket_frames,
            settings.rate_socket_frames_per_user,
            redis_storage(settings.redis_url, redis.connection_pool),
        ),
        session_viewer=session_viewer,
        api_token_holder=api_token_holder,
    )
    api.add_routes(app, parts)
    loops = [asyncio.create_task(dispatcher.run()), asyncio.create_task(_heartbeats(hub, presence))]
    if active_users is not None or active_sessions is not None:
        check = _close_ended(
            hub, active_users, active_sessions, api_token_holder, settings.user_check_seconds
        )
        loops.append(asyncio.create_task(check))
    try:
        yield Realtime(app=app, hub=hub, parts=parts)
    finally:
        for task in loops:
            task.cancel()
        for sub in subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()


async def _follow_revocations(
    nc: NATS, hub: Hub, active_sessions: ActiveSessions | None, api_token_holder: ApiTokenHolder | None
) -> list[Subscription]:
    """Identity's revocations close this replica's sockets at once (``revocations``)."""

    async def recheck(user_id: int) -> None:
        if active_sessions is None:
            return
        try:
            conns = hub.connections_of(user_id)
            await _kick_ended(hub, None, active_sessions, api_token_holder, only=conns)
        except (AppError, OSError) as exc:  # identity away: the periodic check catches up
            log.warning("realtime.identity_unavailable", error=str(exc))

    return [
        await nc.subscribe(SESSION_REVOKED, cb=on_session_revoked(hub)),
        await nc.subscribe(USER_CHANGED, cb=on_user_changed(hub, recheck)),
        await nc.subscribe(API_TOKEN_REVOKED, cb=on_api_token_revoked(hub)),
    ]


async def _heartbeats(hub: Hub, presence: Presence, *, arrivals_every: float = 0.25) -> None:
    """Keeps this replica's users online and its viewers listed while their sockets are open.

    Newly connected users are marked online within ``arrivals_every`` (one batch,
    not one Redis call per socket: a reconnect storm stays cheap); everything is
    refreshed every third of the TTL.
    """
    last_full = 0.0
    while True:
        try:
            if time.monotonic() - last_full >= presence.ttl_seconds / 3:
                last_full = time.monotonic()
                hub.take_arrived()
                viewing = [
                    (
                        c.id,
                        c.viewing,
                        {"user_id": c.user_id, "login": c.login, "name": c.name, "typing": c.typing},
                    )
                    for c in hub.connections()
                    if c.viewing is not None
                ]
                await presence.heartbeat(hub.user_ids(), viewing)
            elif arrived := hub.take_arrived():
                await presence.heartbeat(arrived, [])
        except Exception as exc:  # noqa: BLE001 - degrade, never crash the socket or the loop
            log.warning("realtime.presence_unavailable", error=str(exc))
        await asyncio.sleep(min(arrivals_every, presence.ttl_seconds / 3))


async def _close_ended(
    hub: Hub,
    active_users: ActiveUsers | None,
    active_sessions: ActiveSessions | None,
    api_token_holder: ApiTokenHolder | None,
    every: float,
) -> None:
    """Closes the sockets of users identity no longer knows as active (disabled, deleted)
    and of sessions that ended (signed out, revoked by a password change, expired)."""
    while True:
        await asyncio.sleep(every)
        try:
            await _kick_ended(hub, active_users, active_sessions, api_token_holder)
        except Exception as exc:  # noqa: BLE001 - degrade, never crash the socket or the loop
            log.warning("realtime.identity_unavailable", error=str(exc))


async def _kick_ended(
    hub: Hub,
    active_users: ActiveUsers | None,
    active_sessions: ActiveSessions | None,
    api_token_holder: ApiTokenHolder | None = None,
    *,
    only: list[Connection] | None = None,
) -> None:
    """Closes the sockets (all, or ``only`` these) of inactive users and of ended sessions."""
    conns = list(hub.connections()) if only is None else only
    user_ids = sorted({c.user_id for c in conns})
    if active_users is not None and user_ids:
        active = await active_users(user_ids)
        if active is not None:
            for user_id in set(user_ids) - active:
                for conn in hub.connections_of(user_id):
                    conn.kick("user disabled")
    session_ids = sorted({c.session_id for c in conns if c.session_id})
    if active_sessions is not None and session_ids:
        still = await active_sessions(session_ids)
        if still is not None:
            _kick_changed(conns, still)
    if api_token_holder is not None:
        await _kick_ended_tokens([c for c in conns if c.api_token], api_token_holder)


async def _kick_ended_tokens(conns: list[Connection], api_token_holder: ApiTokenHolder) -> None:
    """Expired tokens, and revocations missed while NATS was away: identity is asked about
    each token socket again (the same answer a new socket would get)."""
    for conn in conns:
        holder = await api_token_holder(conn.api_token)
        if holder is None:
            conn.kick("token revoked")
        elif holder.viewer != conn.viewer:
            conn.kick("rights changed")


def _kick_changed(conns: list[Connection], still: dict[str, Viewer]) -> None:
    """Sockets of ended sessions close; so do those whose user's rights changed (role,
    units, admin flag, client group): the client reconnects and gets what he may see now."""
    for conn in conns:
        if not conn.session_id:
            continue
        now = still.get(conn.session_id)
        if now is None:
            conn.kick("session ended")
        elif now != conn.viewer:
            conn.kick("rights changed")


def open_redis(settings: Settings) -> Redis:
    """A bounded pool: a burst of sockets waits for a connection rather than failing."""
    pool = BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=settings.redis_max_connections, timeout=5
    )
    return Redis(connection_pool=pool)


async def serve(settings: Settings) -> None:
    life = start_process(service=SERVICE, settings=settings)
    nc, _ = await life.open_nats(settings.nats_url, name=SERVICE)
    redis = open_redis(settings)
    life.on_stop(redis.aclose)
    mesh = Mesh.from_settings(settings, service=SERVICE)
    deadline = settings.rpc_deadline_seconds
    identity = channel(settings.identity_addr, service="identity", mesh=mesh, deadline=deadline)
    life.on_stop(identity.close)
    tickets = channel(settings.tickets_addr, service="tickets", mesh=mesh, deadline=deadline)
    life.on_stop(tickets.close)
    stub: identity_pb2_grpc.IdentityAsyncStub = identity_pb2_grpc.IdentityStub(identity)
    fetch_keys = identity_keys(identity)
    sessions = IdentitySessions(stub, passport_verifier(fetch_keys))

    async def active_users(user_ids: list[int]) -> set[int] | None:
        resp = await stub.GetUsers(id_pb.GetUsersRequest(ids=user_ids))
        return {u.id for u in resp.users if u.is_active}

    stack = contextlib.AsyncExitStack()
    life.on_stop(stack.aclose)
    rt = await stack.enter_async_context(
        running(
            settings,
            nc=nc,
            redis=redis,
            fetch_keys=fetch_keys,
            access=TicketsAccess(tickets_pb2_grpc.TicketsStub(tickets), sessions),
            active_users=active_users,
            active_sessions=sessions.viewers,
            session_viewer=sessions.viewer,
            api_token_holder=sessions.api_token_holder,
        )
    )
    life.serve_http(http_server(rt.app, port=settings.http_port, host=settings.bind_host))
    await life.run_until_stopped()


async def migrate(settings: Settings) -> None:
    """Realtime keeps nothing durable: there is nothing to migrate."""
