"""Who may receive what: the socket's viewer (from its token) and an event's audience.

Pure rules, no framework. An event's audience is either one user (a pop-up) or a
ticket as it is after the change (docs/product/roles.md § Visibility decides who
sees it). The same rule decides live delivery and what a reconnecting socket is
replayed, so a user never receives another user's event either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
    """The parts of a ticket snapshot that decide who sees it."""

    ticket_id: int
    unit_id: int
    assignee_ids: frozenset[int]
    author_id: int
    client_id: int
    # The author's units when known (TicketCreated's actor is the author): unit
    # heads also see tickets created by members of their units.
    author_unit_ids: frozenset[int] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {
            "t": self.ticket_id,
            "u": self.unit_id,
            "as": sorted(self.assignee_ids),
            "au": self.author_id,
            "c": self.client_id,
            "auu": sorted(self.author_unit_ids),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> TicketAudience:
        return cls(
            ticket_id=int(raw["t"]),
            unit_id=int(raw["u"]),
            assignee_ids=frozenset(raw["as"]),
            author_id=int(raw["au"]),
            client_id=int(raw["c"]),
            author_unit_ids=frozenset(raw.get("auu", ())),
        )


def can_see_ticket(viewer: Viewer, t: TicketAudience) -> bool:
    """Who sees a ticket (docs/product/roles.md § Visibility), decided from its snapshot."""
    if viewer.is_client:
        return viewer.user_id in (t.author_id, t.client_id)
    if viewer.user_id == t.author_id or viewer.user_id in t.assignee_ids:
        return True
    if viewer.role == DEPARTMENT_HEAD:
        return True
    if viewer.role == UNIT_HEAD:
        return t.unit_id in viewer.unit_ids or bool(viewer.unit_ids & t.author_unit_ids)
    # a unit member: tickets of his units assigned to the unit as a whole
    return t.unit_id in viewer.unit_ids and not t.assignee_ids


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
