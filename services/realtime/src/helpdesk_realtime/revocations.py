"""Identity's word that access ended or changed, applied to this replica's sockets at once.

- ``identity.SessionRevoked`` → the sockets of those sessions close (1008 ``session ended``);
- ``identity.ApiTokenRevoked`` → the sockets opened with those personal API tokens close
  (``token revoked``);
- ``identity.UserChanged`` → a disabled user's sockets close (``user disabled``); for any
  other change his sessions are asked about anew and the sockets whose rights changed
  close (``rights changed``): the browser reconnects and gets what he may see now.

Plain subscriptions on every replica, like the others; the periodic check of open
sockets (``HELPDESK_USER_CHECK_SECONDS``) stays the fallback while NATS is away.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from google.protobuf.message import DecodeError
from helpdesk.identity.v1 import events_pb2 as identity_events
from nats.aio.msg import Msg

from helpdesk_kit.logs import get_logger
from helpdesk_kit.streams import subject
from helpdesk_realtime.hub import Hub

log = get_logger(__name__)

SESSION_REVOKED = subject("identity", "SessionRevoked")
USER_CHANGED = subject("identity", "UserChanged")
API_TOKEN_REVOKED = subject("identity", "ApiTokenRevoked")

Handler = Callable[[Msg], Awaitable[None]]
# Asks identity about the user's open sessions and closes the sockets whose rights changed.
Recheck = Callable[[int], Awaitable[None]]


def on_session_revoked(hub: Hub) -> Handler:
    async def handle(msg: Msg) -> None:
        try:
            ended = set(identity_events.SessionRevoked.FromString(msg.data).session_ids)
        except DecodeError:
            log.warning("realtime.bad_event", subject=msg.subject)
            return
        for conn in hub.connections():
            if conn.session_id and conn.session_id in ended:
                conn.kick("session ended")

    return handle


def on_api_token_revoked(hub: Hub) -> Handler:
    async def handle(msg: Msg) -> None:
        try:
            revoked = identity_events.ApiTokenRevoked.FromString(msg.data)
        except DecodeError:
            log.warning("realtime.bad_event", subject=msg.subject)
            return
        ended = set(revoked.token_ids)
        for conn in hub.connections_of(revoked.user_id):
            if conn.api_token_id in ended:
                conn.kick("token revoked")

    return handle


def on_user_changed(hub: Hub, recheck: Recheck | None) -> Handler:
    async def handle(msg: Msg) -> None:
        try:
            changed = identity_events.UserChanged.FromString(msg.data)
        except DecodeError:
            log.warning("realtime.bad_event", subject=msg.subject)
            return
        if not changed.is_active:
            for conn in hub.connections_of(changed.user_id):
                conn.kick("user disabled")
        elif recheck is not None and hub.connections_of(changed.user_id):
            await recheck(changed.user_id)

    return handle
