"""Outgoing webhooks: the webhooks, the events feed they and ``GET /api/v1/events`` read,
one delivery per (webhook, event) and each attempt's log (ADR 0013).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_NOW = sa.func.now()
_IDS = postgresql.ARRAY(sa.BigInteger)


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("unit_ids", _IDS, nullable=False, server_default="{}"),
        sa.Column("secret", sa.Text, nullable=False),  # sealed (helpdesk_kit.sealing)
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("allowed_cidr", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    )
    op.create_table(
        "feed_events",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        # The feed's cursor, given in the order the events became visible (committed), not
        # inserted: a reader never finds an event behind the cursor he already passed.
        sa.Column("position", sa.BigInteger, unique=True),
        sa.Column("event_id", sa.Text, nullable=False, unique=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ticket_id", sa.BigInteger),
        sa.Column("unit_id", sa.BigInteger),
        sa.Column("data", postgresql.JSONB, nullable=False),
        # Who may read it in the feed: the ticket's audience as tickets listed it in the
        # event (docs/product/roles.md § Visibility); admins_only for user events.
        sa.Column("admins_only", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("staff_user_ids", _IDS, nullable=False, server_default="{}"),
        sa.Column("client_user_ids", _IDS, nullable=False, server_default="{}"),
        sa.Column("head_unit_ids", _IDS, nullable=False, server_default="{}"),
        sa.Column("member_unit_ids", _IDS, nullable=False, server_default="{}"),
        sa.Column("client_group_id", sa.BigInteger),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    )
    op.create_index("feed_events_created_idx", "feed_events", ["created_at"])
    op.create_index(
        "feed_events_unordered_idx", "feed_events", ["seq"], postgresql_where=sa.text("position IS NULL")
    )
    op.create_table(
        "feed_positions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="feed_positions_one_row"),
    )
    op.execute("INSERT INTO feed_positions (id, last) VALUES (1, 0)")
    op.create_index("feed_events_ticket_idx", "feed_events", ["ticket_id", sa.text("seq DESC")])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "webhook_id", sa.BigInteger, sa.ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "event_seq", sa.BigInteger, sa.ForeignKey("feed_events.seq", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("ticket_id", sa.BigInteger),  # deliveries of one ticket to one webhook go in order
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("first_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("last_status_code", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_latency_ms", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_response", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('pending', 'sent', 'dead')", name="webhook_deliveries_status_check"),
    )
    op.create_index(
        "webhook_deliveries_due_idx",
        "webhook_deliveries",
        ["next_attempt_at", "id"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "webhook_deliveries_order_idx",
        "webhook_deliveries",
        ["webhook_id", "ticket_id", "id"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "webhook_deliveries_webhook_idx", "webhook_deliveries", ["webhook_id", sa.text("id DESC")]
    )
    op.create_index("webhook_deliveries_event_idx", "webhook_deliveries", ["event_seq"])
    op.create_table(
        "webhook_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "delivery_id",
            sa.BigInteger,
            sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("outcome", sa.Text, nullable=False),  # sent | retry | dead
        sa.Column("status_code", sa.Integer, nullable=False, server_default="0"),
        sa.Column("latency_ms", sa.Integer, nullable=False, server_default="0"),
        sa.Column("response", sa.Text, nullable=False, server_default=""),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("webhook_log_delivery_idx", "webhook_log", ["delivery_id"])


def downgrade() -> None:
    for table in ("webhook_log", "webhook_deliveries", "feed_positions", "feed_events", "webhooks"):
        op.drop_table(table)
