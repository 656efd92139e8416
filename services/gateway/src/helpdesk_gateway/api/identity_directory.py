"""REST for identity's directory: users, units, client groups, positions (docs/api-conventions.md).

Reads for signed-in users (identity refuses clients a user listing); writes for admins.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import ORJSONResponse
from helpdesk.identity.v1 import identity_pb2 as id_pb
from pydantic import Field

from helpdesk_gateway.api.shapes import Strict, clients, page
from helpdesk_gateway.auth import AdminDep, CallerDep
from helpdesk_kit.errors import FieldError, Forbidden, InvalidInput, NotFound

router = APIRouter(default_response_class=ORJSONResponse)

ROLE_PB = {
    "department_head": id_pb.ROLE_DEPARTMENT_HEAD,
    "unit_head": id_pb.ROLE_UNIT_HEAD,
    "unit_member": id_pb.ROLE_UNIT_MEMBER,
}
ROLE_NAME = {v: k for k, v in ROLE_PB.items()}
RoleName = Literal["department_head", "unit_head", "unit_member"]


class NameIn(Strict):
    name: str = Field(min_length=1, max_length=200)


class ClientGroupIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    lead_id: int | None = None


class UserIn(Strict):
    login: str = Field(min_length=2, max_length=64)
    password: str | None = Field(default=None, min_length=8, max_length=1000)
    full_name: str = Field(min_length=1, max_length=200)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=50)
    kind: Literal["staff", "client"]
    role: RoleName | None = None
    unit_ids: list[int] = Field(default_factory=list)
    client_group_id: int | None = None
    is_client_group_lead: bool = False
    is_admin: bool = False
    position_id: int | None = None
    language: Literal["en", "ru"] = "en"
    pushbullet: str = Field(default="", max_length=200)
    time_zone: str = Field(default="", max_length=64)
    ldap: bool = False


class UserPatch(Strict):
    login: str | None = Field(default=None, min_length=2, max_length=64)
    password: str | None = Field(default=None, min_length=8, max_length=1000)
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=50)
    role: RoleName | None = None
    unit_ids: list[int] | None = None
    client_group_id: int | None = None
    is_client_group_lead: bool | None = None
    is_admin: bool | None = None
    position_id: int | None = None
    language: Literal["en", "ru"] | None = None
    pushbullet: str | None = Field(default=None, max_length=200)
    time_zone: str | None = Field(default=None, max_length=64)
    status: Literal["active", "disabled"] | None = None


def user_out(u: id_pb.User) -> dict[str, Any]:
    is_client = u.kind == id_pb.USER_KIND_CLIENT
    return {
        "id": u.id,
        "login": u.login,
        "full_name": u.full_name,
        "email": u.email,
        "phone": u.phone,
        "kind": "client" if is_client else "staff",
        "role": ROLE_NAME.get(u.role),
        "unit_ids": list(u.unit_ids),
        "client_group_id": u.client_group_id or None,
        "is_client_group_lead": u.is_client_group_lead,
        "is_admin": u.is_admin,
        "position_id": u.position_id or None,
        "language": u.language,
        "pushbullet": u.pushbullet,
        "time_zone": u.time_zone or None,
        "status": "active" if u.is_active else "disabled",
    }


@router.get("/users", response_model=None)
async def list_users(
    caller: CallerDep,
    request: Request,
    q: str = "",
    unit_id: int | None = None,
    kind: Literal["staff", "client"] | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    if cursor is not None and not cursor.isdigit():
        raise InvalidInput("Bad cursor.", errors=[FieldError("cursor", "use next_cursor of a previous page")])
    kinds = {"staff": id_pb.USER_KIND_STAFF, "client": id_pb.USER_KIND_CLIENT}
    resp = await clients(request).identity.ListUsers(
        id_pb.ListUsersRequest(
            q=q[:200],
            unit_id=unit_id or 0,
            kind=kinds[kind] if kind else id_pb.USER_KIND_UNSPECIFIED,
            after_id=int(cursor) if cursor else 0,
            limit=max(1, min(limit, 200)),
        )
    )
    return page([user_out(u) for u in resp.users], str(resp.next_after_id) if resp.next_after_id else None)


@router.post("/users", response_model=None, status_code=201)
async def create_user(body: UserIn, admin: AdminDep, request: Request) -> dict[str, Any]:
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
    return user_out(user)


@router.get("/users/{user_id}", response_model=None)
async def get_user(user_id: int, caller: CallerDep, request: Request) -> dict[str, Any]:
    user = await clients(request).identity.GetUser(id_pb.GetUserRequest(user_id=user_id))
    return user_out(user)


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


@router.patch("/users/{user_id}", response_model=None)
async def update_user(user_id: int, body: UserPatch, admin: AdminDep, request: Request) -> dict[str, Any]:
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
    return user_out(user)


@router.delete("/users/{user_id}", response_model=None)
async def disable_user(user_id: int, admin: AdminDep, request: Request) -> dict[str, Any]:
    """Users are never deleted: this disables the user (sign-in, sessions and tokens stop)."""
    user = await clients(request).identity.DisableUser(id_pb.DisableUserRequest(user_id=user_id))
    return user_out(user)


@router.get("/units", response_model=None)
async def list_units(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.ListUnits(id_pb.ListUnitsRequest())
    return page([{"id": u.id, "name": u.name} for u in resp.units])


@router.post("/units", response_model=None, status_code=201)
async def create_unit(body: NameIn, admin: AdminDep, request: Request) -> dict[str, Any]:
    unit = await clients(request).identity.CreateUnit(id_pb.CreateUnitRequest(name=body.name))
    return {"id": unit.id, "name": unit.name}


@router.get("/units/{unit_id}", response_model=None)
async def get_unit(unit_id: int, caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.ListUnits(id_pb.ListUnitsRequest())
    for u in resp.units:
        if u.id == unit_id:
            return {"id": u.id, "name": u.name}

    raise NotFound("No such unit.")


@router.patch("/units/{unit_id}", response_model=None)
async def update_unit(unit_id: int, body: NameIn, admin: AdminDep, request: Request) -> dict[str, Any]:
    unit = await clients(request).identity.UpdateUnit(
        id_pb.UpdateUnitRequest(unit_id=unit_id, name=body.name)
    )
    return {"id": unit.id, "name": unit.name}


@router.get("/units/{unit_id}/members", response_model=None)
async def unit_members(unit_id: int, caller: CallerDep, request: Request) -> dict[str, Any]:
    if caller.kind == "client":
        raise Forbidden("Clients cannot list unit members.")
    resp = await clients(request).identity.ListUnitMembers(id_pb.ListUnitMembersRequest(unit_id=unit_id))
    return page([user_out(u) for u in resp.users])


@router.get("/client-groups", response_model=None)
async def list_client_groups(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.ListClientGroups(id_pb.ListClientGroupsRequest())
    return page([{"id": g.id, "name": g.name, "lead_id": g.lead_id or None} for g in resp.groups])


@router.post("/client-groups", response_model=None, status_code=201)
async def create_client_group(body: ClientGroupIn, admin: AdminDep, request: Request) -> dict[str, Any]:
    g = await clients(request).identity.CreateClientGroup(
        id_pb.CreateClientGroupRequest(name=body.name, lead_id=body.lead_id or 0)
    )
    return {"id": g.id, "name": g.name, "lead_id": g.lead_id or None}


@router.get("/positions", response_model=None)
async def list_positions(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.ListPositions(id_pb.ListPositionsRequest())
    return page([{"id": p.id, "name": p.name} for p in resp.positions])


@router.post("/positions", response_model=None, status_code=201)
async def create_position(body: NameIn, admin: AdminDep, request: Request) -> dict[str, Any]:
    p = await clients(request).identity.CreatePosition(id_pb.CreatePositionRequest(name=body.name))
    return {"id": p.id, "name": p.name}


class ClientGroupPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    lead_id: int | None = Field(default=None, ge=0)  # null or 0 = no lead


@router.patch("/client-groups/{group_id}", response_model=None)
async def update_client_group(
    group_id: int, body: ClientGroupPatch, admin: AdminDep, request: Request
) -> dict[str, Any]:
    clear = "lead_id" in body.model_fields_set and not body.lead_id
    g = await clients(request).identity.UpdateClientGroup(
        id_pb.UpdateClientGroupRequest(
            id=group_id,
            name=body.name or "",
            lead_id=body.lead_id or 0,
            clear_lead=clear,
        )
    )
    return {"id": g.id, "name": g.name, "lead_id": g.lead_id or None}


@router.delete("/client-groups/{group_id}", response_model=None, status_code=204)
async def delete_client_group(group_id: int, admin: AdminDep, request: Request) -> None:
    await clients(request).identity.DeleteClientGroup(id_pb.DeleteRequest(id=group_id))


@router.patch("/positions/{position_id}", response_model=None)
async def update_position(
    position_id: int, body: NameIn, admin: AdminDep, request: Request
) -> dict[str, Any]:
    p = await clients(request).identity.UpdatePosition(
        id_pb.UpdatePositionRequest(id=position_id, name=body.name)
    )
    return {"id": p.id, "name": p.name}


@router.delete("/positions/{position_id}", response_model=None, status_code=204)
async def delete_position(position_id: int, admin: AdminDep, request: Request) -> None:
    await clients(request).identity.DeletePosition(id_pb.DeleteRequest(id=position_id))


@router.delete("/units/{unit_id}", response_model=None, status_code=204)
async def delete_unit(unit_id: int, admin: AdminDep, request: Request) -> None:
    await clients(request).identity.DeleteUnit(id_pb.DeleteRequest(id=unit_id))
