"""Domain ⇄ protobuf: tickets' messages as gRPC answers them and events carry them.

The gRPC layer (``rpc``) answers with these messages and reads callers from them;
``events`` puts the same ticket message into every event it publishes.
"""

from __future__ import annotations

import orjson
from helpdesk.tickets.v1 import events_pb2, tickets_pb2

from helpdesk_kit.timestamps import to_timestamp
from helpdesk_kit.trust import UserClaims
from helpdesk_tickets.domain import Actor, Audience, Priority, Role, State, Ticket

__all__ = ["PRIORITY_IN", "PRIORITY_PB", "STATE_PB", "actor_from_claims", "audience_to_pb", "ticket_to_pb"]

PRIORITY_PB = {
    Priority.LOW: tickets_pb2.PRIORITY_LOW,
    Priority.NORMAL: tickets_pb2.PRIORITY_NORMAL,
    Priority.HIGH: tickets_pb2.PRIORITY_HIGH,
}
PRIORITY_IN = {v: k for k, v in PRIORITY_PB.items()}
STATE_PB = {
    State.NEW: tickets_pb2.STATE_NEW,
    State.IN_WORK: tickets_pb2.STATE_IN_WORK,
    State.DONE: tickets_pb2.STATE_DONE,
    State.ARCHIVED: tickets_pb2.STATE_ARCHIVED,
}


def ticket_to_pb(
    t: Ticket, allowed_actions: list[str] | None = None, values: dict[str, object] | None = None
) -> tickets_pb2.Ticket:
    """The ticket as published (all custom field values) or as answered (``values``: those
    the caller may see)."""
    return tickets_pb2.Ticket(
        id=t.id,
        number=t.number,
        ref=t.ref,
        subject=t.subject,
        subject_id=t.subject_id or 0,
        body=t.body,
        priority=PRIORITY_PB[t.priority],
        state=STATE_PB[t.state],
        unit_id=t.unit_id,
        assignee_ids=t.assignee_ids,
        author_id=t.author_id,
        client_id=t.client_id or 0,
        locked_by=t.locked_by or 0,
        done_by=t.done_by or 0,
        deadline=to_timestamp(t.deadline),
        created_at=to_timestamp(t.created_at),
        updated_at=to_timestamp(t.updated_at),
        source=t.source,
        allowed_actions=allowed_actions or [],
        sla_plan_id=t.sla_plan_id or 0,
        version=t.version,
        sla_state=t.sla_state or "",
        custom_fields_json=orjson.dumps(t.custom_fields if values is None else values).decode(),
        done_at=to_timestamp(t.done_at),
    )


def actor_from_claims(u: UserClaims) -> Actor:
    """The caller as his verified passport describes him."""
    return Actor(
        user_id=u.user_id,
        is_client=u.is_client,
        role=Role(u.role) if u.role else None,
        unit_ids=frozenset(u.unit_ids),
        is_admin=u.is_admin,
        client_group_id=u.client_group_id,
        is_client_group_lead=u.is_client_group_lead,
    )


def audience_to_pb(a: Audience) -> events_pb2.TicketAudience:
    return events_pb2.TicketAudience(
        staff_user_ids=sorted(a.staff_user_ids),
        client_user_ids=sorted(a.client_user_ids),
        head_unit_ids=sorted(a.head_unit_ids),
        member_unit_ids=sorted(a.member_unit_ids),
        client_group_id=a.client_group_id or 0,
    )
