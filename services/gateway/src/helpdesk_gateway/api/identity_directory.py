"""REST for identity's directory: users, units, client groups, positions (docs/api-conventions.md).

Reads for signed-in users (identity refuses clients a user listing); writes for admins.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request
from helpdesk.identity.v1 import identity_pb2 as id_pb
from pydantic import Field

from helpdesk_gateway.api.models.identity import (
    ROLE_PB,
    ClientGroup,
    ClientGroupList,
    Position,
    PositionList,
    RoleName,
    Unit,
    UnitList,
    User,
    UserList,
)
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.values import Id, IdOrZero, IdPath, IdQuery, line
from helpdesk_gateway.auth import AdminDep, CallerDep
from helpdesk_kit.errors import Forbidden, NotFound

router = api_router()


class NameIn(Strict):
    name: str = line(200, min_length=1)


class ClientGroupIn(Strict):
    name: str = line(200, min_length=1)
    lead_id: Id | None = None


class UserIn(Strict):
    login: str = line(64, min_length=2)
    password: str | None = Field(default=None, min_length=8, max_length=1000)
    full_name: str = line(200, min_length=1)
    email: str = line(254, default="")
    phone: str = line(50, default="")
    kind: Literal["staff", "client"]
    role: RoleName | None = None
    unit_ids: list[Id] = Field(default_factory=list, max_length=1000)
    client_group_id: Id | None = None
    is_client_group_lead: bool = False
    is_admin: bool = False
    position_id: Id | None = None
    language: Literal["en", "ru"] = "en"
    pushbullet: str = line(200, default="")
    time_zone: str = line(64, default="")
    ldap: bool = False


class UserPatch(Strict):
    login: str | None = line(64, min_length=2, default=None)
    password: str | None = Field(default=None, min_length=8, max_length=1000)
    full_name: str | None = line(200, min_length=1, default=None)
    email: str | None = line(254, default=None)
    phone: str | None = line(50, default=None)
    role: RoleName | None = None
    unit_ids: list[Id] | None = Field(default=None, max_length=1000)
    client_group_id: IdOrZero | None = None
    is_client_group_lead: bool | None = None
    is_admin: bool | None = None
    position_id: IdOrZero | None = None
    language: Literal["en", "ru"] | None = None
    pushbullet: str | None = line(200, default=None)
    time_zone: str | None = line(64, default=None)
    status: Literal["active", "disabled"] | None = None


@router.get("/users")
async def list_users(
    caller: CallerDep,
    request: Request,
    q: Annotated[str, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")] = "",
    unit_id: IdQuery = None,
    kind: Literal["staff", "client"] | None = None,
    cursor: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9]+$")] = None,
    limit: Annotated[int, Query(description="clamped into 1-200")] = 50,
) -> UserList:
    kinds = {"staff": id_pb.USER_KIND_STAFF, "client": id_pb.USER_KIND_CLIENT}
    after = int(cursor) if cursor else 0
    resp = await clients(request).identity.ListUsers(
        id_pb.ListUsersRequest(
            q=q,
            unit_id=unit_id or 0,
            kind=kinds[kind] if kind else id_pb.USER_KIND_UNSPECIFIED,
            after_id=min(after, 2**63 - 1),
            limit=max(1, min(limit, 200)),
        )
    )
    return UserList.of(
        items=[User.from_pb(u) for u in resp.users],
        next_cursor=str(resp.next_after_id) if resp.next_after_id else None,
    )


@router.post("/users", status_code=201)
async def create_user(body: UserIn, admin: AdminDep, request: Request) -> User:
    user = await clients(request).identity.CreateUser(
        id_pb.CreateUserRequest(
            login=body.login,
            password=body.password or "",
            full_name=body.full_name,
            email=body.email,
            phone=body.phone,
            kind=id_pb.USER_KIND_CLIENT if body.kind == "client" else id_pb.USER_KIND_STAFF,
            role=ROLE_PB[body.role] if body.role else id_pb.ROLE_UNSPECIFIED,
            unit_ids=body.unit_ids,
            client_group_id=body.client_group_id or 0,
            is_client_group_lead=body.is_client_group_lead,
            is_admin=body.is_admin,
            position_id=body.position_id or 0,
            language=body.language,
            pushbullet=body.pushbullet,
            time_zone=body.time_zone,
            ldap=body.ldap,
        )
    )
    return User.from_pb(user)


@router.get("/users/{user_id}")
async def get_user(user_id: IdPath, caller: CallerDep, request: Request) -> User:
    user = await clients(request).identity.GetUser(id_pb.GetUserRequest(user_id=user_id))
    return User.from_pb(user)


_PLAIN_FIELDS = (
    "login",
    "password",
    "full_name",
    "email",
    "phone",
    "is_client_group_lead",
    "is_admin",
    "language",
    "pushbullet",
    "time_zone",
)


@router.patch("/users/{user_id}")
async def update_user(user_id: IdPath, body: UserPatch, admin: AdminDep, request: Request) -> User:
    sent = body.model_fields_set
    req = id_pb.UpdateUserRequest(user_id=user_id)
    for name in _PLAIN_FIELDS:
        if name in sent and getattr(body, name) is not None:
            setattr(req, name, getattr(body, name))
    if "role" in sent:
        req.role = ROLE_PB[body.role] if body.role else id_pb.ROLE_UNSPECIFIED
    if "unit_ids" in sent:
        req.set_unit_ids = True
        req.unit_ids.extend(body.unit_ids or [])
    if "client_group_id" in sent:
        req.client_group_id = body.client_group_id or 0
    if "position_id" in sent:
        req.position_id = body.position_id or 0
    if "status" in sent and body.status is not None:
        req.is_active = body.status == "active"
    user = await clients(request).identity.UpdateUser(req)
    clients(request).names.put(str(user.id), user.full_name or user.login)
    return User.from_pb(user)


@router.delete("/users/{user_id}")
async def disable_user(user_id: IdPath, admin: AdminDep, request: Request) -> User:
    """Users are never deleted: this disables the user (sign-in, sessions and tokens stop)."""
    user = await clients(request).identity.DisableUser(id_pb.DisableUserRequest(user_id=user_id))
    return User.from_pb(user)


@router.get("/units")
async def list_units(caller: CallerDep, request: Request) -> UnitList:
    resp = await clients(request).identity.ListUnits(id_pb.ListUnitsRequest())
    return UnitList.of(items=[Unit.of(id=u.id, name=u.name) for u in resp.units], next_cursor=None)


@router.post("/units", status_code=201)
async def create_unit(body: NameIn, admin: AdminDep, request: Request) -> Unit:
    unit = await clients(request).identity.CreateUnit(id_pb.CreateUnitRequest(name=body.name))
    return Unit.of(id=unit.id, name=unit.name)


@router.get("/units/{unit_id}")
async def get_unit(unit_id: IdPath, caller: CallerDep, request: Request) -> Unit:
    resp = await clients(request).identity.ListUnits(id_pb.ListUnitsRequest())
    for u in resp.units:
        if u.id == unit_id:
            return Unit.of(id=u.id, name=u.name)
    raise NotFound("No such unit.")


@router.patch("/units/{unit_id}")
async def update_unit(unit_id: IdPath, body: NameIn, admin: AdminDep, request: Request) -> Unit:
    unit = await clients(request).identity.UpdateUnit(
        id_pb.UpdateUnitRequest(unit_id=unit_id, name=body.name)
    )
    return Unit.of(id=unit.id, name=unit.name)


@router.get("/units/{unit_id}/members")
async def unit_members(unit_id: IdPath, caller: CallerDep, request: Request) -> UserList:
    if caller.kind == "client":
        raise Forbidden("Clients cannot list unit members.")
    resp = await clients(request).identity.ListUnitMembers(id_pb.ListUnitMembersRequest(unit_id=unit_id))
    return UserList.of(items=[User.from_pb(u) for u in resp.users], next_cursor=None)


@router.get("/client-groups")
async def list_client_groups(caller: CallerDep, request: Request) -> ClientGroupList:
    resp = await clients(request).identity.ListClientGroups(id_pb.ListClientGroupsRequest())
    return ClientGroupList.of(items=[ClientGroup.from_pb(g) for g in resp.groups], next_cursor=None)


@router.post("/client-groups", status_code=201)
async def create_client_group(body: ClientGroupIn, admin: AdminDep, request: Request) -> ClientGroup:
    g = await clients(request).identity.CreateClientGroup(
        id_pb.CreateClientGroupRequest(name=body.name, lead_id=body.lead_id or 0)
    )
    return ClientGroup.from_pb(g)


@router.get("/positions")
async def list_positions(caller: CallerDep, request: Request) -> PositionList:
    resp = await clients(request).identity.ListPositions(id_pb.ListPositionsRequest())
    return PositionList.of(
        items=[Position.of(id=p.id, name=p.name) for p in resp.positions], next_cursor=None
    )


@router.post("/positions", status_code=201)
async def create_position(body: NameIn, admin: AdminDep, request: Request) -> Position:
    p = await clients(request).identity.CreatePosition(id_pb.CreatePositionRequest(name=body.name))
    return Position.of(id=p.id, name=p.name)


class ClientGroupPatch(Strict):
    name: str | None = line(200, min_length=1, default=None)
    lead_id: IdOrZero | None = None  # null or 0 = no lead


@router.patch("/client-groups/{group_id}")
async def update_client_group(
    group_id: IdPath, body: ClientGroupPatch, admin: AdminDep, request: Request
) -> ClientGroup:
    clear = "lead_id" in body.model_fields_set and not body.lead_id
    g = await clients(request).identity.UpdateClientGroup(
        id_pb.UpdateClientGroupRequest(
            id=group_id,
            name=body.name or "",
            lead_id=body.lead_id or 0,
            clear_lead=clear,
        )
    )
    return ClientGroup.from_pb(g)


@router.delete("/client-groups/{group_id}", status_code=204)
async def delete_client_group(group_id: IdPath, admin: AdminDep, request: Request) -> None:
    await clients(request).identity.DeleteClientGroup(id_pb.DeleteRequest(id=group_id))


@router.patch("/positions/{position_id}")
async def update_position(position_id: IdPath, body: NameIn, admin: AdminDep, request: Request) -> Position:
    p = await clients(request).identity.UpdatePosition(
        id_pb.UpdatePositionRequest(id=position_id, name=body.name)
    )
    return Position.of(id=p.id, name=p.name)


@router.delete("/positions/{position_id}", status_code=204)
async def delete_position(position_id: IdPath, admin: AdminDep, request: Request) -> None:
    await clients(request).identity.DeletePosition(id_pb.DeleteRequest(id=position_id))


@router.delete("/units/{unit_id}", status_code=204)
async def delete_unit(unit_id: IdPath, admin: AdminDep, request: Request) -> None:
    await clients(request).identity.DeleteUnit(id_pb.DeleteRequest(id=unit_id))
