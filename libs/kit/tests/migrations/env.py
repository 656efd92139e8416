"""Alembic environment of the throwaway schemas the kit's tests use."""

from helpdesk_kit.migrations import run_env

run_env()
