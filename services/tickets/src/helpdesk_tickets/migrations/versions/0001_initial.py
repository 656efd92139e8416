"""Tickets, their history, create idempotency keys, and the kit's messaging tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from helpdesk_kit.migrations import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "tickets",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("ref", sa.Text, nullable=False, unique=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("subject_id", sa.BigInteger),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("priority", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False, server_default="new"),
        sa.Column("unit_id", sa.BigInteger, nullable=False),
        sa.Column("assignee_ids", postgresql.ARRAY(sa.BigInteger), nullable=False, server_default="{}"),
        sa.Column("author_id", sa.BigInteger, nullable=False),
        sa.Column("client_id", sa.BigInteger),
        sa.Column("locked_by", sa.BigInteger),
        sa.Column("done_by", sa.BigInteger),
        sa.Column("deadline", sa.DateTime(timezone=True)),
        sa.Column("source", sa.Text, nullable=False, server_default="web"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("priority IN ('low', 'normal', 'high')", name="tickets_priority_check"),
        sa.CheckConstraint("state IN ('new', 'in_work', 'done', 'archived')", name="tickets_state_check"),
    )
    op.create_index("tickets_unit_state_idx", "tickets", ["unit_id", "state", sa.text("id DESC")])
    op.create_index("tickets_author_idx", "tickets", ["author_id", sa.text("id DESC")])
    op.create_index("tickets_assignees_idx", "tickets", ["assignee_ids"], postgresql_using="gin")
    op.create_table(
        "history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "ticket_id", sa.BigInteger, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor_id", sa.BigInteger, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("changes", postgresql.JSONB, nullable=False, server_default="{}"),
    )
    op.create_index("history_ticket_idx", "history", ["ticket_id", "id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("actor_id", sa.BigInteger, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column(
            "ticket_id", sa.BigInteger, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    for table in ("idempotency_keys", "history", "tickets", "dead_letters", "inbox", "outbox"):
        op.drop_table(table)
