"""The WebSocket endpoint: authenticate, register with the hub, pump events out, read the client.

Server → client: ``hello`` first, then events (``notification``, ``ticket.updated``,
``counters``; each with an ``event_id``), ``presence``, ``online``, ``resync``,
``error``. Client → server (JSON text frames):

- ``{"resume_from": <event_id>}`` (or ``?resume_from=`` on the URL): what was
  missed since that id, within the resume window, each event once;
- ``{"type": "viewing", "ticket_id": N}`` / ``{"type": "viewing", "ticket_id": null}``;
- ``{"type": "typing", "ticket_id": N, "typing": true|false}``;
- ``{"type": "online"}`` (staff only): who is online;
- ``{"type": "ping"}`` → ``{"type": "pong"}``.

Who may connect: a page of the configured origins (``helpdesk_kit.origins``), with the
access token in the ``helpdesk_access`` cookie, ``?token=`` or the ``Authorization``
header; a program (no ``Origin``) only with ``Authorization: Bearer``, carrying an access
token or a personal API token (``hd_…``, only in that header): identity says whose it is
and what he may see now (a passport), and the socket sees what that user sees. A revoked
token's sockets close at once (``revocations``), an expired or disabled one's at the
periodic check. Messages over the
rate limits (``frames``) are dropped and answered ``{"type": "error", "code":
"rate_limited", "retry_after": s}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from helpdesk_kit.errors import Unauthenticated
from helpdesk_kit.logs import get_logger
from helpdesk_kit.origins import OriginPolicy
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_realtime.domain import Viewer, may_receive
from helpdesk_realtime.frames import FrameLimits
from helpdesk_realtime.hub import Connection, Hub, encode
from helpdesk_realtime.journal import Journal
from helpdesk_realtime.presence import Presence, TicketAccess

log = get_logger(__name__)

POLICY_VIOLATION = 1008
MAX_REPLAY = 1000


@dataclass
class Parts:
    hub: Hub
    verifier: TokenVerifier
    journal: Journal
    presence: Presence
    access: TicketAccess
    origins: OriginPolicy
    frames: FrameLimits
    # The user of a session as identity sees him now (from a fresh passport): his role,
    # units and admin flag decide what the socket receives, not the access token's
    # claims, which may be minutes old. None: the token's claims (tests without identity).
    session_viewer: Callable[[str], Awaitable[Viewer | None]] | None = None
    # A personal API token's holder as identity sees him now; None when the token no
    # longer counts (unknown, revoked, expired, user disabled). Unset: tokens are refused.
    api_token_holder: Callable[[str], Awaitable[TokenHolder | None]] | None = None


@dataclass(frozen=True)
class TokenHolder:
    token_id: int
    viewer: Viewer
    login: str
    name: str


API_TOKEN_PREFIX = "hd_"  # identity's personal API tokens (never a JWT, which starts "ey")


class ClientError(Exception):
    pass


def add_routes(app: FastAPI, parts: Parts) -> None:
    @app.websocket("/ws")
    async def ws(socket: WebSocket) -> None:
        admitted = await _admit(socket, parts)
        if admitted is None:
            return
        claims, viewer = admitted
        await socket.accept()
        conn = parts.hub.open(viewer, socket.send_text)
        conn.login = str(claims.get("login") or "")
        conn.name = str(claims.get("name") or conn.login)
        conn.session_id = str(claims.get("sid") or "")
        conn.api_token_id = int(claims.get("api_token_id") or 0)
        conn.api_token = str(claims.get("api_token") or "")
        session = Session(parts, socket, conn)
        resume_from = _int_or_none(socket.query_params.get("resume_from"))
        if resume_from is not None:
            conn.hold()
        pump = asyncio.create_task(conn.pump())
        # An API token has no expiry in hand: the periodic check closes its socket when it ends.
        lifetime = max(claims["exp"] - time.time(), 0) if "exp" in claims else None
        expiry = asyncio.create_task(
            asyncio.sleep(lifetime) if lifetime is not None else asyncio.Event().wait()
        )
        kicked = asyncio.create_task(conn.kicked.wait())
        reader = asyncio.create_task(session.read_until_closed())
        tasks = [pump, expiry, kicked, reader]
        try:
            await socket.send_json({"type": "hello", "user_id": conn.user_id})
            if resume_from is not None:
                await session.resume(resume_from)
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            try:
                await session.leave()
            finally:
                parts.hub.close(conn)
            reason = None
            if expiry.done() and not expiry.cancelled():
                reason = "token expired"
            elif conn.kicked.is_set():
                reason = conn.kick_reason
            if reason:
                with contextlib.suppress(RuntimeError):
                    await socket.close(code=POLICY_VIOLATION, reason=reason)


async def _admit(socket: WebSocket, parts: Parts) -> tuple[dict[str, Any], Viewer] | None:
    """The token's claims and the viewer it names; None when the socket was refused (closed
    with 1008 before it opened: a 403 to the client)."""
    token, refusal = _credential(socket, parts.origins)
    if refusal is not None:
        await socket.close(code=POLICY_VIOLATION, reason=refusal)
        return None
    if token.startswith(API_TOKEN_PREFIX):
        return await _admit_api_token(socket, parts, token)
    try:
        claims = await parts.verifier.verify(token)
    except Unauthenticated as exc:
        await socket.close(code=POLICY_VIOLATION, reason=exc.detail)
        return None
    viewer = await _current_viewer(parts, claims)
    if viewer is None:
        await socket.close(code=POLICY_VIOLATION, reason="The session has ended: sign in again.")
        return None
    return claims, viewer


async def _admit_api_token(
    socket: WebSocket, parts: Parts, token: str
) -> tuple[dict[str, Any], Viewer] | None:
    """A program's socket with a personal API token: only from the ``Authorization`` header
    (a URL or cookie would leak it into logs and pages), and only while identity accepts it."""
    header = socket.headers.get("authorization", "")
    holder = None
    if parts.api_token_holder is not None and header.partition(" ")[2].strip() == token:
        holder = await parts.api_token_holder(token)
    if holder is None:
        await socket.close(code=POLICY_VIOLATION, reason="The API token is unknown, revoked or expired.")
        return None
    claims = {"login": holder.login, "name": holder.name, "api_token_id": holder.token_id, "api_token": token}
    return claims, holder.viewer


def _credential(socket: WebSocket, origins: OriginPolicy) -> tuple[str, str | None]:
    """(the token, why the socket may not open or None). A browser's page (``Origin``) must be
    one of ours, and may use the cookie; a program (no ``Origin``) only the header: a cookie
    or URL token without an ``Origin`` is no browser's, so nothing to accept."""
    scheme, _, bearer = socket.headers.get("authorization", "").partition(" ")
    bearer = bearer.strip() if scheme.lower() == "bearer" else ""
    origin = socket.headers.get("origin")
    refusal = origins.refusal(origin, bearer=bool(bearer))
    if refusal is not None:
        return "", refusal
    if bearer or origin is None:
        return bearer, None
    return socket.query_params.get("token") or socket.cookies.get("helpdesk_access", ""), None


