"""REST for the portal's settings (admins): ``/api/v1/settings/portal``, beside the other
services' sections — and outside ``/api/v1/portal/``, which is all 404 while it is off."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request
from helpdesk.portal.v1 import portal_pb2 as pb
from pydantic import Field

from helpdesk_gateway.api.models.portal import PortalSettings
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.values import LINE, Id, line, text
from helpdesk_gateway.auth import CallerDep

router = api_router(prefix="/api/v1")

ContentType = Annotated[str, Field(min_length=3, max_length=100, pattern=LINE)]
DEFAULT_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"]


class PortalSettingsIn(Strict):
    enabled: bool = False
    title: str = line(200, default="")
    intro: str = text(5000, default="")
    notify_user_ids: Annotated[list[Id], Field(max_length=50)] = []
    posts_per_hour: int = Field(default=5, ge=0, le=10_000, description="per user; 0: no limit")
    comments_per_hour: int = Field(default=30, ge=0, le=10_000, description="per user; 0: no limit")
    max_file_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=10 * 1024 * 1024)
    allowed_types: Annotated[list[ContentType], Field(min_length=1, max_length=50)] = DEFAULT_TYPES


@router.get("/settings/portal")
async def get_settings(caller: CallerDep, request: Request) -> PortalSettings:
    return PortalSettings.from_pb(await clients(request).portal.GetSettings(pb.GetSettingsRequest()))


@router.put("/settings/portal")
async def put_settings(body: PortalSettingsIn, caller: CallerDep, request: Request) -> PortalSettings:
    c = clients(request)
    saved = await c.portal.PutSettings(pb.PutSettingsRequest(settings=pb.Settings(**body.model_dump())))
    # This gateway knows the switch at once; the others within the 2 s they keep it.
    c.portal_switch.put("on", saved.enabled)
    return PortalSettings.from_pb(saved)
