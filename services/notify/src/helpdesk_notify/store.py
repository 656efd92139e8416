"""The notify schema's queries: the only module of the service with SQL.

Kept whole by rule: every query of the service lives here and nowhere else, so a
change of the schema is checked against one file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from helpdesk_kit.sealing import is_sealed_with_current_key, open_value, seal


@dataclass(frozen=True)
class Popup:
    id: int
    user_id: int
    event: str
    title: str
    body: str
    ticket_id: int | None
    created_at: datetime
    is_read: bool


_COLUMNS = "id, user_id, event, title, body, ticket_id, created_at, read_at IS NOT NULL AS is_read"


def _popup(r: asyncpg.Record) -> Popup:
    return Popup(
        r["id"],
        r["user_id"],
        r["event"],
        r["title"],
        r["body"],
        r["ticket_id"],
        r["created_at"],
        r["is_read"],
    )


async def insert_popups(
    conn: asyncpg.Connection,
    *,
    user_ids: list[int],
    source_event_id: str,
    event: str,
    title: str | list[str],
    body: str,
    ticket_id: int | None,
) -> list[Popup]:
    """One pop-up per user, in one statement (``title``: one for all, or one per user, in
    the users' order, each in his language); a (fact, user) stored before is skipped.
    The stored pop-ups come back in the users' order."""
    titles = [title] * len(user_ids) if isinstance(title, str) else title
    rows = await conn.fetch(
        f"INSERT INTO notifications (user_id, source_event_id, event, title, body, ticket_id)"
        f" SELECT u, $2, $3, t, $4, $5 FROM unnest($1::bigint[], $6::text[]) AS r(u, t)"
        f" ON CONFLICT DO NOTHING RETURNING {_COLUMNS}",
        user_ids,
        source_event_id,
        event,
        body,
        ticket_id,
        titles,
    )
    order = {user_id: i for i, user_id in enumerate(user_ids)}
    return sorted((_popup(r) for r in rows), key=lambda p: order[p.user_id])


async def popups_of(
    conn: asyncpg.Connection, user_id: int, *, limit: int, before_id: int | None
) -> list[Popup]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM notifications WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2)"
        " ORDER BY id DESC LIMIT $3",
        user_id,
        before_id,
        limit,
    )
    return [_popup(r) for r in rows]


async def mark_read(conn: asyncpg.Connection, user_id: int, popup_id: int) -> bool:
    status: str = await conn.execute(
        "UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2",
        popup_id,
        user_id,
    )
    return status.endswith(" 1")


# ---- preferences -------------------------------------------------------------


@dataclass(frozen=True)
class PreferencesRow:
    user_id: int
    events: dict[str, list[str]]
    language: str
    pushbullet: str


async def preferences_of(conn: asyncpg.Connection, user_ids: list[int]) -> dict[int, PreferencesRow]:
    rows = await conn.fetch(
        "SELECT user_id, events::text AS events, language, pushbullet FROM preferences"
        " WHERE user_id = ANY($1::bigint[])",
        user_ids,
    )
    return {
        r["user_id"]: PreferencesRow(r["user_id"], orjson.loads(r["events"]), r["language"], r["pushbullet"])
        for r in rows
    }


async def save_preferences(conn: asyncpg.Connection, row: PreferencesRow) -> None:
    await conn.execute(
        "INSERT INTO preferences (user_id, events, language, pushbullet) VALUES ($1, $2::jsonb, $3, $4)"
        " ON CONFLICT (user_id) DO UPDATE SET events = EXCLUDED.events, language = EXCLUDED.language,"
        " pushbullet = EXCLUDED.pushbullet, updated_at = now()",
        row.user_id,
        orjson.dumps(row.events).decode(),
        row.language,
        row.pushbullet,
    )


# ---- channel settings --------------------------------------------------------


# The secrets of each section, kept sealed in storage (helpdesk_kit.sealing).
_SEALED = {"mail": ("password",), "pushbullet": ("access_token",)}


