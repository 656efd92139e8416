"""Who sees a ticket's live changes (docs/product/roles.md § Visibility), decided from the
audience its event carries."""

from __future__ import annotations

from helpdesk_realtime.domain import TicketAudience, Viewer, can_see_ticket, may_receive


def staff(user_id: int, role: str, *units: int) -> Viewer:
    return Viewer(user_id=user_id, is_client=False, role=role, unit_ids=frozenset(units))


def client(user_id: int) -> Viewer:
    return Viewer(user_id=user_id, is_client=True, role=None, unit_ids=frozenset())


# The audiences tickets lists in its events (see tests/contracts/ticket_visibility.json):
# ticket 1 is sent to unit 10 as a whole, written by 50 about client 60; ticket 2 is the
# same but assigned to 3 and written by a member of unit 20.
UNASSIGNED = TicketAudience(
    ticket_id=1,
    staff_user_ids=frozenset({50}),
    client_user_ids=frozenset({50, 60}),
    head_unit_ids=frozenset({10}),
    member_unit_ids=frozenset({10}),
)
ASSIGNED = TicketAudience(
    ticket_id=2,
    staff_user_ids=frozenset({50, 3}),
    client_user_ids=frozenset({50, 60}),
    head_unit_ids=frozenset({10, 20}),
)


def test_department_heads_see_every_ticket() -> None:
    assert can_see_ticket(staff(1, "department_head"), ASSIGNED)


def test_unit_heads_see_tickets_of_their_units_and_those_created_by_their_members() -> None:
    assert can_see_ticket(staff(1, "unit_head", 10), ASSIGNED)
    assert can_see_ticket(staff(1, "unit_head", 20), ASSIGNED)
    assert not can_see_ticket(staff(1, "unit_head", 30), ASSIGNED)


def test_members_see_their_units_unassigned_tickets_and_those_assigned_to_them_or_created_by_them() -> None:
    assert can_see_ticket(staff(1, "unit_member", 10), UNASSIGNED)
    assert not can_see_ticket(staff(1, "unit_member", 10), ASSIGNED)
    assert can_see_ticket(staff(3, "unit_member", 99), ASSIGNED)
    assert can_see_ticket(staff(50, "unit_member"), ASSIGNED)
    assert not can_see_ticket(staff(1, "unit_member", 20), UNASSIGNED)


def test_clients_see_only_tickets_they_wrote_or_that_are_about_them() -> None:
    assert can_see_ticket(client(50), UNASSIGNED)
    assert can_see_ticket(client(60), UNASSIGNED)
    assert not can_see_ticket(client(61), UNASSIGNED)


def test_a_pop_up_goes_to_its_user_only() -> None:
    assert may_receive(client(7), 7)
    assert not may_receive(staff(8, "department_head"), 7)
