"""The sla service's errors: the kit's error tree, with helpers for field errors."""

from __future__ import annotations

from helpdesk_kit.errors import AppError, Conflict, FieldError, Forbidden, InvalidInput, NotFound

__all__ = ["AppError", "Conflict", "Forbidden", "InvalidInput", "NotFound", "invalid"]


def invalid(field: str, message: str) -> InvalidInput:
    """A 422 naming the offending field."""
    return InvalidInput(message, errors=[FieldError(field=field, message=message)])
