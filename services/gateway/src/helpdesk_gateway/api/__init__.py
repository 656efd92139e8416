"""REST /api/v1: one router per service it fronts. Handlers translate HTTP ⇄ gRPC, nothing more."""

from __future__ import annotations

from fastapi import APIRouter

from helpdesk_gateway.api import (
    identity,
    notify,
    realtime,
    reports,
    sla,
    system,
    system_dead_letters,
    tickets,
)

router = APIRouter()
for area in (identity, tickets, reports, sla, notify, realtime, system, system_dead_letters):
    router.include_router(area.router)
