"""Plumbing shared by Helpdesk services; it knows no domain words."""

__all__: list[str] = []
