"""One GIN index over the visibility columns and the search vector.

Revision ID: 0004
Revises: 0003

A unit member's search is a union of branches such as "my unit's tickets sent to
the unit as a whole AND matching the words". With separate indexes PostgreSQL
reads every ticket of the word (a common word: a tenth of a million tickets) and
ANDs the bitmap with the unit's; a multi-column GIN index (``btree_gin`` gives the
scalar ``unit_id`` a GIN operator class) intersects inside the index, starting
from the rarer key, so such a branch reads a few hundred entries. The index also
answers each column alone, so it replaces the separate GIN indexes on the search
vector, the assignees and the author's units: one index to maintain per write
instead of three. Measured at 1,000,000 tickets in ``bench/results/tickets.md``.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute(
        "CREATE INDEX tickets_scope_search_idx ON tickets"
        " USING gin (unit_id, assignee_ids, author_unit_ids, search)"
    )
    op.drop_index("tickets_search_idx", table_name="tickets")
    op.drop_index("tickets_assignees_idx", table_name="tickets")
    op.drop_index("tickets_author_units_idx", table_name="tickets")


def downgrade() -> None:
    op.create_index("tickets_author_units_idx", "tickets", ["author_unit_ids"], postgresql_using="gin")
    op.create_index("tickets_assignees_idx", "tickets", ["assignee_ids"], postgresql_using="gin")
    op.create_index("tickets_search_idx", "tickets", ["search"], postgresql_using="gin")
    op.drop_index("tickets_scope_search_idx", table_name="tickets")
