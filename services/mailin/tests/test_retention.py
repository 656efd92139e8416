"""Retention of mailin's mail log against real PostgreSQL: old records of filed, dropped
and refused mail go; quarantined mail, an anonymous ticket's first mail and recent mail stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpdesk_kit.db import Database
from helpdesk_kit.retention import Pruner, RetentionSettings
from helpdesk_mailin import app, store
from helpdesk_mailin.domain.mailbox import MailboxSettings

NOW = datetime.now(UTC)


async def record(
    db: Database, mailbox_id: int, uid: int, status: str, *, days_ago: int, **done: object
) -> int:
    async with db.unit_of_work() as uow:
        row = await store.messages.begin(
            uow.conn,
            mailbox_id=mailbox_id,
            uidvalidity=1,
            uid=uid,
            message_id=f"<{uid}@example.org>",
            sender="anna@example.org",
            subject="Printer",
            size=100,
        )
        await store.messages.finish(uow.conn, row.id, status=status, **done)  # type: ignore[arg-type]
        await uow.conn.execute(
            "UPDATE messages SET received_at = $2 WHERE id = $1", row.id, NOW - timedelta(days=days_ago)
        )
        await uow.commit()
    return row.id


async def test_the_mail_log_forgets_old_outcomes_but_keeps_quarantine_and_anonymous_senders(
    db: Database,
) -> None:
    settings = MailboxSettings(
        name="Desk", host="imap.example.org", port=993, security="tls", login="d", unit_id=10
    )
    async with db.unit_of_work() as uow:
        box = await store.mailboxes.insert_mailbox(uow.conn, settings, "pw")
        await uow.commit()
    old_ticket = await record(db, box, 1, "ticket", days_ago=100, ticket_id=7)
    old_dropped = await record(db, box, 2, "dropped", days_ago=100, reason="auto-reply")
    quarantined = await record(db, box, 3, "quarantined", days_ago=100, reason="broken", raw=b"x")
    anonymous = await record(db, box, 4, "ticket", days_ago=100, ticket_id=8, anonymous=True)
    recent = await record(db, box, 5, "comment", days_ago=10, ticket_id=7, comment_id=3)
    rules = app.retention_rules(mail_log_days=90)
    pruner = Pruner(db=db, service="mailin", rules=rules, settings=RetentionSettings())

    counted = await pruner.prune_once(now=NOW)

    left = {r["id"] for r in await db.pool.fetch("SELECT id FROM messages")}
    assert counted["mail_log"] == 2
    assert left == {quarantined, anonymous, recent}
    assert not left & {old_ticket, old_dropped}
    async with db.unit_of_work() as uow:
        assert await store.messages.anonymous_sender_of(uow.conn, 8) == "anna@example.org"
