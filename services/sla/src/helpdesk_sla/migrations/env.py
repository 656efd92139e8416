"""Alembic environment of the sla schema."""

from helpdesk_kit.migrations import run_env

run_env()
