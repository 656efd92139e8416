"""NATS JetStream: connecting, declaring a service's stream, and the event envelope.

Each publishing service has one stream named after it in capitals (``TICKETS``)
holding the subjects ``<service>.<EventName>``. A message carries the protobuf
payload, ``Nats-Msg-Id`` (the outbox id, for de-duplication), ``Helpdesk-Event-Type``
(the protobuf full name) and the W3C trace context.

``HELPDESK_NATS_URL`` may name several servers of a cluster, comma-separated
(``nats://a:4222,nats://b:4222,nats://c:4222``); the client also learns the others
from the server it reaches. ``HELPDESK_NATS_STREAM_REPLICAS`` (default 1) is the
number of copies JetStream keeps of each stream: 3 on a three-node cluster.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from helpdesk_kit.config import StreamSettings
from helpdesk_kit.logs import get_logger

__all__ = [
    "DUPLICATE_WINDOW_SECONDS",
    "EVENT_TYPE_HEADER",
    "MSG_ID_HEADER",
    "RETENTION_SECONDS",
    "connect",
    "connected_check",
    "ensure_stream",
    "server_urls",
    "stream_name",
    "stream_replicas",
    "subject",
]

log = get_logger(__name__)

EVENT_TYPE_HEADER = "Helpdesk-Event-Type"
MSG_ID_HEADER = "Nats-Msg-Id"
# JetStream drops a re-published message with the same Nats-Msg-Id within this window.
DUPLICATE_WINDOW_SECONDS = 600.0
RETENTION_SECONDS = 7 * 24 * 3600.0


def stream_name(service: str) -> str:
    return service.upper()


def subject(service: str, event_name: str) -> str:
    return f"{service}.{event_name}"


def server_urls(url: str) -> list[str]:
    """The servers a ``HELPDESK_NATS_URL`` names (one, or a comma-separated list)."""
    return [part.strip() for part in url.split(",") if part.strip()]


async def connect(url: str, *, name: str) -> NATS:
    """A connection that reconnects forever: NATS going away must not end the process."""

    async def on_disconnect() -> None:
        log.warning("nats.disconnected")

    async def on_reconnect() -> None:
        log.info("nats.reconnected")

    async def on_error(exc: Exception) -> None:
        log.warning("nats.error", error=str(exc))

    nc: NATS = await nats.connect(
        server_urls(url),
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        error_cb=on_error,
    )
    return nc


def connected_check(nc: NATS) -> Callable[[], Awaitable[bool]]:
    """A readiness check: is the connection up (not reconnecting)?"""

    async def check() -> bool:
        return bool(nc.is_connected)

    return check


@functools.cache
def stream_replicas() -> int:
    """``HELPDESK_NATS_STREAM_REPLICAS``, read once per process."""
    return StreamSettings().nats_stream_replicas


async def ensure_stream(js: JetStreamContext, service: str, *, replicas: int | None = None) -> None:
    """Creates the service's stream, or brings an existing one to this configuration
    (its replica count included: JetStream adds or removes copies in place)."""
    config = StreamConfig(
        name=stream_name(service),
        subjects=[f"{service}.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=RETENTION_SECONDS,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas or stream_replicas(),
    )
    try:
        await js.add_stream(config)
    except BadRequestError:
        # The stream exists with another configuration (e.g. another replica count).
        info = await js.update_stream(config)
        log.info("streams.updated", stream=config.name, replicas=info.config.num_replicas)
