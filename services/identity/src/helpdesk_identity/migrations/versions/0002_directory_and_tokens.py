"""Client groups, positions, contact fields, TOTP, API tokens, one-time tokens, search index.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEARCH_EXPR = "lower(login || ' ' || full_name || ' ' || email || ' ' || phone)"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "client_groups",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("lead_id", sa.BigInteger),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("client_groups_name_key", "client_groups", [sa.text("lower(name)")], unique=True)
    op.create_table(
        "positions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
    )
    op.create_index("positions_name_key", "positions", [sa.text("lower(name)")], unique=True)
    op.add_column("users", sa.Column("pushbullet", sa.Text, nullable=False, server_default=""))
    op.add_column("users", sa.Column("time_zone", sa.Text, nullable=False, server_default=""))
    op.add_column("users", sa.Column("ldap", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("users", sa.Column("ldap_dn", sa.Text))
    op.add_column("users", sa.Column("totp_secret", sa.Text))
    op.add_column("users", sa.Column("totp_enabled", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_foreign_key("users_client_group_fk", "users", "client_groups", ["client_group_id"], ["id"])
    op.create_foreign_key("users_position_fk", "users", "positions", ["position_id"], ["id"])
    op.create_foreign_key("client_groups_lead_fk", "client_groups", "users", ["lead_id"], ["id"])
    op.create_index("users_client_group_idx", "users", ["client_group_id"])
    op.execute(f"CREATE INDEX users_search_trgm ON users USING gin (({SEARCH_EXPR}) gin_trgm_ops)")
    op.create_index("sessions_user_idx", "sessions", ["user_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("token_hash", sa.LargeBinary, nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_index("api_tokens_user_idx", "api_tokens", ["user_id"])
    op.create_table(
        "one_time_tokens",
        sa.Column("token_hash", sa.LargeBinary, primary_key=True),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", postgresql.JSONB, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("settings")
    op.drop_table("one_time_tokens")
    op.drop_table("api_tokens")
    op.drop_index("sessions_user_idx", "sessions")
    op.execute("DROP INDEX users_search_trgm")
    op.drop_index("users_client_group_idx", "users")
    op.drop_constraint("client_groups_lead_fk", "client_groups")
    op.drop_constraint("users_position_fk", "users")
    op.drop_constraint("users_client_group_fk", "users")
    for column in ("totp_enabled", "totp_secret", "ldap_dn", "ldap", "time_zone", "pushbullet"):
        op.drop_column("users", column)
    op.drop_table("positions")
    op.drop_table("client_groups")