def _purpose(section: str, name: str) -> str:
    return f"notify.settings:{section}.{name}"


async def _raw_section(conn: asyncpg.Connection, section: str) -> dict[str, Any] | None:
    raw = await conn.fetchval("SELECT value::text FROM channel_settings WHERE section = $1", section)
    if raw is None:
        return None
    value: dict[str, Any] = orjson.loads(raw)
    return value


async def settings_section(conn: asyncpg.Connection, section: str) -> dict[str, Any] | None:
    """A section with its secrets opened."""
    value = await _raw_section(conn, section)
    if value is None:
        return None
    for name in _SEALED.get(section, ()):
        if isinstance(value.get(name), str):
            value[name] = open_value(value[name], purpose=_purpose(section, name))
    return value


async def save_settings_section(conn: asyncpg.Connection, section: str, value: dict[str, Any]) -> None:
    """Stores a section with its secrets sealed."""
    stored = dict(value)
    for name in _SEALED.get(section, ()):
        if isinstance(stored.get(name), str) and stored[name]:
            stored[name] = seal(stored[name], purpose=_purpose(section, name))
    await conn.execute(
        "INSERT INTO channel_settings (section, value) VALUES ($1, $2::jsonb)"
        " ON CONFLICT (section) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
        section,
        orjson.dumps(stored).decode(),
    )


async def reseal_settings(conn: asyncpg.Connection) -> int:
    """Seals secrets stored in the clear, or by a retired key, with the current key."""
    changed = 0
    for section, names in _SEALED.items():
        raw = await _raw_section(conn, section) or {}
        values = [raw[n] for n in names if isinstance(raw.get(n), str) and raw[n]]
        if any(not is_sealed_with_current_key(v) for v in values):
            await save_settings_section(conn, section, await settings_section(conn, section) or {})
            changed += 1
    return changed


# ---- the delivery queue --------------------------------------------------------


@dataclass(frozen=True)
class NewDelivery:
    source_event_id: str
    user_id: int
    channel: str
    event: str
    address: str
    payload: dict[str, Any]
    mailing_id: int | None = None
    delay_seconds: float = 0.0  # a throttled mailing spreads its mails over time


@dataclass(frozen=True)
class Delivery:
    id: int
    source_event_id: str
    user_id: int
    channel: str
    event: str
    address: str
    payload: dict[str, Any]
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    updated_at: datetime
    first_attempt_at: datetime | None = None


_DELIVERY = (
    "id, source_event_id, user_id, channel, event, address, payload::text AS payload, status, attempts,"
    " last_error, created_at, updated_at, first_attempt_at"
)


# Deliveries of these events carry a one-time link (registration, password reset): their
# payload is kept sealed until the mail is built, so the queue holds no usable link.
_SEALED_EVENTS = frozenset({"account.registered", "account.password_reset"})


def _payload_purpose(source_event_id: str, user_id: int) -> str:
    return f"notify.delivery:{source_event_id}:{user_id}"


def _stored_payload(item: NewDelivery) -> str:
    text = orjson.dumps(item.payload).decode()
    if item.event not in _SEALED_EVENTS:
        return text
    sealed = seal(text, purpose=_payload_purpose(item.source_event_id, item.user_id))
    return orjson.dumps({"sealed": sealed}).decode()


def _read_payload(r: asyncpg.Record) -> dict[str, Any]:
    payload: dict[str, Any] = orjson.loads(r["payload"])
    if r["event"] in _SEALED_EVENTS and isinstance(payload.get("sealed"), str):
        opened = open_value(payload["sealed"], purpose=_payload_purpose(r["source_event_id"], r["user_id"]))
        payload = orjson.loads(opened)
    return payload


def _delivery(r: asyncpg.Record) -> Delivery:
    return Delivery(
        r["id"],
        r["source_event_id"],
        r["user_id"],
        r["channel"],
        r["event"],
        r["address"],
        _read_payload(r),
        r["status"],
        r["attempts"],
        r["last_error"],
        r["created_at"],
        r["updated_at"],
        r["first_attempt_at"],
    )


