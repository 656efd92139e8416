"""A maintained daily aggregate for the ticket report.

Revision ID: 0008
Revises: 0007

``report_days`` holds, per UTC day and unit, how many tickets were filed (per subject of
the list, 0 for typed subjects), finished (per person who finished them) and reopened.
The use cases add to it in the same transaction as the change, so a report reads a few
rows per day and unit instead of the period's tickets: a year of a million-ticket desk
is a few thousand rows (bench/results/reports.md). Existing tickets are counted here once:
filed on their creation day, finished on their ``done_at`` day by ``done_by``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_days",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("unit_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False, server_default="0"),  # who finished; 0 = no one
        sa.Column("subject_id", sa.BigInteger, nullable=False, server_default="0"),  # 0 = typed or none
        sa.Column("created", sa.Integer, nullable=False, server_default="0"),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reopened", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("day", "unit_id", "user_id", "subject_id"),
    )
    op.execute(
        "INSERT INTO report_days (day, unit_id, subject_id, created)"
        " SELECT (created_at AT TIME ZONE 'UTC')::date, unit_id, COALESCE(subject_id, 0), count(*)"
        " FROM tickets GROUP BY 1, 2, 3"
    )
    op.execute(
        "INSERT INTO report_days (day, unit_id, user_id, done)"
        " SELECT (done_at AT TIME ZONE 'UTC')::date, unit_id, COALESCE(done_by, 0), count(*)"
        " FROM tickets WHERE done_at IS NOT NULL GROUP BY 1, 2, 3"
        " ON CONFLICT (day, unit_id, user_id, subject_id) DO UPDATE SET done = EXCLUDED.done"
    )


def downgrade() -> None:
    op.drop_table("report_days")
