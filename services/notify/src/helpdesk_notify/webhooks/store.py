"""The SQL of webhooks, their deliveries and the events feed (tables of migration 0006).

Beside ``helpdesk_notify.store`` (pop-ups, the mail and push queue) as
``retention_store`` is: one file per part of the schema, the only places with SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from helpdesk_kit.retention import Pruned, pruned_rows
from helpdesk_kit.sealing import open_value, seal
from helpdesk_notify.webhooks.kinds import TEST, FeedEvent

_PURPOSE = "notify.webhook_secret"


@dataclass(frozen=True)
class WebhookRow:
    id: int
    url: str
    events: list[str]
    unit_ids: list[int]
    enabled: bool
    allowed_cidr: str
    has_secret: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class WebhookValues:
    url: str
    events: list[str]
    unit_ids: list[int]
    enabled: bool
    allowed_cidr: str


_WEBHOOK = (
    "id, url, events, unit_ids, enabled, allowed_cidr, secret <> '' AS has_secret, created_at, updated_at"
)


def _webhook(r: asyncpg.Record) -> WebhookRow:
    return WebhookRow(
        r["id"],
        r["url"],
        list(r["events"]),
        list(r["unit_ids"]),
        r["enabled"],
        r["allowed_cidr"],
        r["has_secret"],
        r["created_at"],
        r["updated_at"],
    )


async def insert_webhook(conn: asyncpg.Connection, v: WebhookValues, secret: str) -> WebhookRow:
    row = await conn.fetchrow(
        f"INSERT INTO webhooks (url, events, unit_ids, enabled, allowed_cidr, secret)"
        f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_WEBHOOK}",
        v.url,
        v.events,
        v.unit_ids,
        v.enabled,
        v.allowed_cidr,
        seal(secret, purpose=_PURPOSE),
    )
    assert row is not None
    return _webhook(row)


async def update_webhook(
    conn: asyncpg.Connection, webhook_id: int, v: WebhookValues, secret: str | None
) -> WebhookRow | None:
    row = await conn.fetchrow(
        f"UPDATE webhooks SET url = $2, events = $3, unit_ids = $4, enabled = $5, allowed_cidr = $6,"
        f" secret = COALESCE($7, secret), updated_at = now() WHERE id = $1 RETURNING {_WEBHOOK}",
        webhook_id,
        v.url,
        v.events,
        v.unit_ids,
        v.enabled,
        v.allowed_cidr,
        seal(secret, purpose=_PURPOSE) if secret is not None else None,
    )
    return _webhook(row) if row else None


async def get_webhook(conn: asyncpg.Connection, webhook_id: int) -> WebhookRow | None:
    row = await conn.fetchrow(f"SELECT {_WEBHOOK} FROM webhooks WHERE id = $1", webhook_id)
    return _webhook(row) if row else None


async def list_webhooks(conn: asyncpg.Connection) -> list[WebhookRow]:
    return [_webhook(r) for r in await conn.fetch(f"SELECT {_WEBHOOK} FROM webhooks ORDER BY id")]


async def delete_webhook(conn: asyncpg.Connection, webhook_id: int) -> WebhookRow | None:
    row = await conn.fetchrow(f"DELETE FROM webhooks WHERE id = $1 RETURNING {_WEBHOOK}", webhook_id)
    return _webhook(row) if row else None


async def record_event(conn: asyncpg.Connection, e: FeedEvent) -> int | None:
    """Stores the event once (its id is unique) and queues one pending delivery for each
    enabled webhook that wants its type (and its unit, when the webhook names units), in
    one statement; the event's ``seq``, or None if it was stored before (nothing queued).

    An SLA event carries no audience: the ticket's last stored one stands in (staff only:
    clients never see SLA figures), else the unit and assignees the event names. An event
    without a unit (a deletion) counts in the ticket's last known unit. (The statement's
    reads see the feed as it was before its own insert; the new row has no unit then, so
    it could not count anyway.)"""
    w = e.who
    row = await conn.fetchrow(
        """
        WITH last AS (
            SELECT staff_user_ids, head_unit_ids, member_unit_ids FROM feed_events
            WHERE $13 AND ticket_id = $5 AND NOT admins_only ORDER BY seq DESC LIMIT 1
        ), stored AS (
            INSERT INTO feed_events (event_id, type, occurred_at, data, ticket_id, unit_id, admins_only,
                                     staff_user_ids, client_user_ids, head_unit_ids, member_unit_ids,
                                     client_group_id)
            SELECT $1, $2, $3, $4, $5, $6, $7,
                   COALESCE((SELECT staff_user_ids FROM last), $8),
                   $9,
                   COALESCE((SELECT head_unit_ids FROM last), $10),
                   COALESCE((SELECT member_unit_ids FROM last), $11),
                   $12
            ON CONFLICT (event_id) DO NOTHING
            RETURNING seq
        ), unit AS (
            SELECT COALESCE($6::bigint, (SELECT unit_id FROM feed_events
                WHERE ticket_id = $5 AND unit_id IS NOT NULL ORDER BY seq DESC LIMIT 1)) AS id
        ), queued AS (
            INSERT INTO webhook_deliveries (webhook_id, event_seq, ticket_id)
            SELECT w.id, stored.seq, $5 FROM stored, webhooks w, unit
            WHERE w.enabled AND $2 = ANY(w.events)
              AND (cardinality(w.unit_ids) = 0 OR unit.id = ANY(w.unit_ids))
        )
        SELECT seq FROM stored
        """,
        e.event_id,
        e.type,
        e.occurred_at,
        orjson.dumps(e.data).decode(),
        e.ticket_id,
        e.unit_id,
        w.admins_only,
        list(w.staff_user_ids),
        list(w.client_user_ids),
        list(w.head_unit_ids),
        list(w.member_unit_ids),
        w.client_group_id,
        e.audience_of_ticket,
    )
    return row["seq"] if row else None


@dataclass(frozen=True)
class Due:
    """A delivery claimed for sending, with what it sends."""

    id: int
    webhook_id: int
    attempts: int
    first_attempt_at: datetime | None
    url: str
    secret: str
    allowed_cidr: str
    event_id: str
    type: str
    occurred_at: datetime
    data: dict[str, Any]


async def claim_due(conn: asyncpg.Connection, limit: int) -> tuple[list[Due], datetime]:
    """Locks due deliveries for this transaction (other workers skip them), and the
    database's clock. A delivery waits while an earlier one of the same ticket to the same
    webhook is pending: receivers get a ticket's events in order."""
    rows = await conn.fetch(
        """
        SELECT d.id, d.webhook_id, d.attempts, d.first_attempt_at, w.url, w.secret, w.allowed_cidr,
               e.event_id, e.type, e.occurred_at, e.data, now() AS db_now
        FROM webhook_deliveries d
        JOIN webhooks w ON w.id = d.webhook_id
        JOIN feed_events e ON e.seq = d.event_seq
        WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND w.enabled
          AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries p
              WHERE p.webhook_id = d.webhook_id AND p.ticket_id = d.ticket_id
                AND p.status = 'pending' AND p.id < d.id)
        ORDER BY d.next_attempt_at, d.id
        LIMIT $1
        FOR UPDATE OF d SKIP LOCKED
        """,
        limit,
    )
    now: datetime = rows[0]["db_now"] if rows else await conn.fetchval("SELECT now()")
    return [
        Due(
            r["id"],
            r["webhook_id"],
            r["attempts"],
            r["first_attempt_at"],
            r["url"],
            open_value(r["secret"], purpose=_PURPOSE),
            r["allowed_cidr"],
            r["event_id"],
            r["type"],
            r["occurred_at"],
            orjson.loads(r["data"]),
        )
        for r in rows
    ], now


