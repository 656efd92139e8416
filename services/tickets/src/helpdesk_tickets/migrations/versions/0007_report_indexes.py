"""Covering indexes for the ticket report (created and done per day, per person, per subject).

Revision ID: 0007
Revises: 0006

The report groups a period's tickets by day, unit, person and subject. With these two
indexes each of its queries is an index-only scan of the period's entries (the table is
not read), measured at 1,000,000 tickets in bench/results/reports.md.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX tickets_created_report_idx ON tickets (created_at) INCLUDE (unit_id, subject)")
    op.execute(
        "CREATE INDEX tickets_done_report_idx ON tickets (done_at) INCLUDE (unit_id, done_by)"
        " WHERE done_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("tickets_done_report_idx", table_name="tickets")
    op.drop_index("tickets_created_report_idx", table_name="tickets")
