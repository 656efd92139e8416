"""Idempotency keys for comments and uploads, as creating a ticket has them.

Revision ID: 0009
Revises: 0008

Mail intake turns one mail into a ticket or a comment with its files, and must do it
once even when it dies half-way and starts the mail again: each step carries a key
derived from the mail, and the same key from the same user finds what the first try
made. The keys are scoped to the acting user, like the tickets' own.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comment_idempotency_keys",
        sa.Column("actor_id", sa.BigInteger, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column(
            "comment_id", sa.BigInteger, sa.ForeignKey("comments.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    # Retention prunes the keys by age, as it does the tickets' own.
    op.create_index("comment_idempotency_keys_created_idx", "comment_idempotency_keys", ["created_at"])
    op.add_column("attachments", sa.Column("idempotency_key", sa.Text))
    op.create_index(
        "attachments_idempotency_idx",
        "attachments",
        ["author_id", "idempotency_key"],
        unique=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("attachments_idempotency_idx", table_name="attachments")
    op.drop_column("attachments", "idempotency_key")
    op.drop_index("comment_idempotency_keys_created_idx", table_name="comment_idempotency_keys")
    op.drop_table("comment_idempotency_keys")