async def enqueue(conn: asyncpg.Connection, items: list[NewDelivery]) -> int:
    """Queues deliveries; a (fact, user, channel) already queued stays as it is. Returns the new count."""
    if not items:
        return 0
    rows = await conn.fetch(
        "INSERT INTO deliveries"
        " (source_event_id, user_id, channel, event, address, payload, mailing_id, next_attempt_at)"
        " SELECT e, u, c, ev, a, p, m, now() + make_interval(secs => d)"
        " FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[],"
        " $6::jsonb[], $7::bigint[], $8::float8[]) AS t(e, u, c, ev, a, p, m, d)"
        " ON CONFLICT DO NOTHING RETURNING id",
        [i.source_event_id for i in items],
        [i.user_id for i in items],
        [i.channel for i in items],
        [i.event for i in items],
        [i.address for i in items],
        [_stored_payload(i) for i in items],
        [i.mailing_id for i in items],
        [i.delay_seconds for i in items],
    )
    return len(rows)


async def claim_due(conn: asyncpg.Connection, channel: str, limit: int) -> tuple[list[Delivery], datetime]:
    """Locks due deliveries of a channel for this transaction; other workers skip them.

    Also returns the database's clock (the transaction's ``now()``), the one every
    delivery time is written with, so retry decisions never mix two clocks.
    """
    rows = await conn.fetch(
        f"SELECT {_DELIVERY}, now() AS db_now FROM deliveries WHERE channel = $1 AND status = 'pending'"
        " AND next_attempt_at <= now() ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
        channel,
        limit,
    )
    now: datetime = rows[0]["db_now"] if rows else await conn.fetchval("SELECT now()")
    return [_delivery(r) for r in rows], now


async def mark_sent(conn: asyncpg.Connection, delivery_id: int) -> None:
    await conn.execute(
        "WITH d AS (UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = now(),"
        " updated_at = now(), last_error = '' WHERE id = $1 RETURNING id)"
        " INSERT INTO delivery_log (delivery_id, outcome) SELECT id, 'sent' FROM d",
        delivery_id,
    )


def _clean(error: str) -> str:
    # PostgreSQL text takes neither NUL nor lone surrogates; a reason is for reading, not a novel.
    return error.replace("\x00", "").encode("utf-8", "replace").decode()[:2000]


async def mark_failed(
    conn: asyncpg.Connection, delivery_id: int, *, error: str, retry_in: float | None, count_attempt: bool
) -> None:
    """``retry_in`` None: given up (dead letter). ``count_attempt`` False: a rate limit, not a failure.

    The first failed attempt's time is kept: the retry horizon is counted from it.
    """
    status = "pending" if retry_in is not None else "dead"
    outcome = "retry" if retry_in is not None else "dead"
    await conn.execute(
        "WITH d AS (UPDATE deliveries SET status = $2, attempts = attempts + $3::int, last_error = $4,"
        " first_attempt_at = coalesce(first_attempt_at, now()), updated_at = now(),"
        " next_attempt_at = now() + make_interval(secs => $5::float8) WHERE id = $1 RETURNING id)"
        " INSERT INTO delivery_log (delivery_id, outcome, error) SELECT id, $6, $4 FROM d",
        delivery_id,
        status,
        1 if count_attempt else 0,
        _clean(error),
        retry_in or 0.0,
        outcome,
    )


async def postpone_channel(conn: asyncpg.Connection, channel: str, seconds: float) -> None:
    """A channel-wide pause (a 429 from the provider): nothing of it is due before ``seconds``."""
    await conn.execute(
        "UPDATE deliveries SET next_attempt_at = greatest(next_attempt_at, now() + make_interval(secs => $2))"
        " WHERE channel = $1 AND status = 'pending'",
        channel,
        seconds,
    )


