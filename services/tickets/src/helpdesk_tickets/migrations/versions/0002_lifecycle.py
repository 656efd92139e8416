"""The life cycle: subjects, comments, attachments, recurring tickets, settings, search.

Also the columns and indexes that let lists enforce visibility in SQL at a million rows.

Revision ID: 0002
Revises: 0001

Full text uses the ``russian`` configuration: PostgreSQL maps its ``asciiword``
tokens to the English stemmer and Cyrillic ``word`` tokens to the Russian one,
so one ``tsvector`` serves both languages (``simple`` would not stem at all,
``english`` would leave Russian words unstemmed). The service lower-cases the text
itself, so the search works the same whatever the database's locale.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("sla_plan_id", sa.BigInteger))
    op.add_column("tickets", sa.Column("sla_state", sa.Text))
    op.add_column(
        "tickets",
        sa.Column("author_unit_ids", postgresql.ARRAY(sa.BigInteger), nullable=False, server_default="{}"),
    )
    op.add_column("tickets", sa.Column("client_group_id", sa.BigInteger))
    op.add_column("tickets", sa.Column("done_at", sa.DateTime(timezone=True)))
    op.add_column(
        "tickets", sa.Column("custom_fields", postgresql.JSONB, nullable=False, server_default="{}")
    )
    op.add_column(
        "tickets",
        sa.Column("comments_search", postgresql.TSVECTOR, nullable=False, server_default=""),
    )
    # Filled by the service from lower-cased text (see store.search_text): PostgreSQL's
    # lower() and parser fold Cyrillic case only under a non-C locale, Python's always.
    op.add_column("tickets", sa.Column("search", postgresql.TSVECTOR, nullable=False, server_default=""))
    op.create_index("tickets_search_idx", "tickets", ["search"], postgresql_using="gin")
    op.create_index("tickets_author_units_idx", "tickets", ["author_unit_ids"], postgresql_using="gin")
    op.create_index("tickets_client_idx", "tickets", ["client_id", sa.text("id DESC")])
    op.create_index(
        "tickets_client_group_idx",
        "tickets",
        ["client_group_id", sa.text("id DESC")],
        postgresql_where=sa.text("client_group_id IS NOT NULL"),
    )
    op.create_index(
        "tickets_unit_wide_idx",
        "tickets",
        ["unit_id", sa.text("id DESC")],
        postgresql_where=sa.text("assignee_ids = '{}' AND state <> 'archived'"),
    )
    op.create_index("tickets_done_idx", "tickets", ["done_at"], postgresql_where=sa.text("state = 'done'"))
    op.create_table(
        "subjects",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("sla_plan_id", sa.BigInteger),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "ticket_id", sa.BigInteger, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("author_id", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("comments_ticket_idx", "comments", ["ticket_id", "id"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "ticket_id", sa.BigInteger, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("storage_key", sa.Text, nullable=False, unique=True),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("author_id", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("attachments_ticket_idx", "attachments", ["ticket_id", "id"])
    op.create_table(
        "recurring_tickets",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("author", postgresql.JSONB, nullable=False),
        sa.Column("template", postgresql.JSONB, nullable=False),
        sa.Column("schedule", postgresql.JSONB, nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index(
        "recurring_due_idx",
        "recurring_tickets",
        ["next_run_at"],
        postgresql_where=sa.text("next_run_at IS NOT NULL"),
    )
    op.create_table(
        "settings",
        sa.Column("section", sa.Text, primary_key=True),
        sa.Column("value", postgresql.JSONB, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("settings")
    op.drop_table("recurring_tickets")
    op.drop_table("attachments")
    op.drop_table("comments")
    op.drop_table("subjects")
    for index in (
        "tickets_done_idx",
        "tickets_unit_open_idx",
        "tickets_unit_wide_idx",
        "tickets_client_group_idx",
        "tickets_client_idx",
        "tickets_author_units_idx",
        "tickets_search_idx",
    ):
        op.drop_index(index, table_name="tickets")
    for column in (
        "search",
        "comments_search",
        "custom_fields",
        "done_at",
        "client_group_id",
        "author_unit_ids",
        "sla_state",
        "sla_plan_id",
    ):
        op.drop_column("tickets", column)