def _clean(text: str, limit: int) -> str:
    # PostgreSQL text takes neither NUL nor lone surrogates.
    return text.replace("\x00", "").encode("utf-8", "replace").decode()[:limit]


async def record_attempt(
    conn: asyncpg.Connection,
    delivery_id: int,
    *,
    outcome: str,
    retry_in: float | None,
    status_code: int,
    latency_ms: int,
    response: str,
    error: str,
) -> None:
    """One attempt's outcome (sent | retry | dead) on the delivery and in its log."""
    status = {"sent": "sent", "retry": "pending"}.get(outcome, "dead")
    await conn.execute(
        """
        WITH d AS (
            UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1,
                first_attempt_at = COALESCE(first_attempt_at, now()),
                next_attempt_at = now() + make_interval(secs => COALESCE($3::float8, 0)),
                last_error = $4, last_status_code = $5, last_latency_ms = $6, last_response = $7,
                sent_at = CASE WHEN $2 = 'sent' THEN now() END, updated_at = now()
            WHERE id = $1 RETURNING id)
        INSERT INTO webhook_log (delivery_id, outcome, status_code, latency_ms, response, error)
        SELECT id, $8, $5, $6, $7, $4 FROM d
        """,
        delivery_id,
        status,
        retry_in,
        _clean(error, 2000),
        status_code,
        latency_ms,
        _clean(response, 512),
        outcome,
    )


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    webhook_id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_error: str
    last_status_code: int
    last_latency_ms: int
    last_response: str
    created_at: datetime
    updated_at: datetime


_DELIVERY = (
    "d.id, d.webhook_id, e.event_id, e.type, d.status, d.attempts, d.last_error, d.last_status_code,"
    " d.last_latency_ms, d.last_response, d.created_at, d.updated_at"
)


def _delivery(r: asyncpg.Record) -> DeliveryRow:
    return DeliveryRow(*(r[i] for i in range(12)))


