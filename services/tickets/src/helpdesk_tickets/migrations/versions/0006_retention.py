"""Retention: the kit's tables, idempotency keys by age, archived tickets whose history
was pruned (helpdesk_kit.retention, helpdesk_tickets.store.retention_queries).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from helpdesk_kit.migrations import create_index_concurrently, prepare_messaging_retention

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("history_pruned_at", sa.DateTime(timezone=True)))
    prepare_messaging_retention()
    create_index_concurrently("idempotency_keys_created_idx", "idempotency_keys", ["created_at"])
    create_index_concurrently(
        "tickets_archived_unpruned_idx",
        "tickets",
        ["done_at"],
        where="state = 'archived' AND history_pruned_at IS NULL",
    )


def downgrade() -> None:
    op.drop_index("tickets_archived_unpruned_idx", "tickets")
    op.drop_index("idempotency_keys_created_idx", "idempotency_keys")
    op.drop_index("inbox_processed_at_idx", "inbox")
    op.drop_column("dead_letters", "replayed_at")
    op.drop_column("tickets", "history_pruned_at")
