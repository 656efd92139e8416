"""What agents use all day: internal notes, files waiting for their comment, canned
responses and saved list views.

Revision ID: 0007
Revises: 0006

- ``comments.internal``: a staff note, never shown to clients (nor sent to them).
- ``attachments.for_comment``: uploaded for the comment being written; clients see it only
  once it is on a comment they may see, and it has no history entry of its own.
- ``canned_responses``: texts inserted from the comment box, a person's own
  (``owner_id``) or shared with a unit (``unit_id``).
- ``saved_views``: a list's filters and sort under a name, a person's own or shared with
  a unit.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("comments", sa.Column("internal", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column(
        "attachments", sa.Column("for_comment", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("owner_id", sa.BigInteger),
        sa.Column("unit_id", sa.BigInteger),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("(owner_id IS NULL) <> (unit_id IS NULL)", name="canned_owner_or_unit"),
    )
    op.create_index("canned_owner_idx", "canned_responses", ["owner_id"])
    op.create_index("canned_unit_idx", "canned_responses", ["unit_id"])
    op.create_table(
        "saved_views",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("owner_id", sa.BigInteger, nullable=False),
        sa.Column("unit_id", sa.BigInteger),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("saved_views_owner_idx", "saved_views", ["owner_id"])
    op.create_index("saved_views_unit_idx", "saved_views", ["unit_id"])


def downgrade() -> None:
    op.drop_table("saved_views")
    op.drop_table("canned_responses")
    op.drop_column("attachments", "for_comment")
    op.drop_column("comments", "internal")
