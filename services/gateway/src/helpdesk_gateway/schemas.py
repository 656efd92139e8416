"""The REST API's request bodies and the JSON shapes of its answers (API.md)."""

from __future__ import annotations

from typing import Any, Literal

from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import BaseModel, ConfigDict, Field

Priority = Literal["low", "normal", "high"]

PRIORITY_PB = {"low": t_pb.PRIORITY_LOW, "normal": t_pb.PRIORITY_NORMAL, "high": t_pb.PRIORITY_HIGH}
PRIORITY_NAME = {v: k for k, v in PRIORITY_PB.items()}
STATE_NAME = {
    t_pb.STATE_NEW: "new",
    t_pb.STATE_IN_WORK: "in_work",
    t_pb.STATE_DONE: "done",
    t_pb.STATE_ARCHIVED: "archived",
}
ROLE_PB = {
    "department_head": id_pb.ROLE_DEPARTMENT_HEAD,
    "unit_head": id_pb.ROLE_UNIT_HEAD,
    "unit_member": id_pb.ROLE_UNIT_MEMBER,
}
ROLE_NAME = {v: k for k, v in ROLE_PB.items()}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Strict):
    login: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class TicketIn(Strict):
    subject: str = Field(min_length=1, max_length=255)
    body: str = Field(default="", max_length=100_000)
    priority: Priority = "normal"
    unit_id: int = Field(gt=0)
    assignee_ids: list[int] = Field(default_factory=list, max_length=100)
    client_id: int | None = Field(default=None, gt=0)


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


def ts(value: Any) -> str | None:
    return value.ToJsonString() if value.seconds or value.nanos else None


def ticket_out(t: t_pb.Ticket) -> dict[str, Any]:
    return {
        "id": t.id,
        "number": t.number,
        "ref": t.ref,
        "subject": t.subject,
        "subject_id": t.subject_id or None,
        "body": t.body,
        "priority": PRIORITY_NAME.get(t.priority),
        "state": STATE_NAME.get(t.state),
        "unit_id": t.unit_id,
        "assignee_ids": list(t.assignee_ids),
        "author_id": t.author_id,
        "client_id": t.client_id or None,
        "locked_by": t.locked_by or None,
        "done_by": t.done_by or None,
        "deadline": ts(t.deadline),
        "source": t.source,
        "created_at": ts(t.created_at),
        "updated_at": ts(t.updated_at),
        "allowed_actions": list(t.allowed_actions),
    }


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


def notification_out(n: Any) -> dict[str, Any]:
    return {
        "id": n.id,
        "event": n.event,
        "title": n.title,
        "body": n.body,
        "ticket_id": n.ticket_id or None,
        "created_at": ts(n.created_at),
        "is_read": n.is_read,
    }
