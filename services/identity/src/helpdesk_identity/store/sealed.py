"""Re-sealing: secrets stored in the clear (before sealing existed) or by a retired key
are sealed again with the current key — what ``migrate`` does on every run, the step
of a key rotation (docs/operations.md)."""

from __future__ import annotations

import asyncpg
import orjson

from helpdesk_identity.store.key_table import signing_purpose
from helpdesk_identity.store.settings_table import (
    SEALED_FIELDS,
    get_setting,
    get_setting_document,
    put_setting_document,
)
from helpdesk_identity.store.user_table import totp_purpose
from helpdesk_kit.sealing import is_sealed_with_current_key, open_value, seal


async def reseal_all(conn: asyncpg.Connection) -> int:
    """How many values it sealed again."""
    changed = 0
    for row in await conn.fetch("SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL"):
        if not is_sealed_with_current_key(row["totp_secret"]):
            purpose = totp_purpose(row["id"])
            secret = open_value(row["totp_secret"], purpose=purpose)
            await conn.execute(
                "UPDATE users SET totp_secret = $2 WHERE id = $1", row["id"], seal(secret, purpose=purpose)
            )
            changed += 1
    for row in await conn.fetch("SELECT kid, private_pem FROM signing_keys"):
        pem = bytes(row["private_pem"]).decode()
        if not is_sealed_with_current_key(pem):
            purpose = signing_purpose(row["kid"])
            await conn.execute(
                "UPDATE signing_keys SET private_pem = $2 WHERE kid = $1",
                row["kid"],
                seal(open_value(pem, purpose=purpose), purpose=purpose).encode(),
            )
            changed += 1
    for key, names in SEALED_FIELDS.items():
        raw = await get_setting(conn, key)
        stored = orjson.loads(raw) if raw else {}
        values = [stored[n] for n in names if isinstance(stored.get(n), str) and stored[n]]
        if any(not is_sealed_with_current_key(v) for v in values):
            await put_setting_document(conn, key, await get_setting_document(conn, key) or {})
            changed += 1
    return changed
