"""Retention of the kit's tables: replayed dead letters remember when, inbox rows are
found by age (helpdesk_kit.retention).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from helpdesk_kit.migrations import prepare_messaging_retention

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    prepare_messaging_retention()


def downgrade() -> None:
    op.drop_index("inbox_processed_at_idx", "inbox")
    op.drop_column("dead_letters", "replayed_at")
