"""``GET /api/v1/system``: versions, each service's health, the queues."""

from __future__ import annotations

from typing import Literal

from helpdesk_gateway.api.models.base import Out, Page, Timestamp

Status = Literal["up", "down"]


class ServiceHealth(Out):
    name: str
    status: Status


class ConsumerState(Out):
    name: str
    num_pending: int
    num_ack_pending: int
    num_redelivered: int


class StreamState(Out):
    name: str
    messages: int
    bytes: int
    consumers: list[ConsumerState]


class Queues(Out):
    status: Status
    streams: list[StreamState]


class SystemInfo(Out):
    """``status`` is ``degraded`` while any service or the queues are down: the gateway
    still answers, and the routes of what is down answer 503."""

    status: Literal["ok", "degraded"]
    versions: dict[str, str]
    services: list[ServiceHealth]
    queues: Queues


class ParkedEvent(Out):
    """An event a service's consumer parked (gave up on), with why."""

    id: int
    service: str
    consumer: str
    event_id: str
    subject: str
    event_type: str
    error: str
    deliveries: int
    created_at: Timestamp | None


class ParkedEventList(Page):
    items: list[ParkedEvent]


class ReplayFailure(Out):
    id: int
    error: str


class ParkedReplay(Out):
    replayed: list[int]
    failed: list[ReplayFailure]
