"""Preferences, channel settings, the per-channel delivery queue and log, mailings.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "preferences",
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("events", postgresql.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("language", sa.Text, nullable=False, server_default=""),
        sa.Column("pushbullet", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    )
    op.create_table(
        "channel_settings",
        sa.Column("section", sa.Text, primary_key=True),
        sa.Column("value", postgresql.JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    )
    op.create_table(
        "mailings",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_by", sa.BigInteger, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("source_event_id", sa.Text, nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("payload", postgresql.JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("mailing_id", sa.BigInteger, sa.ForeignKey("mailings.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('pending', 'sent', 'dead')", name="deliveries_status_check"),
        # One delivery per fact, recipient and channel, however often the fact is delivered.
        sa.UniqueConstraint(
            "source_event_id", "user_id", "channel", name="deliveries_event_user_channel_key"
        ),
    )
    op.create_index(
        "deliveries_due_idx",
        "deliveries",
        ["channel", "next_attempt_at", "id"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "deliveries_dead_idx", "deliveries", [sa.text("id DESC")], postgresql_where=sa.text("status = 'dead'")
    )
    op.create_index("deliveries_mailing_idx", "deliveries", ["mailing_id"])
    op.create_table(
        "delivery_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("delivery_id", sa.BigInteger, sa.ForeignKey("deliveries.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("outcome", sa.Text, nullable=False),  # sent | retry | dead
        sa.Column("error", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("delivery_log_delivery_idx", "delivery_log", ["delivery_id"])


def downgrade() -> None:
    for table in ("delivery_log", "deliveries", "mailings", "channel_settings", "preferences"):
        op.drop_table(table)
