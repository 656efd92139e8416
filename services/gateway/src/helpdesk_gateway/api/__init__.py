"""REST /api/v1: one router per service it fronts. Handlers translate HTTP ⇄ gRPC, nothing more."""

from __future__ import annotations

from fastapi import APIRouter

from helpdesk_gateway.api import (
    identity,
    mailin,
    notify,
    portal,
    portal_settings,
    realtime,
    reports,
    sla,
    system,
    system_dead_letters,
    tickets,
    webhooks,
)

router = APIRouter()
AREAS = (
    identity,
    tickets,
    reports,
    sla,
    notify,
    mailin,
    portal,
    portal_settings,
    realtime,
    system,
    system_dead_letters,
    webhooks,
)
for area in AREAS:
    router.include_router(area.router)
