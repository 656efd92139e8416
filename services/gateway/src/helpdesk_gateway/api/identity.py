"""REST for identity: sign-in, me, users, units (API.md "Auth and me", "Directory")."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import ORJSONResponse
from helpdesk.identity.v1 import identity_pb2 as id_pb
from pydantic import Field

from helpdesk_gateway.api.shapes import Strict, clients, page
from helpdesk_gateway.auth import AdminDep, CallerDep

router = APIRouter(prefix="/api/v1", default_response_class=ORJSONResponse)

ROLE_PB = {
    "department_head": id_pb.ROLE_DEPARTMENT_HEAD,
    "unit_head": id_pb.ROLE_UNIT_HEAD,
    "unit_member": id_pb.ROLE_UNIT_MEMBER,
}
ROLE_NAME = {v: k for k, v in ROLE_PB.items()}


class LoginIn(Strict):
    login: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class UnitIn(Strict):
    name: str = Field(min_length=1, max_length=200)


class UserIn(Strict):
    login: str = Field(min_length=2, max_length=64)
    password: str | None = Field(default=None, min_length=8, max_length=1000)
    full_name: str = Field(min_length=1, max_length=200)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=50)
    kind: Literal["staff", "client"]
    role: Literal["department_head", "unit_head", "unit_member"] | None = None
    unit_ids: list[int] = Field(default_factory=list)
    is_admin: bool = False
    language: Literal["en", "ru"] = "en"


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
        "status": "active" if u.is_active else "disabled",
    }


@router.post("/auth/login", response_model=None)
async def login(body: LoginIn, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.Login(
        id_pb.LoginRequest(
            login=body.login,
            password=body.password,
            client_address=request.client.host if request.client else "",
        )
    )
    return {
        "access_token": resp.access_token,
        "refresh_token": resp.refresh_token,
        "token_type": "bearer",
        "expires_in": resp.expires_in,
        "user": user_out(resp.user),
    }


@router.get("/me", response_model=None)
async def me(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.GetUsers(id_pb.GetUsersRequest(ids=[caller.user_id]))
    return user_out(resp.users[0])


@router.get("/units", response_model=None)
async def list_units(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.ListUnits(id_pb.ListUnitsRequest())
    return page([{"id": u.id, "name": u.name} for u in resp.units])


@router.post("/units", response_model=None, status_code=201)
async def create_unit(body: UnitIn, admin: AdminDep, request: Request) -> dict[str, Any]:
    unit = await clients(request).identity.CreateUnit(
        id_pb.CreateUnitRequest(actor_id=admin.user_id, name=body.name)
    )
    return {"id": unit.id, "name": unit.name}


@router.post("/users", response_model=None, status_code=201)
async def create_user(body: UserIn, admin: AdminDep, request: Request) -> dict[str, Any]:
    user = await clients(request).identity.CreateUser(
        id_pb.CreateUserRequest(
            actor_id=admin.user_id,
            login=body.login,
            password=body.password or "",
            full_name=body.full_name,
            email=body.email,
            phone=body.phone,
            kind=id_pb.USER_KIND_CLIENT if body.kind == "client" else id_pb.USER_KIND_STAFF,
            role=ROLE_PB[body.role] if body.role else id_pb.ROLE_UNSPECIFIED,
            unit_ids=body.unit_ids,
            is_admin=body.is_admin,
            language=body.language,
        )
    )
    return user_out(user)
