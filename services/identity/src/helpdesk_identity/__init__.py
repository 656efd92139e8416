"""Helpdesk identity service."""
