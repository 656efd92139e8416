"""Checks the user and organisation use cases share: admins only, and a user's references exist."""

from __future__ import annotations

from typing import Any

from helpdesk_identity import store
from helpdesk_identity.domain import NewUser, User
from helpdesk_identity.errors import InvalidUser, UnknownUnit
from helpdesk_kit.errors import FieldError, Forbidden


async def check_references(conn: Any, new: NewUser, user_id: int | None = None) -> None:
    """Login free, units, client group and position existing: else 422 and nothing written."""
    taken = (
        await store.login_taken(conn, new.login)
        if user_id is None
        else await store.login_taken_by_other(conn, new.login, user_id)
    )
    if taken:
        raise InvalidUser("The login is taken.", errors=[FieldError("login", "already taken")])
    missing = set(new.unit_ids) - await store.existing_units(conn, new.unit_ids)
    if missing:
        raise UnknownUnit(
            f"No unit {sorted(missing)}.", errors=[FieldError("unit_ids", f"no unit {sorted(missing)}")]
        )
    errors = []
    if new.client_group_id is not None and not await store.client_group_exists(conn, new.client_group_id):
        errors.append(FieldError("client_group_id", "no such client group"))
    if new.position_id is not None and not await store.position_exists(conn, new.position_id):
        errors.append(FieldError("position_id", "no such position"))
    if errors:
        raise InvalidUser("The user refers to something that does not exist.", errors=errors)


def require_admin(actor: User, what: str) -> None:
    if not actor.is_admin:
        raise Forbidden(f"Only administrators manage {what}.")
