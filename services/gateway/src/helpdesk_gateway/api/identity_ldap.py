"""REST for identity's LDAP / Active Directory link (admins only): settings, test, sync."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import ORJSONResponse
from helpdesk.identity.v1 import identity_pb2 as id_pb

from helpdesk_gateway.api.shapes import clients
from helpdesk_gateway.auth import AdminDep

router = APIRouter(default_response_class=ORJSONResponse)


@router.get("/settings/ldap", response_model=None)
async def get_ldap_settings(admin: AdminDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.GetLdapSettings(id_pb.LdapSettingsRequest())
    data: dict[str, Any] = orjson.loads(resp.settings_json)
    return data


@router.put("/settings/ldap", response_model=None)
async def put_ldap_settings(body: dict[str, Any], admin: AdminDep, request: Request) -> dict[str, Any]:
    """The whole settings object; send the masked bind password back to keep the stored one."""
    resp = await clients(request).identity.PutLdapSettings(
        id_pb.LdapSettingsRequest(settings_json=orjson.dumps(body).decode())
    )
    data: dict[str, Any] = orjson.loads(resp.settings_json)
    return data


@router.post("/ldap/test", response_model=None)
async def test_ldap(admin: AdminDep, request: Request) -> dict[str, Any]:
    r = await clients(request).identity.TestLdap(id_pb.LdapActionRequest())
    return {"ok": r.ok, "detail": r.detail, "users_found": r.users_found}


@router.post("/ldap/sync", response_model=None)
async def sync_ldap(admin: AdminDep, request: Request) -> dict[str, Any]:
    r = await clients(request).identity.SyncLdap(id_pb.LdapActionRequest())
    return {"created": r.created, "updated": r.updated, "disabled": r.disabled}