async def _current_viewer(parts: Parts, claims: dict[str, Any]) -> Viewer | None:
    session_id = str(claims.get("sid") or "")
    if parts.session_viewer is None or not session_id:
        return Viewer.from_claims(claims)
    return await parts.session_viewer(session_id)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


class Session:
    """One socket's conversation: what the client sends and what it is answered."""

    def __init__(self, parts: Parts, socket: WebSocket, conn: Connection) -> None:
        self.parts = parts
        self.socket = socket
        self.conn = conn
        self.budget = parts.frames.budget()
        self._quiet_until = 0.0  # told to slow down: not told again before this

    def reply(self, message: dict[str, Any]) -> None:
        self.conn.offer(encode(message, None))

    async def read_until_closed(self) -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                text = await self.socket.receive_text()
                if wait := await self.parts.frames.wait(self.budget, self.conn.user_id):
                    self.slow_down(wait)
                    continue
                try:
                    await self.handle(text)
                except ClientError as exc:
                    self.reply({"type": "error", "detail": str(exc)})

    def slow_down(self, wait: int) -> None:
        """The message is dropped; the client hears why once per wait, not once per message."""
        now = time.monotonic()
        if now >= self._quiet_until:
            self._quiet_until = now + wait
            self.reply(
                {"type": "error", "code": "rate_limited", "detail": "Too many messages.", "retry_after": wait}
            )

    async def handle(self, text: str) -> None:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ClientError("Messages are JSON objects.") from exc
        if not isinstance(msg, dict):
            raise ClientError("Messages are JSON objects.")
        if "resume_from" in msg:
            after = _int_or_none(msg["resume_from"])
            if after is None or after < 0:
                raise ClientError("resume_from is an event id (a non-negative integer).")
            self.conn.hold()
            await self.resume(after)
            return
        kind = msg.get("type")
        if kind == "ping":
            self.reply({"type": "pong"})
        elif kind == "online":
            await self.online()
        elif kind in ("viewing", "typing"):
            await self.view(msg.get("ticket_id"), typing=kind == "typing" and msg.get("typing", True) is True)
        else:
            raise ClientError(f"Unknown message type {kind!r}.")

    async def resume(self, after: int) -> None:
        try:
            replay = await self.parts.journal.replay(after, limit=MAX_REPLAY)
        except Exception as exc:  # noqa: BLE001 - Redis down: the client refetches instead
            log.warning("realtime.journal_unavailable", error=str(exc))
            self.conn.release((), incomplete=True)
            return
        viewer = self.conn.viewer
        replayed = [
            (e.id, encode(m, e.id))
            for e in replay.entries
            if may_receive(viewer, e.audience)
            for m in e.messages
        ]
        self.conn.release(replayed, incomplete=replay.incomplete)

    async def online(self) -> None:
        if self.conn.viewer.is_client:
            raise ClientError("Only staff see who is online.")
        self.reply({"type": "online", "user_ids": await self.parts.presence.online()})

    async def view(self, raw_ticket_id: Any, *, typing: bool) -> None:
        if raw_ticket_id is None:
            await self.leave()
            return
        ticket_id = _int_or_none(raw_ticket_id)
        if ticket_id is None or ticket_id <= 0:
            raise ClientError("ticket_id is a ticket id.")
        if self.conn.viewing != ticket_id:
            if not await self.parts.access.can_view(
                self.conn.viewer, ticket_id, session_id=self.conn.session_id
            ):
                raise ClientError(f"Ticket {ticket_id} not found.")
            await self.leave()
        self.parts.hub.view(self.conn, ticket_id)
        self.conn.typing = typing
        await self.parts.presence.set_viewing(
            self.conn.id, ticket_id, self.conn.viewer, self.conn.login, typing=typing, name=self.conn.name
        )

    async def leave(self) -> None:
        ticket_id = self.conn.viewing
        self.parts.hub.view(self.conn, None)
        if ticket_id is not None:
            try:
                await self.parts.presence.leave(self.conn.id, ticket_id)
            except Exception as exc:  # noqa: BLE001 - degrade, never crash the socket or the loop
                log.warning("realtime.presence_unavailable", error=str(exc))
