"""NATS users and permissions: each service may publish and subscribe exactly what it needs.

A service that publishes facts owns the stream named after it (``TICKETS`` holds
``tickets.>``): only it may publish there and create or change that stream. A consumer
may create, read and pull from its own durable consumers only, and ack their
messages. Replies come to ``_INBOX.>``. Anonymous connections are refused.

The rules are computed here once; ``make run`` writes them into its ``nats.conf``,
and the Helm chart's NATS configuration is checked against them by a test
(``tests/contracts``), so both stay the same.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["NatsAccess", "new_password", "permissions", "server_authorization"]

REPLIES = "_INBOX.>"


@dataclass(frozen=True)
class NatsAccess:
    """What one service does with NATS (its ``[service.nats]`` table in devstack.toml)."""

    # Publishes its facts to its own stream (``<service>.>``).
    publishes: bool = False
    # Its durable consumers: durable name → the service whose stream it reads.
    consumers: Mapping[str, str] = field(default_factory=dict)
    # Core NATS subjects it may publish / subscribe to besides the above.
    publish: tuple[str, ...] = ()
    subscribe: tuple[str, ...] = ()
    # Reads streams' and consumers' state (the admin system page).
    monitor: bool = False

    @classmethod
    def from_table(cls, raw: Mapping[str, object]) -> NatsAccess:
        consumers = raw.get("consumers", {})
        if not isinstance(consumers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in consumers.items()
        ):
            raise ValueError("nats.consumers must map durable names to services")
        return cls(
            publishes=bool(raw.get("publishes", False)),
            consumers=dict(consumers),
            publish=tuple(str(s) for s in _list(raw, "publish")),
            subscribe=tuple(str(s) for s in _list(raw, "subscribe")),
            monitor=bool(raw.get("monitor", False)),
        )


def _list(raw: Mapping[str, object], key: str) -> list[object]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"nats.{key} must be a list")
    return value


def permissions(service: str, access: NatsAccess) -> dict[str, dict[str, list[str]]]:
    """The nats-server ``permissions`` block of ``service``'s user."""
    publish: list[str] = []
    subscribe: list[str] = [REPLIES]
    if access.publishes:
        stream = service.upper()
        publish += [
            f"{service}.>",
            "$JS.API.INFO",
            f"$JS.API.STREAM.CREATE.{stream}",
            f"$JS.API.STREAM.UPDATE.{stream}",
            f"$JS.API.STREAM.INFO.{stream}",
        ]
    for durable, source in sorted(access.consumers.items()):
        stream = source.upper()
        publish += [
            f"$JS.API.STREAM.INFO.{stream}",
            f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",
            f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>",
            f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
            f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
            f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
            # The oldest unfinished event, read by the consumer's lag gauge.
            f"$JS.API.STREAM.MSG.GET.{stream}",
            f"$JS.ACK.{stream}.{durable}.>",
        ]
    if access.monitor:
        publish += [
            "$JS.API.INFO",
            "$JS.API.STREAM.NAMES",
            "$JS.API.STREAM.LIST",
            "$JS.API.STREAM.INFO.*",
            "$JS.API.CONSUMER.NAMES.*",
            "$JS.API.CONSUMER.LIST.*",
            "$JS.API.CONSUMER.INFO.*.*",
        ]
    publish += list(access.publish)
    subscribe += list(access.subscribe)
    return {
        "publish": {"allow": sorted(set(publish))},
        "subscribe": {"allow": sorted(set(subscribe))},
    }


def server_authorization(users: Mapping[str, tuple[str, NatsAccess]]) -> str:
    """The ``authorization`` block of a nats-server config: one user per service
    (name → (password, access)). JSON is valid nats-server config syntax."""
    entries = [
        {"user": name, "password": password, "permissions": permissions(name, access)}
        for name, (password, access) in sorted(users.items())
    ]
    return "authorization " + json.dumps({"users": entries}, indent=2) + "\n"


def new_password() -> str:
    return secrets.token_urlsafe(24)