@dataclass(frozen=True)
class DeadFilter:
    """Which dead letters: by id, or by channel and event (empty = any)."""

    ids: tuple[int, ...] = ()
    channel: str = ""
    event: str = ""


def _dead_where(f: DeadFilter, first_arg: int) -> tuple[str, list[Any]]:
    n = first_arg
    sql = (
        f"status = 'dead' AND (cardinality(${n}::bigint[]) = 0 OR id = ANY(${n}::bigint[]))"
        f" AND (${n + 1}::text = '' OR channel = ${n + 1}) AND (${n + 2}::text = '' OR event = ${n + 2})"
    )
    return sql, [list(f.ids), f.channel, f.event]


async def dead_letters(
    conn: asyncpg.Connection, *, limit: int, before_id: int | None, where: DeadFilter | None = None
) -> list[Delivery]:
    cond, args = _dead_where(where or DeadFilter(), 3)
    rows = await conn.fetch(
        f"SELECT {_DELIVERY} FROM deliveries WHERE {cond} AND ($1::bigint IS NULL OR id < $1)"
        " ORDER BY id DESC LIMIT $2",
        before_id,
        limit,
        *args,
    )
    return [_delivery(r) for r in rows]


async def replay_dead(conn: asyncpg.Connection, where: DeadFilter, *, limit: int) -> list[int]:
    """Dead letters back in the queue, due now, with a fresh retry horizon; returns their ids.

    Only dead rows move: replaying a row already replayed (pending, or sent since)
    changes nothing, so a replay never sends a delivery twice.
    """
    cond, args = _dead_where(where, 2)
    rows = await conn.fetch(
        "WITH d AS (UPDATE deliveries SET status = 'pending', attempts = 0, first_attempt_at = NULL,"
        " next_attempt_at = now(), updated_at = now()"
        f" WHERE id IN (SELECT id FROM deliveries WHERE {cond} ORDER BY id LIMIT $1 FOR UPDATE)"
        " RETURNING id, last_error),"
        " l AS (INSERT INTO delivery_log (delivery_id, outcome, error)"
        " SELECT id, 'replayed', last_error FROM d)"
        " SELECT id FROM d ORDER BY id",
        limit,
        *args,
    )
    return [r["id"] for r in rows]


async def delivery_log(conn: asyncpg.Connection, delivery_id: int) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT outcome, error FROM delivery_log WHERE delivery_id = $1 ORDER BY id", delivery_id
    )
    return [(r["outcome"], r["error"]) for r in rows]


# ---- mailings ------------------------------------------------------------------


@dataclass(frozen=True)
class MailingRow:
    id: int
    subject: str
    body: str
    created_by: int
    total: int
    sent: int
    failed: int
    created_at: datetime


async def insert_mailing(
    conn: asyncpg.Connection, *, subject: str, body: str, created_by: int, total: int
) -> int:
    mailing_id: int = await conn.fetchval(
        "INSERT INTO mailings (subject, body, created_by, total) VALUES ($1, $2, $3, $4) RETURNING id",
        subject,
        body,
        created_by,
        total,
    )
    return mailing_id


async def mailing(conn: asyncpg.Connection, mailing_id: int) -> MailingRow | None:
    r = await conn.fetchrow(
        "SELECT m.id, m.subject, m.body, m.created_by, m.total, m.created_at,"
        # Sent mails of the mailing that retention has pruned are counted in pruned_sent.
        " m.pruned_sent + count(d.id) FILTER (WHERE d.status = 'sent') AS sent,"
        " count(d.id) FILTER (WHERE d.status = 'dead') AS failed"
        " FROM mailings m LEFT JOIN deliveries d ON d.mailing_id = m.id WHERE m.id = $1 GROUP BY m.id",
        mailing_id,
    )
    if r is None:
        return None
    return MailingRow(
        r["id"], r["subject"], r["body"], r["created_by"], r["total"], r["sent"], r["failed"], r["created_at"]
    )
