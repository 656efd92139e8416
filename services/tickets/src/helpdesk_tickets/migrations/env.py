"""Alembic environment of the tickets schema."""

from helpdesk_kit.migrations import run_env

run_env()
