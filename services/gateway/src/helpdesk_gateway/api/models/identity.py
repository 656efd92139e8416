"""Identity's resources: users, tokens, the directory, LDAP settings."""

from __future__ import annotations

from typing import Any, Literal

from helpdesk.identity.v1 import identity_pb2 as id_pb

from helpdesk_gateway.api.models.base import Out, Page, Timestamp
from helpdesk_gateway.api.shapes import ts
from helpdesk_kit.resources import user_fields

RoleName = Literal["department_head", "unit_head", "unit_member"]
ROLE_PB = {
    "department_head": id_pb.ROLE_DEPARTMENT_HEAD,
    "unit_head": id_pb.ROLE_UNIT_HEAD,
    "unit_member": id_pb.ROLE_UNIT_MEMBER,
}
ROLE_NAME = {v: k for k, v in ROLE_PB.items()}


class User(Out):
    id: int
    login: str
    full_name: str
    email: str
    phone: str
    kind: Literal["staff", "client"]
    role: RoleName | None
    unit_ids: list[int]
    client_group_id: int | None
    is_client_group_lead: bool
    is_admin: bool
    position_id: int | None
    language: str
    pushbullet: str
    time_zone: str | None
    status: Literal["active", "disabled"]

    @classmethod
    def from_pb(cls, u: id_pb.User) -> User:
        # One mapping for the API's answers and notify's webhook events (helpdesk_kit.resources).
        return cls.of(**user_fields(u))


class UserList(Page):
    items: list[User]


class Tokens(Out):
    """A sign-in's answer: bearer tokens and the signed-in user."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"]
    expires_in: int
    user: User

    @classmethod
    def from_pb(cls, r: id_pb.LoginResponse) -> Tokens:
        return cls.of(
            access_token=r.access_token,
            refresh_token=r.refresh_token,
            token_type="bearer",
            expires_in=r.expires_in,
            user=User.from_pb(r.user),
        )


class ApiToken(Out):
    id: int
    name: str
    created_at: Timestamp | None
    expires_at: Timestamp | None
    last_used_at: Timestamp | None

    @classmethod
    def fields_of(cls, t: id_pb.ApiToken) -> dict[str, Any]:
        return {
            "id": t.id,
            "name": t.name,
            "created_at": ts(t.created_at),
            "expires_at": ts(t.expires_at),
            "last_used_at": ts(t.last_used_at),
        }

    @classmethod
    def from_pb(cls, t: id_pb.ApiToken) -> ApiToken:
        return cls.of(**cls.fields_of(t))


class NewApiToken(ApiToken):
    """The create answer: the only time the secret is shown."""

    token: str

    @classmethod
    def from_pb(cls, t: id_pb.ApiToken) -> NewApiToken:
        return cls.of(**cls.fields_of(t), token=t.secret)


class ApiTokenList(Page):
    items: list[ApiToken]


class ZenlixKey(Out):
    """A key for ZENLIX's JSON API (POST /api), as listed: the key itself is never shown again."""

    id: int
    name: str
    created_at: Timestamp | None
    last_used_at: Timestamp | None

    @classmethod
    def fields_of(cls, k: id_pb.ApiToken) -> dict[str, Any]:
        return {
            "id": k.id,
            "name": k.name,
            "created_at": ts(k.created_at),
            "last_used_at": ts(k.last_used_at),
        }

    @classmethod
    def from_pb(cls, k: id_pb.ApiToken) -> ZenlixKey:
        return cls.of(**cls.fields_of(k))


class NewZenlixKey(ZenlixKey):
    """The create answer: the only time the key is shown."""

    key: str

    @classmethod
    def from_pb(cls, k: id_pb.ApiToken) -> NewZenlixKey:
        return cls.of(**cls.fields_of(k), key=k.secret)


class ZenlixKeyList(Page):
    items: list[ZenlixKey]


class TotpSetup(Out):
    secret: str
    provisioning_uri: str
    enabled: bool


class TotpState(Out):
    enabled: bool


class Unit(Out):
    id: int
    name: str


class UnitList(Page):
    items: list[Unit]


class Position(Out):
    id: int
    name: str


class PositionList(Page):
    items: list[Position]


class ClientGroup(Out):
    id: int
    name: str
    lead_id: int | None

    @classmethod
    def from_pb(cls, g: id_pb.ClientGroup) -> ClientGroup:
        return cls.of(id=g.id, name=g.name, lead_id=g.lead_id or None)


class ClientGroupList(Page):
    items: list[ClientGroup]


class LdapGroup(Out):
    group_dn: str
    unit_id: int | None
    role: RoleName


class LdapSettings(Out):
    """The LDAP link; ``bind_password`` reads back as ``********`` when one is stored."""

    enabled: bool
    url: str
    start_tls: bool
    ca_pem: str
    base_dn: str
    bind_dn: str
    bind_password: str
    user_filter: str
    bind_template: str
    attr_login: str
    attr_full_name: str
    attr_email: str
    attr_phone: str
    default_role: RoleName
    groups: list[LdapGroup]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LdapSettings:
        groups = [LdapGroup.of(**g) for g in data.get("groups", [])]
        return cls.of(**{**data, "groups": groups})


class LdapTest(Out):
    ok: bool
    detail: str
    users_found: int


class LdapSync(Out):
    created: int
    updated: int
    disabled: int
