"""The webhook queue in notify's schema: a fact recorded once however often it arrives,
one delivery per webhook that wants it (type, unit, on), a ticket's events claimed in
order, the secret sealed at rest, the feed pruned by age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpdesk.tickets.v1 import events_pb2 as tickets_events
from helpdesk.tickets.v1 import tickets_pb2

from helpdesk_kit import sealing
from helpdesk_kit.db import Database
from helpdesk_kit.trust import UserClaims
from helpdesk_notify.webhooks import store, usecases
from helpdesk_notify.webhooks.addresses import AddressGuard
from helpdesk_notify.webhooks.feed_order import order_once

ADMIN = UserClaims(
    user_id=1,
    login="system",
    kind="staff",
    role=None,
    unit_ids=(),
    is_admin=True,
    client_group_id=None,
    is_client_group_lead=False,
)
# Sees every ticket (the admin flag does not: docs/product/roles.md § Visibility).
HEAD = UserClaims(
    user_id=2,
    login="head",
    kind="staff",
    role="department_head",
    unit_ids=(),
    is_admin=False,
    client_group_id=None,
    is_client_group_lead=False,
)


class _Public:
    async def resolve(self, host: str, port: int) -> list[str]:
        return ["93.184.216.34"]


async def _hook(db: Database, *, events: list[str], units: tuple[int, ...] = (), enabled: bool = True) -> int:
    row, _ = await usecases.create_webhook(
        db,
        AddressGuard(_Public()),
        ADMIN,
        usecases.WebhookInput(
            url="https://hooks.example/in",
            events=events,
            unit_ids=list(units),
            enabled=enabled,
            allowed_cidr="",
            secret="a-secret-of-some-length",
        ),
    )
    return row.id


def _created(ticket_id: int, unit_id: int) -> tickets_events.TicketCreated:
    return tickets_events.TicketCreated(
        ticket=tickets_pb2.Ticket(id=ticket_id, number=ticket_id, unit_id=unit_id)
    )


def _commented(ticket_id: int, unit_id: int) -> tickets_events.TicketCommented:
    ticket = tickets_pb2.Ticket(id=ticket_id, number=ticket_id, unit_id=unit_id)
    return tickets_events.TicketCommented(ticket=ticket, comment_body="hi")


async def _record(db: Database, event_id: str, message: object) -> None:
    async with db.unit_of_work() as uow:
        await usecases.record(uow, event_id, message)  # type: ignore[arg-type]
        await uow.commit()


async def _claim(db: Database) -> list[store.Due]:
    async with db.unit_of_work() as uow:
        due, _ = await store.claim_due(uow.conn, 100)
        return due


async def test_a_fact_arriving_twice_is_recorded_and_queued_once_for_each_webhook_that_wants_it(
    db: Database, secret_keys: str
) -> None:
    wants = await _hook(db, events=["ticket.created"])
    other_unit = await _hook(db, events=["ticket.created"], units=(2,))
    off = await _hook(db, events=["ticket.created"], enabled=False)
    await _hook(db, events=["sla.breached"])
    await _record(db, "ev-1", _created(10, 1))
    await _record(db, "ev-1", _created(10, 1))
    rows = await db.pool.fetch("SELECT webhook_id FROM webhook_deliveries")
    assert sorted(r["webhook_id"] for r in rows) == [wants]
    assert other_unit not in {r["webhook_id"] for r in rows} and off not in {r["webhook_id"] for r in rows}
    assert await db.pool.fetchval("SELECT count(*) FROM feed_events WHERE event_id = 'ev-1'") == 1
    # The secret, read back for signing, never lies in the clear.
    raw = await db.pool.fetchval("SELECT secret FROM webhooks WHERE id = $1", wants)
    assert "a-secret-of-some-length" not in raw and raw.startswith(sealing.PREFIX)
    [due] = await _claim(db)
    assert due.secret == "a-secret-of-some-length" and due.type == "ticket.created"
    assert due.data["id"] == 10 and due.data["allowed_actions"] == [] and due.data["sla"] is None


async def test_a_tickets_later_event_waits_while_an_earlier_one_is_pending(
    db: Database, secret_keys: str
) -> None:
    await _hook(db, events=["ticket.created", "ticket.commented"])
    await _record(db, "t20-created", _created(20, 1))
    await _record(db, "t20-commented", _commented(20, 1))
    await _record(db, "t21-created", _created(21, 1))
    first = await _claim(db)
    assert [d.event_id for d in first] == ["t20-created", "t21-created"]
    t20 = first[0]
    async with db.unit_of_work() as uow:
        await store.record_attempt(
            uow.conn,
            t20.id,
            outcome="retry",
            retry_in=0.0,
            status_code=503,
            latency_ms=3,
            response="",
            error="HTTP 503",
        )
        await uow.commit()
    assert "t20-commented" not in [d.event_id for d in await _claim(db)]
    async with db.unit_of_work() as uow:
        await store.record_attempt(
            uow.conn,
            t20.id,
            outcome="sent",
            retry_in=None,
            status_code=204,
            latency_ms=3,
            response="",
            error="",
        )
        await uow.commit()
    assert "t20-commented" in [d.event_id for d in await _claim(db)]
    log = await db.pool.fetch("SELECT outcome, status_code FROM webhook_log ORDER BY id")
    assert [(r["outcome"], r["status_code"]) for r in log] == [("retry", 503), ("sent", 204)]


async def test_feed_events_older_than_the_retention_go_with_their_deliveries(
    db: Database, secret_keys: str
) -> None:
    await _hook(db, events=["ticket.created"])
    await _record(db, "old", _created(30, 1))
    await _record(db, "new", _created(31, 1))
    await db.pool.execute(
        "UPDATE feed_events SET created_at = now() - interval '8 days' WHERE event_id = 'old'"
    )
    async with db.unit_of_work() as uow:
        await store.prune_events(uow.conn, datetime.now(UTC) - timedelta(days=7), 100)
        await uow.commit()
    assert [r["event_id"] for r in await db.pool.fetch("SELECT event_id FROM feed_events")] == ["new"]
    assert await db.pool.fetchval("SELECT count(*) FROM webhook_deliveries") == 1


async def test_the_feed_never_shows_an_event_behind_a_cursor_already_given(
    db: Database, secret_keys: str
) -> None:
    """The event inserted first but committed last still comes after the cursor a reader holds."""
    slow = await db.pool.acquire()
    try:
        tx = slow.transaction()
        await tx.start()
        await slow.execute(
            "INSERT INTO feed_events (event_id, type, occurred_at, data)"
            " VALUES ('first', 'ticket.created', now(), '{}')"
        )
        await _record(db, "second", _created(41, 1))
        await order_once(db)
        page = await usecases.list_events(db, HEAD, after=0, limit=10)
        assert [e["event_id"] for e in page.events] == ["second"]
        await tx.commit()
    finally:
        await db.pool.release(slow)
    assert await order_once(db) == 1
    later = await usecases.list_events(db, HEAD, after=page.next, limit=10)
    assert [e["event_id"] for e in later.events] == ["first"]
    assert later.next > page.next


async def test_a_deletion_reaches_a_webhook_of_the_tickets_last_known_unit(
    db: Database, secret_keys: str
) -> None:
    mine = await _hook(db, events=["ticket.created", "ticket.deleted"], units=(5,))
    await _hook(db, events=["ticket.deleted"], units=(6,))
    await _record(db, "t50-created", _created(50, 5))
    await _record(db, "t50-deleted", tickets_events.TicketDeleted(ticket_id=50))
    rows = await db.pool.fetch(
        "SELECT d.webhook_id, e.type FROM webhook_deliveries d"
        " JOIN feed_events e ON e.seq = d.event_seq ORDER BY d.id"
    )
    assert [(r["webhook_id"], r["type"]) for r in rows] == [
        (mine, "ticket.created"),
        (mine, "ticket.deleted"),
    ]
