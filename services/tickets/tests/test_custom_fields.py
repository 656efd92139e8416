"""Custom fields, the editable deadline, history pages and the Markdown preview against
real PostgreSQL: what each kind of caller may define, set and see."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson
import pytest
from helpdesk.tickets.v1 import events_pb2
from helpdesk.tickets.v1 import tickets_pb2 as pb

from helpdesk_kit.db import Database
from helpdesk_kit.trust import Principal, UserClaims, acting_as
from helpdesk_tickets import usecases
from helpdesk_tickets.directory import UnitDirectory
from helpdesk_tickets.domain import Actor, NewTicket, Priority, Role, Ticket
from helpdesk_tickets.errors import FieldNotFound, InvalidTicket, NotAllowed, TicketNotFound
from helpdesk_tickets.fields import CustomField
from helpdesk_tickets.rpc import TicketsService

ADMIN = Actor(1, False, Role.DEPARTMENT_HEAD, is_admin=True)
HEAD = Actor(2, False, Role.UNIT_HEAD, frozenset({10}))
ANNA = Actor(4, False, Role.UNIT_MEMBER, frozenset({10}))
CLIENT = Actor(8, True, None, client_group_id=100)


async def define(db: Database, name: str, kind: str, **kw: object) -> CustomField:
    return await usecases.create_custom_field(
        db=db,
        actor=ADMIN,
        field=CustomField(id=0, name=name, kind=kind, **kw),  # type: ignore[arg-type]
    )


async def file(
    db: Database, units: UnitDirectory, actor: Actor, values: dict[str, object] | None = None
) -> Ticket:
    return await usecases.create_ticket(
        db=db,
        units=units,
        actor=actor,
        new=NewTicket("Laptop", "Broken", Priority.NORMAL, 10, [], None, "web", custom_fields=values or {}),
        idempotency_key=None,
    )


async def test_only_admins_define_fields_and_clients_list_only_the_visible_ones(db: Database) -> None:
    with pytest.raises(NotAllowed):
        await define_as(db, HEAD)
    inv = await define(db, "Inventory no.", "text", position=2)
    os_ = await define(db, "OS", "select", options=("Linux", "Windows"), client_visible=True, position=1)
    assert [f.name for f in await usecases.list_custom_fields(db=db, actor=ANNA)] == ["OS", "Inventory no."]
    assert [f.id for f in await usecases.list_custom_fields(db=db, actor=CLIENT)] == [os_.id]
    await usecases.delete_custom_field(db=db, actor=ADMIN, field_id=inv.id)
    assert [f.id for f in await usecases.list_custom_fields(db=db, actor=ANNA)] == [os_.id]
    with pytest.raises(FieldNotFound):
        await usecases.delete_custom_field(db=db, actor=ADMIN, field_id=inv.id)


async def define_as(db: Database, actor: Actor) -> CustomField:
    return await usecases.create_custom_field(db=db, actor=actor, field=CustomField(0, "X", "text"))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        (CustomField(0, " ", "text"), ["name"]),
        (CustomField(0, "Colour", "select"), ["options"]),
        (CustomField(0, "Colour", "multiselect", options=("red", "red")), ["options"]),
        (CustomField(0, "Colour", "select", options=("red", "")), ["options"]),
        (CustomField(0, "Colour", "colour"), ["kind"]),
    ],
)
async def test_a_bad_definition_is_refused_naming_the_field(
    db: Database, field: CustomField, bad: list[str]
) -> None:
    with pytest.raises(InvalidTicket) as err:
        await usecases.create_custom_field(db=db, actor=ADMIN, field=field)
    assert [e.field for e in err.value.errors] == bad
    assert await usecases.list_custom_fields(db=db, actor=ADMIN) == []


async def test_patching_a_definition_keeps_the_rules(db: Database) -> None:
    f = await define(db, "OS", "select", options=("Linux",))
    changed = await usecases.update_custom_field(
        db=db, actor=ADMIN, field_id=f.id, changes_={"options": ["Linux", "BSD"], "required": True}
    )
    assert (changed.options, changed.required) == (("Linux", "BSD"), True)
    with pytest.raises(InvalidTicket) as err:
        await usecases.update_custom_field(db=db, actor=ADMIN, field_id=f.id, changes_={"options": []})
    assert err.value.errors[0].field == "options"
    with pytest.raises(NotAllowed):
        await usecases.update_custom_field(db=db, actor=ANNA, field_id=f.id, changes_={"name": "x"})


async def test_values_of_every_kind_are_checked_and_each_bad_one_named(
    db: Database, units: UnitDirectory
) -> None:
    text = await define(db, "Note", "text")
    sel = await define(db, "OS", "select", options=("Linux", "Windows"))
    multi = await define(db, "Tags", "multiselect", options=("a", "b", "c"))
    day = await define(db, "Bought", "date")
    good = {str(text.id): "hi", str(sel.id): "Linux", str(multi.id): ["a", "c"], str(day.id): "2026-01-31"}
    t = await file(db, units, ANNA, good)
    assert t.custom_fields == good
    bad = {
        str(text.id): "x" * 10_001,
        str(sel.id): "Mac",
        str(multi.id): ["a", "a"],
        str(day.id): "31.01.2026",
        "999": "?",
        "²": "?",
        "x": "?",
        "9" * 40: "?",
    }
    with pytest.raises(InvalidTicket) as err:
        await file(db, units, ANNA, bad)
    assert sorted(e.field for e in err.value.errors) == sorted(f"custom_fields.{k}" for k in bad)
    assert await db.pool.fetchval("SELECT count(*) FROM tickets") == 1


async def test_a_required_field_must_be_given_on_create_and_cannot_be_cleared(
    db: Database, units: UnitDirectory
) -> None:
    f = await define(db, "Inventory no.", "text", required=True)
    with pytest.raises(InvalidTicket) as err:
        await file(db, units, ANNA)
    assert err.value.errors[0].field == f"custom_fields.{f.id}"
    t = await file(db, units, ANNA, {str(f.id): "INV-1"})
    with pytest.raises(InvalidTicket):
        await usecases.edit(
            db=db, actor=ANNA, ticket_id=t.id, change=usecases.Edit(custom_fields={str(f.id): None})
        )
    # A staff-only required field does not stop a client, who cannot set it.
    assert (await file(db, units, CLIENT)).custom_fields == {}


async def test_a_client_sets_and_sees_only_client_visible_fields(db: Database, units: UnitDirectory) -> None:
    shown = await define(db, "Phone model", "text", client_visible=True)
    hidden = await define(db, "Internal cost", "text")
    with pytest.raises(InvalidTicket) as err:
        await file(db, units, CLIENT, {str(hidden.id): "100"})
    assert err.value.errors[0].field == f"custom_fields.{hidden.id}"
    t = await file(db, units, CLIENT, {str(shown.id): "X1"})
    await usecases.edit(
        db=db, actor=HEAD, ticket_id=t.id, change=usecases.Edit(custom_fields={str(hidden.id): "250"})
    )
    stored = await usecases.get_ticket(db=db, actor=HEAD, ticket_id=t.id)
    assert stored.custom_fields == {str(shown.id): "X1", str(hidden.id): "250"}
    # What the client gets over gRPC: only the visible value, and no trace in the history.
    service = TicketsService(db=db, units=units)
    as_client = UserClaims(
        user_id=CLIENT.user_id,
        login="client",
        kind="client",
        role=None,
        unit_ids=(),
        is_admin=False,
        client_group_id=100,
        is_client_group_lead=False,
    )
    with acting_as(Principal(service="gateway", user=as_client)):
        answer = await service.GetTicket(pb.GetTicketRequest(ticket_id=t.id), None)  # type: ignore[arg-type]
    assert orjson.loads(answer.custom_fields_json) == {str(shown.id): "X1"}
    history = await usecases.ticket_history(db=db, actor=CLIENT, ticket_id=t.id)
    assert [h.action for h in history] == ["created"]  # the staff-only edit is not shown
    staff_history = await usecases.ticket_history(db=db, actor=HEAD, ticket_id=t.id)
    assert staff_history[-1].changes == {f"custom_fields.{hidden.id}": [None, "250"]}


async def test_a_deleted_field_is_no_longer_accepted_but_tickets_keep_its_old_value(
    db: Database, units: UnitDirectory
) -> None:
    f = await define(db, "OS", "select", options=("Linux",))
    t = await file(db, units, ANNA, {str(f.id): "Linux"})
    cache = usecases.FieldsCache()
    await usecases.delete_custom_field(db=db, actor=ADMIN, field_id=f.id, cache=cache)
    with pytest.raises(InvalidTicket):
        await file(db, units, ANNA, {str(f.id): "Linux"})
    await usecases.edit(db=db, actor=ANNA, ticket_id=t.id, change=usecases.Edit(body="Still broken"))
    stored = await usecases.get_ticket(db=db, actor=ANNA, ticket_id=t.id)
    assert stored.custom_fields == {str(f.id): "Linux"}  # kept, just not shown


async def test_editing_values_and_the_deadline_is_recorded_and_published(
    db: Database, units: UnitDirectory
) -> None:
    f = await define(db, "Tags", "multiselect", options=("vpn", "mail"))
    t = await file(db, units, ANNA, {str(f.id): ["vpn"]})
    due = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    edited = await usecases.edit(
        db=db,
        actor=ANNA,
        ticket_id=t.id,
        change=usecases.Edit(custom_fields={str(f.id): ["vpn", "mail"]}, deadline=due),
        expected_version=t.version,
    )
    assert (edited.deadline, edited.custom_fields) == (due, {str(f.id): ["vpn", "mail"]})
    cleared = await usecases.edit(
        db=db,
        actor=ANNA,
        ticket_id=t.id,
        change=usecases.Edit(clear_deadline=True, custom_fields={str(f.id): None}),
    )
    assert (cleared.deadline, cleared.custom_fields) == (None, {})
    history = await usecases.ticket_history(db=db, actor=ANNA, ticket_id=t.id)
    assert history[1].changes == {
        "deadline": [None, due.isoformat()],
        f"custom_fields.{f.id}": [["vpn"], ["vpn", "mail"]],
    }
    assert history[2].changes == {
        "deadline": [due.isoformat(), None],
        f"custom_fields.{f.id}": [["vpn", "mail"], None],
    }
    payload = await db.pool.fetchval(
        "SELECT payload FROM outbox WHERE subject = 'tickets.TicketEdited' ORDER BY id LIMIT 1"
    )
    event = events_pb2.TicketEdited.FromString(bytes(payload))
    assert sorted(event.changed_fields) == ["custom_fields." + str(f.id), "deadline"]
    assert orjson.loads(event.ticket.custom_fields_json) == {str(f.id): ["vpn", "mail"]}


async def test_a_client_cannot_move_the_deadline_of_a_ticket_he_did_not_write(
    db: Database, units: UnitDirectory
) -> None:
    t = await file(db, units, ANNA)
    with pytest.raises(TicketNotFound):
        await usecases.edit(
            db=db, actor=CLIENT, ticket_id=t.id, change=usecases.Edit(deadline=datetime.now(UTC))
        )
    other = await file(db, units, CLIENT)
    with pytest.raises(NotAllowed):  # a member of the unit sees it, but only author and heads edit
        await usecases.edit(
            db=db, actor=ANNA, ticket_id=other.id, change=usecases.Edit(deadline=datetime.now(UTC))
        )


async def test_the_history_comes_in_pages_oldest_first(db: Database, units: UnitDirectory) -> None:
    t = await file(db, units, ANNA)
    for i in range(4):
        await usecases.edit(db=db, actor=ANNA, ticket_id=t.id, change=usecases.Edit(body=f"v{i}"))
    first, cursor = await usecases.history_page(db=db, actor=ANNA, ticket_id=t.id, limit=2)
    assert [h.action for h in first] == ["created", "edited"] and cursor
    second, cursor = await usecases.history_page(db=db, actor=ANNA, ticket_id=t.id, limit=2, cursor=cursor)
    third, end = await usecases.history_page(db=db, actor=ANNA, ticket_id=t.id, limit=2, cursor=cursor)
    assert [h.changes["body"][1] for h in [*second, *third]] == ["v1", "v2", "v3"]
    assert end is None
    with pytest.raises(InvalidTicket) as err:
        await usecases.history_page(db=db, actor=ANNA, ticket_id=t.id, cursor="garbage!")
    assert err.value.errors[0].field == "cursor"
    huge = base64.urlsafe_b64encode(b"h" + b"9" * 30).decode()
    with pytest.raises(InvalidTicket):
        await usecases.history_page(db=db, actor=ANNA, ticket_id=t.id, cursor=huge)


def test_the_preview_renders_like_a_comment_and_strips_scripts() -> None:
    html = usecases.render_markdown("**bold** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "href=" not in html
    with pytest.raises(InvalidTicket) as err:
        usecases.render_markdown("x" * 50_001)
    assert err.value.errors[0].field == "text"
