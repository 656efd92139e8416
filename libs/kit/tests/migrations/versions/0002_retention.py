"""What retention needs of the kit's tables.

Revision ID: 0002
Revises: 0001
"""

from helpdesk_kit.migrations import prepare_messaging_retention

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    prepare_messaging_retention()


def downgrade() -> None:
    pass
