"""Custom field definitions, attachments on comments, pausing recurring tickets.

Revision ID: 0003
Revises: 0002

A deleted custom field is only marked (``deleted_at``): tickets keep its values in
``tickets.custom_fields`` and in their history, but it is no longer shown or accepted.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("options", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("required", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("client_visible", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "kind IN ('text', 'textarea', 'select', 'multiselect', 'date')", name="custom_fields_kind_check"
        ),
    )
    op.add_column(
        "attachments",
        sa.Column("comment_id", sa.BigInteger, sa.ForeignKey("comments.id", ondelete="SET NULL")),
    )
    op.create_index(
        "attachments_comment_idx",
        "attachments",
        ["comment_id"],
        postgresql_where=sa.text("comment_id IS NOT NULL"),
    )
    op.add_column(
        "recurring_tickets", sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true())
    )
    # The dashboard's counters: open tickets by unit with what is counted, so counting reads
    # this index (index-only when the visibility map allows) instead of the table.
    op.create_index(
        "tickets_open_idx",
        "tickets",
        ["unit_id", "state", "locked_by", "sla_state"],
        postgresql_where=sa.text("state IN ('new', 'in_work')"),
    )


def downgrade() -> None:
    op.drop_index("tickets_open_idx", table_name="tickets")
    op.drop_column("recurring_tickets", "active")
    op.drop_index("attachments_comment_idx", table_name="attachments")
    op.drop_column("attachments", "comment_id")
    op.drop_table("custom_fields")
