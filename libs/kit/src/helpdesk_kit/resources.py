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
from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_kit.timestamps import to_rfc3339

__all__ = ["PRIORITY_NAME", "STATE_NAME", "ticket_fields", "ticket_people"]

PRIORITY_NAME = {t_pb.PRIORITY_LOW: "low", t_pb.PRIORITY_NORMAL: "normal", t_pb.PRIORITY_HIGH: "high"}
STATE_NAME = {
    t_pb.STATE_NEW: "new",
    t_pb.STATE_IN_WORK: "in_work",
    t_pb.STATE_DONE: "done",
    t_pb.STATE_ARCHIVED: "archived",
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
