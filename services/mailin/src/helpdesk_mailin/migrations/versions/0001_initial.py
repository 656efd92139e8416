"""Mailboxes (settings, sealed password, lease, poll state, counters) and the record of
every message seen (its outcome; the raw mail only while it is quarantined).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _now() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    op.create_table(
        "mailboxes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.Column("security", sa.Text, nullable=False),
        sa.Column("allow_plain", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("login", sa.Text, nullable=False),
        sa.Column("password", sa.Text, nullable=False, server_default=""),  # sealed
        sa.Column("folder", sa.Text, nullable=False),
        sa.Column("processed_folder", sa.Text, nullable=False, server_default=""),
        sa.Column("quarantine_folder", sa.Text, nullable=False),
        sa.Column("unit_id", sa.BigInteger, nullable=False),
        sa.Column("assignee_ids", postgresql.ARRAY(sa.BigInteger), nullable=False, server_default="{}"),
        sa.Column("priority", sa.Text, nullable=False),
        sa.Column("subject_id", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("unknown_senders", sa.Text, nullable=False),
        _now(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        # One poller owns a mailbox at a time across replicas (renewed while it works).
        sa.Column("lease_owner", sa.Text),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        # Where reading stopped: UIDs above last_uid of this UIDVALIDITY are new.
        sa.Column("uidvalidity", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("last_uid", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("last_poll_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("last_error_at", sa.DateTime(timezone=True)),
        sa.Column("idle", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("ingested", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("replies", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("dropped", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("quarantined", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("refused", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "mailbox_id", sa.BigInteger, sa.ForeignKey("mailboxes.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("uidvalidity", sa.BigInteger, nullable=False),
        sa.Column("uid", sa.BigInteger, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False, server_default=""),
        sa.Column("sender", sa.Text, nullable=False, server_default=""),  # lower case
        sa.Column("subject", sa.Text, nullable=False, server_default=""),
        sa.Column("size", sa.BigInteger, nullable=False, server_default="0"),
        # processing | ticket | comment | dropped | refused | quarantined
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("ticket_id", sa.BigInteger),
        sa.Column("comment_id", sa.BigInteger),
        sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("raw", sa.LargeBinary),  # kept while quarantined, for the retry
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("mailbox_id", "uidvalidity", "uid", name="messages_mailbox_uid_key"),
    )
    op.create_index("messages_message_id_idx", "messages", ["mailbox_id", "message_id"])
    op.create_index("messages_sender_idx", "messages", ["sender", "received_at"])
    op.create_index("messages_ticket_idx", "messages", ["ticket_id"])
    op.create_index("messages_received_idx", "messages", ["received_at"])  # retention
    op.create_index(
        "messages_quarantine_idx",
        "messages",
        ["mailbox_id", sa.text("id DESC")],
        postgresql_where=sa.text("status = 'quarantined'"),
    )


def downgrade() -> None:
    op.drop_table("messages")
    op.drop_table("mailboxes")
