"""Clocks, and the kit's messaging tables.

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
        "clocks",
        sa.Column("ticket_id", sa.BigInteger, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("limit_seconds", sa.BigInteger),
        sa.Column("used_seconds", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("running_since", sa.DateTime(timezone=True)),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("state", sa.Text, nullable=False),
        sa.CheckConstraint("kind IN ('reaction', 'work', 'deadline')", name="clocks_kind_check"),
    )
    # The timers look only at the next clocks to fall due, never scan them all.
    op.create_index("clocks_due_idx", "clocks", ["due_at"], postgresql_where=sa.text("due_at IS NOT NULL"))


def downgrade() -> None:
    for table in ("clocks", "dead_letters", "inbox", "outbox"):
        op.drop_table(table)
