"""Plans, calendars, the per-ticket event log, and the timers' next-fire index.

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


def upgrade() -> None:
    op.create_table(
        "calendars",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("time_zone", sa.Text, nullable=False),
        sa.Column("intervals", postgresql.JSONB, nullable=False, server_default="[]"),
        sa.Column("holidays", postgresql.JSONB, nullable=False, server_default="[]"),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("calendar_id", sa.BigInteger, sa.ForeignKey("calendars.id")),
        sa.Column("limits", postgresql.JSONB, nullable=False, server_default="{}"),
    )
    # What sla knows of a ticket: enough to find its plan, notify, and report per unit.
    op.create_table(
        "tickets",
        sa.Column("ticket_id", sa.BigInteger, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("plan_id", sa.BigInteger),
        sa.Column("priority", sa.Text, nullable=False, server_default="normal"),
        sa.Column("unit_id", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("assignee_ids", postgresql.ARRAY(sa.BigInteger), nullable=False, server_default="{}"),
        sa.Column("state", sa.Text, nullable=False, server_default="new"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worst_state", sa.Text, nullable=False, server_default="off"),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default="false"),
    )
    op.create_index("tickets_unit_created_idx", "tickets", ["unit_id", "created_at"])
    # The ticket's history: clocks are replayed from it, so late or repeated events are harmless.
    op.create_table(
        "ticket_facts",
        sa.Column("ticket_id", sa.BigInteger, primary_key=True),
        sa.Column("version", sa.BigInteger, primary_key=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("priority", sa.Text, nullable=False),
        sa.Column("plan_id", sa.BigInteger),
        sa.Column("unit_id", sa.BigInteger, nullable=False),
        sa.Column("assignee_ids", postgresql.ARRAY(sa.BigInteger), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("clocks", sa.Column("warn_at", sa.DateTime(timezone=True)))
    op.add_column("clocks", sa.Column("next_fire_at", sa.DateTime(timezone=True)))
    op.drop_index("clocks_due_idx", table_name="clocks")
    # The timers read only the head of this index: never a scan of the open clocks.
    op.create_index(
        "clocks_next_fire_idx",
        "clocks",
        ["next_fire_at"],
        postgresql_where=sa.text("next_fire_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("clocks_next_fire_idx", table_name="clocks")
    op.create_index("clocks_due_idx", "clocks", ["due_at"], postgresql_where=sa.text("due_at IS NOT NULL"))
    op.drop_column("clocks", "next_fire_at")
    op.drop_column("clocks", "warn_at")
    for table in ("ticket_facts", "tickets", "plans", "calendars"):
        op.drop_table(table)
