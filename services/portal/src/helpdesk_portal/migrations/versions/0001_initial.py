"""The portal: settings, people, posts with votes and comments, files, news, the knowledge base.

Revision ID: 0001
Revises:

Search vectors are written by the store (the ``russian`` configuration over text
lower-cased in Python), so both Russian and English words are found; GIN indexes
answer them. Files live in ``files.data`` (bytea, at most 10 MiB each by the settings):
see docs/adr/0012-portal-service.md.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from helpdesk_kit.migrations import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _now() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _posts() -> None:
    op.create_table(
        "people",
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("is_staff", sa.Boolean, nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("status_rank", sa.SmallInteger, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("author_id", sa.BigInteger, nullable=False),
        _now(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("likes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("dislikes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("score", sa.Integer, sa.Computed("likes - dislikes", persisted=True), nullable=False),
        sa.Column("comment_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("is_hidden", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("answer_body", sa.Text),
        sa.Column("answer_html", sa.Text),
        sa.Column("answer_by", sa.BigInteger),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("ticket_id", sa.BigInteger),
        sa.Column("search", postgresql.TSVECTOR, nullable=False),
        sa.CheckConstraint("kind IN ('idea', 'problem', 'question', 'thanks')", name="posts_kind_check"),
    )
    op.create_index("posts_search_idx", "posts", ["search"], postgresql_using="gin")
    op.create_index("posts_popular_idx", "posts", [sa.text("score DESC"), sa.text("id DESC")])
    op.create_index("posts_status_idx", "posts", ["status_rank", sa.text("id DESC")])
    op.create_index("posts_author_idx", "posts", ["author_id", "created_at"])
    op.create_table(
        "post_votes",
        sa.Column("post_id", sa.BigInteger, sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("value", sa.SmallInteger, nullable=False),
        sa.CheckConstraint("value IN (-1, 1)", name="post_votes_value_check"),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("post_id", sa.BigInteger, sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.BigInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("is_hidden", sa.Boolean, nullable=False, server_default=sa.false()),
        _now(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("comments_post_idx", "comments", ["post_id", "id"])
    op.create_index("comments_author_idx", "comments", ["author_id", "created_at"])


def _knowledge() -> None:
    op.create_table(
        "news",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("author_id", sa.BigInteger, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "categories",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("parent_id", sa.BigInteger, sa.ForeignKey("categories.id")),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        _now(),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("category_id", sa.BigInteger, sa.ForeignKey("categories.id"), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("visibility", sa.Text, nullable=False),
        sa.Column("unit_ids", postgresql.ARRAY(sa.BigInteger), nullable=False, server_default="{}"),
        sa.Column("author_id", sa.BigInteger, nullable=False),
        _now(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("helpful_yes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("helpful_no", sa.Integer, nullable=False, server_default="0"),
        sa.Column("search", postgresql.TSVECTOR, nullable=False),
        sa.CheckConstraint("visibility IN ('public', 'clients', 'staff')", name="articles_visibility_check"),
    )
    op.create_index("articles_search_idx", "articles", ["search"], postgresql_using="gin")
    op.create_index("articles_title_idx", "articles", ["title", "id"])
    op.create_index("articles_category_idx", "articles", ["category_id", "title", "id"])
    op.create_table(
        "article_votes",
        sa.Column(
            "article_id", sa.BigInteger, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
        ),
        # "u:<user id>" or "v:<sha-256 of an anonymous visitor's cookie>"
        sa.Column("voter", sa.Text, primary_key=True),
        sa.Column("helpful", sa.Boolean, nullable=False),
    )


def _files() -> None:
    owners = ("post_id", "comment_id", "news_id", "article_id")
    op.create_table(
        "files",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("uploader_id", sa.BigInteger, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        _now(),
        sa.Column("post_id", sa.BigInteger, sa.ForeignKey("posts.id", ondelete="CASCADE")),
        sa.Column("comment_id", sa.BigInteger, sa.ForeignKey("comments.id", ondelete="CASCADE")),
        sa.Column("news_id", sa.BigInteger, sa.ForeignKey("news.id", ondelete="CASCADE")),
        sa.Column("article_id", sa.BigInteger, sa.ForeignKey("articles.id", ondelete="CASCADE")),
        sa.CheckConstraint(f"num_nonnulls({', '.join(owners)}) <= 1", name="files_one_owner_check"),
    )
    for owner in owners:
        op.create_index(
            f"files_{owner}_idx", "files", [owner], postgresql_where=sa.text(f"{owner} IS NOT NULL")
        )
    # Uploads never attached are swept after a day: the sweep reads only them.
    op.create_index(
        "files_unattached_idx",
        "files",
        ["created_at"],
        postgresql_where=sa.text(f"num_nonnulls({', '.join(owners)}) = 0"),
    )


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "settings",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("value", postgresql.JSONB, nullable=False),
        sa.CheckConstraint("id = 1", name="settings_one_row_check"),
    )
    _posts()
    _knowledge()
    _files()


def downgrade() -> None:
    for table in (
        "files",
        "article_votes",
        "articles",
        "categories",
        "news",
        "comments",
        "post_votes",
        "posts",
        "people",
        "settings",
        "dead_letters",
        "inbox",
        "outbox",
    ):
        op.drop_table(table)
