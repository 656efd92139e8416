"""REST /api/v1: translate HTTP ⇄ the services' gRPC. No business rules here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import ORJSONResponse
from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.notify.v1 import notify_pb2 as n_pb
from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_gateway.auth import AdminDep, CallerDep
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.schemas import (
    PRIORITY_PB,
    ROLE_PB,
    LoginIn,
    TicketIn,
    UnitIn,
    UserIn,
    notification_out,
    ticket_out,
    user_out,
)

router = APIRouter(prefix="/api/v1", default_response_class=ORJSONResponse)


def clients(request: Request) -> Clients:
    c: Clients = request.app.state.clients
    return c


@router.post("/auth/login")
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


@router.get("/me")
async def me(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.GetUsers(id_pb.GetUsersRequest(ids=[caller.user_id]))
    return user_out(resp.users[0])


@router.post("/tickets", status_code=201)
async def create_ticket(
    body: TicketIn,
    caller: CallerDep,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    ticket = await clients(request).tickets.CreateTicket(
        t_pb.CreateTicketRequest(
            actor=caller.as_actor(),
            subject=body.subject,
            body=body.body,
            priority=PRIORITY_PB[body.priority],
            unit_id=body.unit_id,
            assignee_ids=body.assignee_ids,
            client_id=body.client_id or 0,
            idempotency_key=idempotency_key or "",
            source="api",
        )
    )
    return ticket_out(ticket)


@router.get("/tickets/{ticket_id}")
async def get_ticket(ticket_id: int, caller: CallerDep, request: Request) -> dict[str, Any]:
    ticket = await clients(request).tickets.GetTicket(
        t_pb.GetTicketRequest(actor=caller.as_actor(), ticket_id=ticket_id)
    )
    return ticket_out(ticket)


@router.get("/units")
async def list_units(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.ListUnits(id_pb.ListUnitsRequest())
    return {"items": [{"id": u.id, "name": u.name} for u in resp.units], "next_cursor": None}


@router.post("/units", status_code=201)
async def create_unit(body: UnitIn, admin: AdminDep, request: Request) -> dict[str, Any]:
    unit = await clients(request).identity.CreateUnit(
        id_pb.CreateUnitRequest(actor_id=admin.user_id, name=body.name)
    )
    return {"id": unit.id, "name": unit.name}


@router.post("/users", status_code=201)
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


@router.get("/me/notifications")
async def my_notifications(
    caller: CallerDep, request: Request, limit: int = 50, cursor: int | None = None
) -> dict[str, Any]:
    limit = min(max(limit, 1), 200)
    resp = await clients(request).notify.ListNotifications(
        n_pb.ListNotificationsRequest(user_id=caller.user_id, limit=limit, before_id=cursor or 0)
    )
    items = [notification_out(n) for n in resp.notifications]
    next_cursor = str(items[-1]["id"]) if len(items) == limit else None
    return {"items": items, "next_cursor": next_cursor}


@router.post("/me/notifications/{notification_id}/read", status_code=204)
async def mark_read(notification_id: int, caller: CallerDep, request: Request) -> None:
    await clients(request).notify.MarkRead(
        n_pb.MarkReadRequest(user_id=caller.user_id, notification_id=notification_id)
    )
