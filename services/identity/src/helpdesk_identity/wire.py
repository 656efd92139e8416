"""Domain ⇄ protobuf: users and API tokens as identity's gRPC methods answer them."""

from __future__ import annotations

from helpdesk.identity.v1 import identity_pb2 as pb

from helpdesk_identity.domain import Kind, Role, User
from helpdesk_identity.store import ApiTokenRow
from helpdesk_kit.timestamps import to_timestamp as _ts

__all__ = ["KIND_IN", "KIND_PB", "ROLE_IN", "ROLE_PB", "api_token_pb", "user_to_pb"]

KIND_PB = {Kind.STAFF: pb.USER_KIND_STAFF, Kind.CLIENT: pb.USER_KIND_CLIENT}
ROLE_PB = {
    Role.DEPARTMENT_HEAD: pb.ROLE_DEPARTMENT_HEAD,
    Role.UNIT_HEAD: pb.ROLE_UNIT_HEAD,
    Role.UNIT_MEMBER: pb.ROLE_UNIT_MEMBER,
}
KIND_IN = {v: k for k, v in KIND_PB.items()}
ROLE_IN = {v: k for k, v in ROLE_PB.items()}


def user_to_pb(u: User) -> pb.User:
    return pb.User(
        id=u.id,
        login=u.login,
        full_name=u.full_name,
        email=u.email,
        phone=u.phone,
        kind=KIND_PB[u.kind],
        role=ROLE_PB[u.role] if u.role else pb.ROLE_UNSPECIFIED,
        unit_ids=u.unit_ids,
        client_group_id=u.client_group_id or 0,
        is_client_group_lead=u.is_client_group_lead,
        is_admin=u.is_admin,
        position_id=u.position_id or 0,
        language=u.language,
        is_active=u.is_active,
        pushbullet=u.pushbullet,
        time_zone=u.time_zone,
        public_hash=u.public_hash,
    )


def api_token_pb(row: ApiTokenRow) -> pb.ApiToken:
    return pb.ApiToken(
        id=row.id,
        name=row.name,
        created_at=_ts(row.created_at),
        expires_at=_ts(row.expires_at),
        last_used_at=_ts(row.last_used_at),
    )
