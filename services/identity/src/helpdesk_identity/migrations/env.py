"""Alembic environment of the identity schema."""

from helpdesk_kit.migrations import run_env

run_env()
