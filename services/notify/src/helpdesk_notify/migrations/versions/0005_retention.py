"""Retention: the kit's tables, delivered notifications and pop-ups found by age, and the
mailings' count of their sent mails kept once those are pruned (helpdesk_notify.retention_store).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from helpdesk_kit.migrations import create_index_concurrently, prepare_messaging_retention

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("mailings", sa.Column("pruned_sent", sa.Integer, nullable=False, server_default="0"))
    prepare_messaging_retention()
    create_index_concurrently("deliveries_sent_idx", "deliveries", ["sent_at"], where="status = 'sent'")
    create_index_concurrently("notifications_created_idx", "notifications", ["created_at"])


def downgrade() -> None:
    op.drop_index("notifications_created_idx", "notifications")
    op.drop_index("deliveries_sent_idx", "deliveries")
    op.drop_index("inbox_processed_at_idx", "inbox")
    op.drop_column("dead_letters", "replayed_at")
    op.drop_column("mailings", "pruned_sent")
