"""Indexes for the SLA report: a period's tickets and their clocks read from indexes alone.

Revision ID: 0005
Revises: 0004

The report selects the tickets filed in a period (for every unit or for some) and joins
their clocks. For one unit ``tickets_unit_created_idx`` found the tickets but each was
then read from the table; for every unit (department heads, admins) nothing served the
period, and a month of a million-ticket desk read the whole table; the clocks were always
read in full (a hash join over every clock). Each index here holds the columns the report
reads, so the tickets come from an index-only scan and the clocks from one per ticket
(bench/results/reports.md). The clocks' index costs a little on every clock change.
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX tickets_created_idx ON tickets (created_at) INCLUDE (unit_id, state, deleted)")
    op.drop_index("tickets_unit_created_idx", table_name="tickets")
    op.execute(
        "CREATE INDEX tickets_unit_created_idx ON tickets (unit_id, created_at) INCLUDE (state, deleted)"
    )
    op.execute(
        "CREATE INDEX clocks_report_idx ON clocks (ticket_id, kind)"
        " INCLUDE (limit_seconds, state, used_seconds)"
    )


def downgrade() -> None:
    op.drop_index("clocks_report_idx", table_name="clocks")
    op.drop_index("tickets_unit_created_idx", table_name="tickets")
    op.create_index("tickets_unit_created_idx", "tickets", ["unit_id", "created_at"])
    op.drop_index("tickets_created_idx", table_name="tickets")
