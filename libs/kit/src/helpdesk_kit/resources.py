"""Resources as the REST API shows them, built from the services' protobuf messages.

One mapping for each resource that leaves the system in more than one way: the
gateway's answers (``GET /api/v1/tickets/{id}``) and notify's webhook events and
events feed (docs/webhooks.md) both call it, so an integrator reads one shape
whichever way the ticket reached him. Fields that depend on who asks (the names of
the people a ticket mentions, the SLA clocks, the rendered description) are added
by the caller.
"""

from __future__ import annotations

from typing import Any

import orjson
from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_kit.timestamps import to_rfc3339

__all__ = ["PRIORITY_NAME", "ROLE_NAME", "STATE_NAME", "ticket_fields", "ticket_people", "user_fields"]

PRIORITY_NAME = {t_pb.PRIORITY_LOW: "low", t_pb.PRIORITY_NORMAL: "normal", t_pb.PRIORITY_HIGH: "high"}
STATE_NAME = {
    t_pb.STATE_NEW: "new",
    t_pb.STATE_IN_WORK: "in_work",
    t_pb.STATE_DONE: "done",
    t_pb.STATE_ARCHIVED: "archived",
}

ROLE_NAME = {
    id_pb.ROLE_DEPARTMENT_HEAD: "department_head",
    id_pb.ROLE_UNIT_HEAD: "unit_head",
    id_pb.ROLE_UNIT_MEMBER: "unit_member",
}


def ticket_people(t: t_pb.Ticket) -> list[int]:
    """The users a ticket mentions (their names travel with it)."""
    return [t.author_id, t.client_id, *t.assignee_ids, t.locked_by, t.done_by]


def ticket_fields(t: t_pb.Ticket) -> dict[str, Any]:
    """A ticket's fields as the REST API shows them, but ``names``, ``body_html`` and ``sla``."""
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
        "deadline": to_rfc3339(t.deadline),
        "source": t.source,
        "sla_plan_id": t.sla_plan_id or None,
        "sla_state": t.sla_state or None,
        "version": t.version,
        "created_at": to_rfc3339(t.created_at),
        "updated_at": to_rfc3339(t.updated_at),
        "allowed_actions": list(t.allowed_actions),
        "custom_fields": orjson.loads(t.custom_fields_json or "{}"),
    }


def user_fields(u: id_pb.User) -> dict[str, Any]:
    """A user as the REST API shows him (``GET /api/v1/users/{id}``)."""
    return {
        "id": u.id,
        "login": u.login,
        "full_name": u.full_name,
        "email": u.email,
        "phone": u.phone,
        "kind": "client" if u.kind == id_pb.USER_KIND_CLIENT else "staff",
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