async def list_deliveries(
    conn: asyncpg.Connection, webhook_id: int, *, limit: int, before_id: int | None
) -> list[DeliveryRow]:
    rows = await conn.fetch(
        f"SELECT {_DELIVERY} FROM webhook_deliveries d JOIN feed_events e ON e.seq = d.event_seq"
        " WHERE d.webhook_id = $1 AND ($2::bigint IS NULL OR d.id < $2) ORDER BY d.id DESC LIMIT $3",
        webhook_id,
        before_id,
        limit,
    )
    return [_delivery(r) for r in rows]


async def get_delivery(conn: asyncpg.Connection, delivery_id: int) -> DeliveryRow | None:
    row = await conn.fetchrow(
        f"SELECT {_DELIVERY} FROM webhook_deliveries d JOIN feed_events e ON e.seq = d.event_seq"
        " WHERE d.id = $1",
        delivery_id,
    )
    return _delivery(row) if row else None


async def redeliver(conn: asyncpg.Connection, webhook_id: int, delivery_id: int) -> int | None:
    """A new pending delivery of the same event to the same webhook (the event keeps its id)."""
    new_id: int | None = await conn.fetchval(
        "INSERT INTO webhook_deliveries (webhook_id, event_seq, ticket_id)"
        " SELECT webhook_id, event_seq, ticket_id FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2"
        " RETURNING id",
        delivery_id,
        webhook_id,
    )
    return new_id


async def queue_test(conn: asyncpg.Connection, webhook_id: int, event_id: str, data: dict[str, Any]) -> int:
    """A ``webhook.test`` event (kept out of the feed) delivered to this webhook alone."""
    seq = await conn.fetchval(
        "INSERT INTO feed_events (event_id, type, occurred_at, data, admins_only)"
        " VALUES ($1, $2, now(), $3, true) RETURNING seq",
        event_id,
        TEST,
        orjson.dumps(data).decode(),
    )
    new_id: int = await conn.fetchval(
        "INSERT INTO webhook_deliveries (webhook_id, event_seq) VALUES ($1, $2) RETURNING id", webhook_id, seq
    )
    return new_id


@dataclass(frozen=True)
class Reader:
    """Who reads the feed (from his passport)."""

    user_id: int
    is_admin: bool
    is_client: bool
    role: str
    unit_ids: list[int]
    client_group_id: int | None
    is_client_group_lead: bool


async def order_events(conn: asyncpg.Connection, limit: int) -> int:
    """Gives the feed's positions to events that have none, in ``seq`` order, after the
    last position given; how many. One caller at a time (the ``feed_positions`` row is
    locked first), and each sees every event committed before it took the lock: an event
    committed later gets a later position, so a reader's cursor never passes it."""
    last = await conn.fetchval("SELECT last FROM feed_positions WHERE id = 1 FOR UPDATE")
    seqs = [
        r["seq"]
        for r in await conn.fetch(
            "SELECT seq FROM feed_events WHERE position IS NULL ORDER BY seq LIMIT $1", limit
        )
    ]
    if not seqs:
        return 0
    positions = list(range(last + 1, last + 1 + len(seqs)))
    await conn.execute(
        "UPDATE feed_events f SET position = u.p FROM unnest($1::bigint[], $2::bigint[]) AS u(s, p)"
        " WHERE f.seq = u.s",
        seqs,
        positions,
    )
    await conn.execute("UPDATE feed_positions SET last = $1 WHERE id = 1", positions[-1])
    return len(seqs)


async def list_events(
    conn: asyncpg.Connection, reader: Reader, *, after: int, limit: int
) -> list[asyncpg.Record]:
    """Events after position ``after`` the reader may see: a ticket's events if the ticket's
    audience names him (tickets' rule, as realtime applies it: the admin flag sees no more
    tickets), user events if he is an administrator."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT position AS seq, event_id, type, occurred_at, data FROM feed_events
        WHERE position > $1 AND type <> $2 AND CASE
            WHEN admins_only THEN $3
            WHEN $4 THEN
                $5 = ANY(client_user_ids)
                OR ($8 AND $7::bigint IS NOT NULL AND client_group_id = $7)
            ELSE
                $6 = 'department_head' OR $5 = ANY(staff_user_ids)
                OR ($6 = 'unit_head' AND head_unit_ids && $9::bigint[])
                OR ($6 <> 'unit_head' AND member_unit_ids && $9::bigint[])
            END
        ORDER BY position LIMIT $10
        """,
        after,
        TEST,
        reader.is_admin,
        reader.is_client,
        reader.user_id,
        reader.role,
        reader.client_group_id,
        reader.is_client_group_lead,
        reader.unit_ids,
        limit,
    )
    return rows


async def prune_events(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Pruned:
    """Feed events stored before ``cutoff`` with their deliveries and log (cascade)."""
    status: str = await conn.execute(
        "DELETE FROM feed_events WHERE seq IN ("
        " SELECT seq FROM feed_events WHERE created_at < $1 ORDER BY created_at LIMIT $2"
        " FOR UPDATE SKIP LOCKED)",
        cutoff,
        limit,
    )
    return pruned_rows(status)
