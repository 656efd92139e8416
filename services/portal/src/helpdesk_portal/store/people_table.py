"""The people who wrote on the portal: the name and staff flag the portal shows for them.

Names are copied from identity when someone writes (at most every ``FRESH_SECONDS``),
so an anonymous reader's page needs no call to identity; a renamed user shows his new
name from his next post, comment or vote on.
"""

from __future__ import annotations

import asyncpg

FRESH_SECONDS = 600


async def is_fresh(conn: asyncpg.Connection, user_id: int, is_staff: bool) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT true FROM people WHERE user_id = $1 AND is_staff = $2"
            " AND seen_at > now() - make_interval(secs => $3)",
            user_id,
            is_staff,
            FRESH_SECONDS,
        )
    )


async def remember(conn: asyncpg.Connection, user_id: int, name: str, is_staff: bool) -> None:
    await conn.execute(
        "INSERT INTO people (user_id, name, is_staff, seen_at) VALUES ($1, $2, $3, now())"
        " ON CONFLICT (user_id) DO UPDATE SET name = EXCLUDED.name, is_staff = EXCLUDED.is_staff,"
        " seen_at = now()",
        user_id,
        name,
        is_staff,
    )
