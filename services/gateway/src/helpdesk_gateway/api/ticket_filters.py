"""The filters a ticket list takes, once: ``GET /tickets`` and ``GET /tickets/total`` both
declare them through ``TicketFiltersDep`` and build their ``ListTicketsRequest`` from it,
so the list and its count can never disagree about what a filter means."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_gateway.api.values import LINE, FilterValues, IdQuery, split_values

Box = Literal["inbox", "outbox", "archive"]


@dataclass(frozen=True)
class TicketFilters:
    box: Box
    states: list[str]
    priorities: list[str]
    unit_id: int | None
    assignee_id: int | None
    locked: Literal["me", "others"] | None
    sla_states: list[str]
    q: str | None

    def request(self, **more: Any) -> t_pb.ListTicketsRequest:
        """The gRPC request with these filters and ``more`` (sort, limit, cursor, ...)."""
        return t_pb.ListTicketsRequest(
            box=self.box,
            states=self.states,
            priorities=self.priorities,
            unit_id=self.unit_id or 0,
            assignee_id=self.assignee_id or 0,
            locked=self.locked or "",
            sla_states=self.sla_states,
            q=self.q or "",
            **more,
        )


def ticket_filters(
    box: Box = "inbox",
    state: FilterValues = None,
    priority: FilterValues = None,
    unit_id: IdQuery = None,
    assignee_id: IdQuery = None,
    locked: Literal["me", "others"] | None = None,
    sla_state: FilterValues = None,
    q: Annotated[str | None, Query(max_length=500, pattern=LINE)] = None,
) -> TicketFilters:
    return TicketFilters(
        box=box,
        states=split_values(state),
        priorities=split_values(priority),
        unit_id=unit_id,
        assignee_id=assignee_id,
        locked=locked,
        sla_states=split_values(sla_state),
        q=q,
    )


TicketFiltersDep = Annotated[TicketFilters, Depends(ticket_filters)]
