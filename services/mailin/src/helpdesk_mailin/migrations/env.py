"""Alembic environment of the mailin schema."""

from helpdesk_kit.migrations import run_env

run_env()
