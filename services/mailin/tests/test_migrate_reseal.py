"""Key rotation for mailbox passwords: a new key put first in the ring, then the real
``python -m helpdesk_mailin migrate`` re-seals every password with it (those of the old
key and those written in the clear), so the old key can be dropped and every password
still opens. Real PostgreSQL; the command runs as its own process, as in the migration Job."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

from helpdesk_kit import sealing
from helpdesk_kit.config import DatabaseSettings
from helpdesk_kit.db import Database
from helpdesk_mailin import app, store
from helpdesk_mailin.domain.mailbox import MailboxSettings


def _key(kid: str) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def _migrate(database_url: str, ring: str) -> None:
    env = os.environ | {"HELPDESK_DATABASE_URL": database_url, "HELPDESK_SECRET_KEYS": ring}
    done = subprocess.run(
        [sys.executable, "-m", "helpdesk_mailin", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


async def _stored(db: Database) -> dict[str, str]:
    """Mailbox name → the password column as it lies in the database."""
    async with db.unit_of_work() as uow:
        rows = await uow.conn.fetch("SELECT name, password FROM mailboxes")
    return {r["name"]: r["password"] for r in rows}


async def test_migrate_reseals_every_password_with_the_new_first_key_and_the_old_key_can_then_go(
    database_url: str, secret_keys: str
) -> None:
    old, new = _key("old"), _key("new")
    try:
        sealing.configure(old)
        await app.migrate(DatabaseSettings(database_url=database_url))
        async with Database(database_url, schema=app.SERVICE, pool_size=2) as db:
            async with db.unit_of_work() as uow:
                for name, password in (("sealed", "imap-pw-1"), ("clear", ""), ("none", "")):
                    await store.mailboxes.insert_mailbox(
                        uow.conn, MailboxSettings(name=name, host="imap.example", port=993), password
                    )
                # A password written before sealing existed lies in the clear.
                await uow.conn.execute("UPDATE mailboxes SET password = 'clear-pw' WHERE name = 'clear'")
                await uow.commit()
            before = await _stored(db)
            assert before["sealed"].startswith("sealed:1:old:") and before["clear"] == "clear-pw"

            _migrate(database_url, f"{new},{old}")  # the new key first, the old one still there

            after = await _stored(db)
            assert after["sealed"].startswith("sealed:1:new:") and after["sealed"] != before["sealed"]
            assert after["clear"].startswith("sealed:1:new:")
            assert after["none"] == ""

            sealing.configure(new)  # the old key dropped: every password still opens
            async with db.unit_of_work() as uow:
                ids = {r["name"]: r["id"] for r in await uow.conn.fetch("SELECT id, name FROM mailboxes")}
                assert await store.mailboxes.password_of(uow.conn, ids["sealed"]) == "imap-pw-1"
                assert await store.mailboxes.password_of(uow.conn, ids["clear"]) == "clear-pw"
                assert await store.mailboxes.password_of(uow.conn, ids["none"]) == ""

            _migrate(database_url, new)  # nothing left to re-seal: the values stay as they are
            assert await _stored(db) == after
    finally:
        sealing.configure(secret_keys)
