"""Refresh tokens kept per session (spent ones too, to catch reuse); a TOTP code's step used once.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.LargeBinary, primary_key=True),
        sa.Column(
            "session_id",
            postgresql.UUID,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("spent_at", sa.DateTime(timezone=True)),
    )
    op.create_index("refresh_tokens_session_idx", "refresh_tokens", ["session_id"])
    # Each session's live refresh token moves over; sessions keep their ids (access tokens name them).
    op.execute(
        "INSERT INTO refresh_tokens (token_hash, session_id, created_at)"
        " SELECT refresh_hash, id, created_at FROM sessions"
    )
    op.drop_column("sessions", "refresh_hash")
    op.add_column("sessions", sa.Column("revoked_reason", sa.Text))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger))


def downgrade() -> None:
    op.drop_column("users", "totp_last_step")
    op.drop_column("sessions", "revoked_reason")
    op.add_column("sessions", sa.Column("refresh_hash", sa.LargeBinary))
    op.execute(
        "UPDATE sessions s SET refresh_hash = t.token_hash FROM refresh_tokens t"
        " WHERE t.session_id = s.id AND t.spent_at IS NULL"
    )
    # A session without a live refresh token cannot be refreshed any more: a hash nobody holds.
    op.execute("UPDATE sessions SET refresh_hash = gen_random_uuid()::text::bytea WHERE refresh_hash IS NULL")
    op.alter_column("sessions", "refresh_hash", nullable=False)
    op.create_unique_constraint("sessions_refresh_hash_key", "sessions", ["refresh_hash"])
    op.drop_table("refresh_tokens")
