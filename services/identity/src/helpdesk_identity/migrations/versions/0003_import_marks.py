"""Marks of imported objects (the ZENLIX import; see helpdesk_kit.imports).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from helpdesk_kit.migrations import create_import_marks_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_import_marks_table()


def downgrade() -> None:
    op.drop_table("imported")
