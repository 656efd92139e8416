"""The change feed: each ticket row remembers the transaction that last changed it.

Revision ID: 0010
Revises: 0009

``GET /api/v1/tickets?updated_since=…`` pages through tickets in the order their changes
committed, and must never skip one (docs/api.md § Syncing tickets). ``changed_in`` is the
top-level transaction id (``pg_current_xact_id()``) of the row's last change, set on insert
by the column's default and on every update by a trigger, so no write path (lifecycle,
comments touching the search vector, the SLA verdict, archiving, imports) can forget it.
A reader serves only ids below the oldest transaction still running (the snapshot's
``xmin``): those transactions have ended, and no later one can be stamped below it.

Existing rows get 0 (a constant default adds the column without rewriting the table);
they come first, in id order. The indexes are built concurrently: the table may be large.
"""

import sqlalchemy as sa
from alembic import op

from helpdesk_kit.migrations import create_index_concurrently

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

STAMP = "pg_current_xact_id()::text::bigint"


def upgrade() -> None:
    op.add_column("tickets", sa.Column("changed_in", sa.BigInteger, nullable=False, server_default="0"))
    op.alter_column("tickets", "changed_in", server_default=sa.text(STAMP))
    op.execute(
        f"""
        CREATE FUNCTION tickets_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.changed_in := {STAMP};
            RETURN NEW;
        END $$
        """
    )
    # Only real changes move a ticket in the feed; an UPDATE that rewrites the same values
    # (a repeated SLA verdict) does not.
    op.execute(
        "CREATE TRIGGER tickets_stamp_change BEFORE UPDATE ON tickets FOR EACH ROW"
        " WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION tickets_stamp_change()"
    )
    create_index_concurrently("tickets_changes_idx", "tickets", ["changed_in", "id"])
    # The first page of updated_since: where in the feed the tickets updated since then start.
    create_index_concurrently("tickets_updated_idx", "tickets", ["updated_at", "changed_in"])


def downgrade() -> None:
    op.drop_index("tickets_updated_idx", "tickets")
    op.drop_index("tickets_changes_idx", "tickets")
    op.execute("DROP TRIGGER tickets_stamp_change ON tickets")
    op.execute("DROP FUNCTION tickets_stamp_change()")
    op.drop_column("tickets", "changed_in")
