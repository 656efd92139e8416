"""Helpdesk sla service."""
