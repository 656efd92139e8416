"""Alembic environment of the notify schema."""

from helpdesk_kit.migrations import run_env

run_env()
