"""Web pop-ups, and the kit's messaging tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from helpdesk_kit.migrations import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("source_event_id", sa.Text, nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("ticket_id", sa.BigInteger),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        # One pop-up per user per fact, however often the fact is delivered.
        sa.UniqueConstraint("source_event_id", "user_id", name="notifications_event_user_key"),
    )
    op.create_index("notifications_user_idx", "notifications", ["user_id", sa.text("id DESC")])


def downgrade() -> None:
    for table in ("notifications", "dead_letters", "inbox", "outbox"):
        op.drop_table(table)
