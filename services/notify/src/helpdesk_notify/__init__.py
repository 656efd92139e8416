"""Helpdesk notify service."""
