"""REST for the portal's settings (admins): ``/api/v1/settings/portal``, beside the other
services' sections — and outside ``/api/v1/portal/``, which is all 404 while it is off."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import ORJSONResponse
from helpdesk.portal.v1 import portal_pb2 as pb

from helpdesk_gateway.api.portal_shapes import PortalSettingsIn, PortalSettingsOut, settings_out
from helpdesk_gateway.api.shapes import clients
from helpdesk_gateway.auth import CallerDep

router = APIRouter(prefix="/api/v1", default_response_class=ORJSONResponse)


@router.get("/settings/portal", response_model=PortalSettingsOut)
async def get_settings(caller: CallerDep, request: Request) -> PortalSettingsOut:
    return settings_out(await clients(request).portal.GetSettings(pb.GetSettingsRequest()))


@router.put("/settings/portal", response_model=PortalSettingsOut)
async def put_settings(body: PortalSettingsIn, caller: CallerDep, request: Request) -> PortalSettingsOut:
    saved = await clients(request).portal.PutSettings(
        pb.PutSettingsRequest(settings=pb.Settings(**body.model_dump()))
    )
    return settings_out(saved)
