"""Helpdesk tickets service."""
