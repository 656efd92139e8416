"""Pop-ups of a fact: one per recipient, each in the reader's language, stored once
however often the fact arrives, and each announced to realtime."""

from __future__ import annotations

from helpdesk.tickets.v1 import events_pb2 as t
from helpdesk.tickets.v1 import tickets_pb2

from helpdesk_kit.db import Database
from helpdesk_notify import store
from helpdesk_notify.consumers import routes

from .conftest import UNIT_A
from .drive import consume
from .fakes import Directory


async def test_a_fact_for_readers_of_two_languages_stores_one_popup_each_in_his_language_once(
    db: Database, directory: Directory
) -> None:
    msg = t.TicketCreated(
        actor_id=12, ticket=tickets_pb2.Ticket(id=7, number=1042, subject="Printer on fire", unit_id=UNIT_A)
    )
    eid = await consume(db, routes(directory), msg)
    await consume(db, routes(directory), msg, event_id=eid)  # past the inbox, straight to the handler
    async with db.unit_of_work() as uow:
        titles = {
            user_id: [p.title for p in await store.popups_of(uow.conn, user_id, limit=10, before_id=None)]
            for user_id in (10, 11, 12, 13)
        }
        announced = await uow.conn.fetchval(
            "SELECT count(*) FROM outbox WHERE event_type LIKE '%NotificationCreated'"
        )
    assert titles == {
        10: ["Ticket #1042 — created"],
        11: ["Заявка #1042 — создана"],
        12: [],  # the actor
        13: ["Ticket #1042 — created"],
    }
    assert announced == 3
