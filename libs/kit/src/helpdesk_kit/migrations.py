"""Alembic migrations per service, each in its own schema, and the kit's own tables.

A service keeps its scripts in ``<package>/migrations`` with an ``env.py`` that
calls :func:`run_env`. :func:`upgrade` applies them; it holds an advisory lock so
that replicas starting together migrate once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from helpdesk_kit.db import sqlalchemy_url

__all__ = [
    "create_import_marks_table",
    "create_index_concurrently",
    "create_messaging_tables",
    "prepare_messaging_retention",
    "run_env",
    "upgrade",
]


async def upgrade(*, database_url: str, schema: str, script_location: Path, revision: str = "head") -> None:
    """Brings the schema to ``revision``. Alembic runs its own event loop, hence the thread."""
    await asyncio.to_thread(_upgrade, database_url, schema, script_location, revision)


def _upgrade(database_url: str, schema: str, script_location: Path, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["schema"] = schema
    command.upgrade(cfg, revision)


def run_env() -> None:
    """The body of every service's ``migrations/env.py``."""
    url: str = context.config.attributes["database_url"]
    schema: str = context.config.attributes["schema"]
    asyncio.run(_run_online(url, schema))


async def _run_online(url: str, schema: str) -> None:
    engine = create_async_engine(
        sqlalchemy_url(url),
        poolclass=NullPool,
        connect_args={"server_settings": {"search_path": schema}},
    )
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": f"migrate:{schema}"})
        # A service's own role may not create schemas: where its schema was made for it
        # (and owned by it), creating is skipped; a superuser URL creates it here.
        exists = await conn.scalar(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema})
        if not exists:
            await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        await conn.commit()
        await conn.run_sync(_migrate, schema)
        await conn.commit()
    await engine.dispose()


def _migrate(conn: Connection, schema: str) -> None:
    context.configure(connection=conn, version_table_schema=schema, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


def create_messaging_tables() -> None:
    """Outbox, inbox and dead letters: called from a service's first migration."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("msg_id", postgresql.UUID, nullable=False, unique=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("headers", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("headers", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def create_index_concurrently(name: str, table: str, columns: list[str], *, where: str | None = None) -> None:
    """An index built without blocking writes (``CREATE INDEX CONCURRENTLY``): tables that
    grew for long take a while to index, and the services keep writing meanwhile. It runs
    outside the migration's transaction; a re-run after a failure finds it made."""
    with op.get_context().autocommit_block():
        op.create_index(
            name,
            table,
            columns,
            postgresql_concurrently=True,
            postgresql_where=sa.text(where) if where else None,
            if_not_exists=True,
        )


def prepare_messaging_retention() -> None:
    """What retention (``helpdesk_kit.retention``) needs of the kit's tables, from a service's
    migration: dead letters remember when they were replayed (kept a while, then pruned),
    and inbox rows are found by age through an index."""
    op.add_column("dead_letters", sa.Column("replayed_at", sa.DateTime(timezone=True)))
    create_index_concurrently("inbox_processed_at_idx", "inbox", ["processed_at"])


def create_import_marks_table() -> None:
    """``imported``: one row per object a bulk import brought in from another system
    (``helpdesk_kit.imports``), so a re-run skips it and never mistakes it for a stranger."""
    op.create_table(
        "imported",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
