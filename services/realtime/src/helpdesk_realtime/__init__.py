"""Helpdesk realtime service."""
