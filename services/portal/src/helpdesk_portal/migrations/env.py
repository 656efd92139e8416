"""Alembic environment of the portal schema."""

from helpdesk_kit.migrations import run_env

run_env()
