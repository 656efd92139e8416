"""Who may receive what: the socket's viewer (from its token) and an event's audience.

Pure rules, no framework. An event's audience is either one user (a pop-up) or a
ticket's audience as the tickets service listed it in the event after the change
(its one visibility rule, docs/product/roles.md § Visibility, decides who is
listed; here a viewer is only matched against the list). The same match decides
live delivery and what a reconnecting socket is replayed, so a user never receives
another user's event either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

DEPARTMENT_HEAD = "department_head"
UNIT_HEAD = "unit_head"
UNIT_MEMBER = "unit_member"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in user behind a socket, as his access token describes him."""

    user_id: int
    is_client: bool
    role: str | None
    unit_ids: frozenset[int]
    is_admin: bool = False
    client_group_id: int | None = None
    is_client_group_lead: bool = False

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Viewer:
        return cls(
            user_id=int(claims["sub"]),
            is_client=claims.get("kind") == "client",
            role=claims.get("role") or None,
            unit_ids=frozenset(int(u) for u in claims.get("units") or ()),
            is_admin=bool(claims.get("adm")),
            client_group_id=claims.get("cg"),
            is_client_group_lead=bool(claims.get("cgl")),
        )


@dataclass(frozen=True, slots=True)
class TicketAudience:
    """Who may see a ticket after a change, as the tickets service's one visibility rule
    listed it in the event (``TicketAudience`` in helpdesk/tickets/v1/events.proto).
    Department heads see every ticket and are not listed."""

    ticket_id: int
    staff_user_ids: frozenset[int] = frozenset()  # staff who see it by name
    client_user_ids: frozenset[int] = frozenset()  # clients who see it by name
    head_unit_ids: frozenset[int] = frozenset()  # unit heads of these units see it
    member_unit_ids: frozenset[int] = frozenset()  # unit members of these units see it
    client_group_id: int | None = None  # the lead of this client group sees it

    @classmethod
    def from_pb(cls, ticket_id: int, a: Any) -> TicketAudience:
        """From the event's ``TicketAudience`` message."""
        return cls(
            ticket_id=ticket_id,
            staff_user_ids=frozenset(a.staff_user_ids),
            client_user_ids=frozenset(a.client_user_ids),
            head_unit_ids=frozenset(a.head_unit_ids),
            member_unit_ids=frozenset(a.member_unit_ids),
            client_group_id=a.client_group_id or None,
        )

    def without_clients(self) -> TicketAudience:
        """The staff part only (clients never see SLA figures)."""
        return replace(self, client_user_ids=frozenset(), client_group_id=None)

    def to_json(self) -> dict[str, Any]:
        return {
            "t": self.ticket_id,
            "s": sorted(self.staff_user_ids),
            "c": sorted(self.client_user_ids),
            "hu": sorted(self.head_unit_ids),
            "mu": sorted(self.member_unit_ids),
            "g": self.client_group_id,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> TicketAudience:
        """Raises KeyError for what an older realtime stored (before events carried audiences)."""
        return cls(
            ticket_id=int(raw["t"]),
            staff_user_ids=frozenset(raw["s"]),
            client_user_ids=frozenset(raw["c"]),
            head_unit_ids=frozenset(raw["hu"]),
            member_unit_ids=frozenset(raw["mu"]),
            client_group_id=raw["g"],
        )


def can_see_ticket(viewer: Viewer, t: TicketAudience) -> bool:
    """Whether the ticket's audience names the viewer: the match tickets' ``domain.admits``
    makes, on the audience tickets' visibility rule listed (docs/product/roles.md
    § Visibility). The role table in tests/contracts/ticket_visibility.json holds both to it."""
    if viewer.is_client:
        if viewer.user_id in t.client_user_ids:
            return True
        return (
            viewer.is_client_group_lead
            and viewer.client_group_id is not None
            and viewer.client_group_id == t.client_group_id
        )
    if viewer.role == DEPARTMENT_HEAD or viewer.user_id in t.staff_user_ids:
        return True
    if viewer.role == UNIT_HEAD:
        return bool(viewer.unit_ids & t.head_unit_ids)
    return bool(viewer.unit_ids & t.member_unit_ids)


Audience = int | TicketAudience
"""A user id (only that user), or a ticket (whoever may see it)."""


def may_receive(viewer: Viewer, audience: Audience) -> bool:
    if isinstance(audience, int):
        return viewer.user_id == audience
    return can_see_ticket(viewer, audience)


def audience_to_json(audience: Audience) -> dict[str, Any]:
    if isinstance(audience, int):
        return {"user": audience}
    return {"ticket": audience.to_json()}


def audience_from_json(raw: Mapping[str, Any]) -> Audience:
    if "user" in raw:
        return int(raw["user"])
    return TicketAudience.from_json(raw["ticket"])
