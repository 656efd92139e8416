"""Deliveries remember their first attempt: retries are counted in time since it.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("first_attempt_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("deliveries", "first_attempt_at")
