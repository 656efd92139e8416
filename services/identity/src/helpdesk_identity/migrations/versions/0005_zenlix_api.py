"""ZENLIX's JSON API: every user's public hash, and ZENLIX API keys beside the API tokens.

``users.public_hash`` is how ZENLIX's API names users: random (32 hexadecimal characters
from ``gen_random_uuid``, PostgreSQL's strong random source) unless the ZENLIX import gives
ZENLIX's own. ``api_tokens.kind`` tells personal API tokens (``api``) from ZENLIX API
keys (``zenlix``); ``device`` binds a key made by ZENLIX's ``auth`` to the device it named
(the SHA-256 of its push token, "" for none; NULL for keys made in the profile).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

RANDOM_HASH = "replace(gen_random_uuid()::text, '-', '')"


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("public_hash", sa.Text, nullable=False, server_default=sa.text(RANDOM_HASH))
    )
    op.create_index("users_public_hash_key", "users", ["public_hash"], unique=True)
    op.add_column("api_tokens", sa.Column("kind", sa.Text, nullable=False, server_default="api"))
    op.add_column("api_tokens", sa.Column("device", sa.Text))


def downgrade() -> None:
    op.drop_column("api_tokens", "device")
    op.drop_column("api_tokens", "kind")
    op.drop_index("users_public_hash_key", "users")
    op.drop_column("users", "public_hash")
