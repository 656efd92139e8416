"""REST for identity's LDAP / Active Directory link (admins only): settings, test, sync."""

from __future__ import annotations

import orjson
from fastapi import Request
from helpdesk.identity.v1 import identity_pb2 as id_pb
from pydantic import Field

from helpdesk_gateway.api.models.identity import LdapSettings, LdapSync, LdapTest, RoleName
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.values import Id, line, text
from helpdesk_gateway.auth import AdminDep

router = api_router()


class LdapGroupIn(Strict):
    group_dn: str = line(1000, min_length=1)
    unit_id: Id | None = None
    role: RoleName = "unit_member"


class LdapSettingsIn(Strict):
    """The whole settings object; send the masked bind password back to keep the stored one."""

    enabled: bool = False
    url: str = line(500, default="", description="ldaps://host[:port] or ldap://host[:port]")
    start_tls: bool = True
    ca_pem: str = text(100_000, default="")
    base_dn: str = line(1000, default="")
    bind_dn: str = line(1000, default="")
    bind_password: str = line(1000, default="")
    user_filter: str = line(1000, default="(objectClass=inetOrgPerson)")
    bind_template: str = line(1000, default="")
    attr_login: str = line(100, default="uid")
    attr_full_name: str = line(100, default="cn")
    attr_email: str = line(100, default="mail")
    attr_phone: str = line(100, default="telephoneNumber")
    default_role: RoleName = "unit_member"
    groups: list[LdapGroupIn] = Field(default_factory=list, max_length=500)


def _settings(resp: id_pb.LdapSettings) -> LdapSettings:
    return LdapSettings.from_json(orjson.loads(resp.settings_json))


@router.get("/settings/ldap")
async def get_ldap_settings(admin: AdminDep, request: Request) -> LdapSettings:
    return _settings(await clients(request).identity.GetLdapSettings(id_pb.LdapSettingsRequest()))


@router.put("/settings/ldap")
async def put_ldap_settings(body: LdapSettingsIn, admin: AdminDep, request: Request) -> LdapSettings:
    """The whole settings object; send the masked bind password back to keep the stored one."""
    resp = await clients(request).identity.PutLdapSettings(
        id_pb.LdapSettingsRequest(settings_json=body.model_dump_json())
    )
    return _settings(resp)


@router.post("/ldap/test")
async def test_ldap(admin: AdminDep, request: Request) -> LdapTest:
    r = await clients(request).identity.TestLdap(id_pb.LdapActionRequest())
    return LdapTest.of(ok=r.ok, detail=r.detail, users_found=r.users_found)


@router.post("/ldap/sync")
async def sync_ldap(admin: AdminDep, request: Request) -> LdapSync:
    r = await clients(request).identity.SyncLdap(id_pb.LdapActionRequest())
    return LdapSync.of(created=r.created, updated=r.updated, disabled=r.disabled)
