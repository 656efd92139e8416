"""gRPC ⇄ use cases for helpdesk.identity.v1.Identity."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from helpdesk.identity.v1 import identity_pb2 as pb
from helpdesk.identity.v1 import identity_pb2_grpc as pb_grpc

from helpdesk_identity import usecases
from helpdesk_identity.config import Settings
from helpdesk_identity.domain import Kind, NewUser, Role, User
from helpdesk_kit.db import Database
from helpdesk_kit.errors import Unauthenticated

_KIND = {Kind.STAFF: pb.USER_KIND_STAFF, Kind.CLIENT: pb.USER_KIND_CLIENT}
_ROLE = {
    Role.DEPARTMENT_HEAD: pb.ROLE_DEPARTMENT_HEAD,
    Role.UNIT_HEAD: pb.ROLE_UNIT_HEAD,
    Role.UNIT_MEMBER: pb.ROLE_UNIT_MEMBER,
}
_KIND_IN = {v: k for k, v in _KIND.items()}
_ROLE_IN = {v: k for k, v in _ROLE.items()}


def user_to_pb(u: User) -> pb.User:
    return pb.User(
        id=u.id,
        login=u.login,
        full_name=u.full_name,
        email=u.email,
        phone=u.phone,
        kind=_KIND[u.kind],
        role=_ROLE[u.role] if u.role else pb.ROLE_UNSPECIFIED,
        unit_ids=u.unit_ids,
        client_group_id=u.client_group_id or 0,
        is_client_group_lead=u.is_client_group_lead,
        is_admin=u.is_admin,
        position_id=u.position_id or 0,
        language=u.language,
        is_active=u.is_active,
    )


Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


class IdentityService(pb_grpc.IdentityServicer):
    def __init__(self, *, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings

    async def _actor(self, actor_id: int) -> User:
        actor = await usecases.actor_by_id(db=self._db, user_id=actor_id)
        if actor is None:
            raise Unauthenticated("The caller is unknown or disabled.")
        return actor

    async def Login(self, request: pb.LoginRequest, context: Context) -> pb.LoginResponse:
        token, refresh, user = await usecases.login(
            db=self._db,
            login=request.login,
            password=request.password,
            access_ttl=self._settings.access_token_ttl_seconds,
            refresh_ttl=self._settings.refresh_token_ttl_seconds,
        )
        return pb.LoginResponse(
            access_token=token,
            refresh_token=refresh,
            expires_in=self._settings.access_token_ttl_seconds,
            user=user_to_pb(user),
        )

    async def GetVerificationKeys(
        self, request: pb.GetVerificationKeysRequest, context: Context
    ) -> pb.GetVerificationKeysResponse:
        keys = await usecases.verification_keys(
            db=self._db, access_ttl=self._settings.access_token_ttl_seconds
        )
        return pb.GetVerificationKeysResponse(
            keys=[pb.VerificationKey(key_id=k, algorithm="EdDSA", public_key_pem=v) for k, v in keys.items()]
        )

    async def GetUsers(self, request: pb.GetUsersRequest, context: Context) -> pb.GetUsersResponse:
        users = await usecases.get_users(db=self._db, ids=list(request.ids))
        return pb.GetUsersResponse(users=[user_to_pb(u) for u in users])

    async def ListUnitMembers(
        self, request: pb.ListUnitMembersRequest, context: Context
    ) -> pb.ListUnitMembersResponse:
        users = await usecases.unit_members(db=self._db, unit_id=request.unit_id)
        return pb.ListUnitMembersResponse(users=[user_to_pb(u) for u in users])

    async def ListUnitHeads(
        self, request: pb.ListUnitHeadsRequest, context: Context
    ) -> pb.ListUnitHeadsResponse:
        users = await usecases.unit_heads(db=self._db, unit_ids=list(request.unit_ids))
        return pb.ListUnitHeadsResponse(users=[user_to_pb(u) for u in users])

    async def CreateUser(self, request: pb.CreateUserRequest, context: Context) -> pb.User:
        new = NewUser(
            login=request.login,
            full_name=request.full_name,
            kind=_KIND_IN.get(request.kind, Kind.STAFF),
            role=_ROLE_IN.get(request.role),
            unit_ids=list(request.unit_ids),
            email=request.email,
            phone=request.phone,
            is_admin=request.is_admin,
            language=request.language or "en",
            password=request.password or None,
        )
        user = await usecases.create_user(db=self._db, actor=await self._actor(request.actor_id), new=new)
        return user_to_pb(user)

    async def CreateUnit(self, request: pb.CreateUnitRequest, context: Context) -> pb.Unit:
        unit_id, name = await usecases.create_unit(
            db=self._db, actor=await self._actor(request.actor_id), name=request.name
        )
        return pb.Unit(id=unit_id, name=name)

    async def ListUnits(self, request: pb.ListUnitsRequest, context: Context) -> pb.ListUnitsResponse:
        units = await usecases.list_units(db=self._db)
        return pb.ListUnitsResponse(units=[pb.Unit(id=i, name=n) for i, n in units])
