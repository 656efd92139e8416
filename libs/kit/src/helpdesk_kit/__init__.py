"""Plumbing shared by Helpdesk services; it knows no domain words."""
