"""LDAP / Active Directory: the settings (bind password masked), the test button, and the sync
that creates, updates and disables users."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from typing import Any

from helpdesk_identity import ldapdir, store
from helpdesk_identity.domain import GroupMapping, Kind, LdapConfig, LdapEntry, NewUser, Role, User
from helpdesk_identity.errors import InvalidUser, UnknownUnit
from helpdesk_identity.usecases.checks import require_admin
from helpdesk_identity.usecases.revocations import announce_change, end_sessions
from helpdesk_kit.db import Database, UnitOfWork
from helpdesk_kit.errors import Conflict, FieldError, InvalidInput, Unavailable
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)

LDAP_KEY = "ldap"


SECRET_MASK = "********"


_PLAIN = {
    f.name: f.default for f in dataclasses.fields(LdapConfig) if f.name not in ("groups", "default_role")
}
_GROUP_KEYS = frozenset({"group_dn", "unit_id", "role"})


def _shape_errors(data: dict[str, Any]) -> list[FieldError]:
    """Keys we do not know and values of the wrong type, each named (the caller's 422)."""
    errors = [
        FieldError(key, "unknown field")
        for key in data
        if key not in _PLAIN and key not in ("groups", "default_role")
    ]
    for key, default in _PLAIN.items():
        if key in data and type(data[key]) is not type(default):
            errors.append(FieldError(key, f"must be a {type(default).__name__}"))
    if data.get("default_role") not in (None, *(r.value for r in Role)):
        errors.append(FieldError("default_role", "unknown role"))
    groups = data.get("groups", [])
    if not isinstance(groups, list):
        return [*errors, FieldError("groups", "must be a list")]
    for i, g in enumerate(groups):
        if not isinstance(g, dict) or not isinstance(g.get("group_dn"), str) or set(g) - _GROUP_KEYS:
            errors.append(FieldError(f"groups.{i}", "{group_dn, unit_id, role}"))
        elif g.get("unit_id") is not None and (
            type(g["unit_id"]) is not int or not 0 <= g["unit_id"] < 2**63
        ):
            errors.append(FieldError(f"groups.{i}.unit_id", "a unit id"))
        elif g.get("role") not in (None, "", *(r.value for r in Role)):
            errors.append(FieldError(f"groups.{i}.role", "unknown role"))
    return errors


def ldap_config_from(data: dict[str, Any]) -> LdapConfig:
    """Settings as the admin API gives them (JSON) -> LdapConfig; 422 naming each bad field."""
    if errors := _shape_errors(data):
        raise InvalidInput("The LDAP settings are not valid.", errors=errors)
    groups = tuple(
        GroupMapping(
            group_dn=g["group_dn"],
            unit_id=int(g["unit_id"]) if g.get("unit_id") else None,
            role=Role(g.get("role") or "unit_member"),
        )
        for g in data.get("groups", [])
    )
    plain = {k: v for k, v in data.items() if k in _PLAIN}
    cfg = LdapConfig(**plain, groups=groups, default_role=Role(data.get("default_role") or "unit_member"))
    cfg.validate()
    return cfg


def ldap_config_out(cfg: LdapConfig) -> dict[str, Any]:
    data = dataclasses.asdict(cfg)
    data["bind_password"] = SECRET_MASK if cfg.bind_password else ""
    data["default_role"] = cfg.default_role.value
    data["groups"] = [
        {"group_dn": g.group_dn, "unit_id": g.unit_id, "role": g.role.value} for g in cfg.groups
    ]
    return data


async def stored_ldap_config(conn: Any) -> LdapConfig:
    data = await store.get_setting_document(conn, LDAP_KEY)
    return ldap_config_from(data) if data else LdapConfig()


async def get_ldap_settings(*, db: Database, actor: User) -> dict[str, Any]:
    require_admin(actor, "LDAP settings")
    async with db.unit_of_work() as uow:
        return ldap_config_out(await stored_ldap_config(uow.conn))


async def put_ldap_settings(*, db: Database, actor: User, data: dict[str, Any]) -> dict[str, Any]:
    """Replaces the settings; a masked bind password keeps the stored one."""
    require_admin(actor, "LDAP settings")
    async with db.unit_of_work() as uow:
        current = await stored_ldap_config(uow.conn)
        if data.get("bind_password") == SECRET_MASK:
            data = {**data, "bind_password": current.bind_password}
        cfg = ldap_config_from(data)
        units = {g.unit_id for g in cfg.groups if g.unit_id is not None}
        missing = units - await store.existing_units(uow.conn, list(units))
        if missing:
            raise UnknownUnit(
                f"No unit {sorted(missing)}.", errors=[FieldError("groups", f"no unit {sorted(missing)}")]
            )
        stored = dataclasses.asdict(cfg) | ldap_config_out(cfg) | {"bind_password": cfg.bind_password}
        await store.put_setting_document(uow.conn, LDAP_KEY, stored)
        await uow.commit()
    log.info("ldap.settings_changed", actor_id=actor.id)
    return ldap_config_out(cfg)


async def test_ldap(*, db: Database, actor: User) -> tuple[bool, str, int]:
    """The admin's test button: (worked, what happened, how many users the directory has)."""
    require_admin(actor, "LDAP settings")
    async with db.unit_of_work() as uow:
        cfg = await stored_ldap_config(uow.conn)
    if not cfg.enabled:
        return False, "LDAP is not enabled.", 0
    try:
        entries = await ldapdir.fetch_users(cfg)
    except ldapdir.LdapUnavailable as exc:
        return False, f"The directory failed: {exc}", 0
    return True, f"Connected; {len(entries)} users found.", len(entries)


@dataclass(frozen=True)
class SyncResult:
    created: int = 0
    updated: int = 0
    disabled: int = 0


async def sync_ldap(*, db: Database, actor: User | None) -> SyncResult:
    """Imports the directory: new users created, changed ones updated, vanished ones disabled.

    One replica at a time (a transaction advisory lock); the others skip the round.
    """
    if actor is not None:
        require_admin(actor, "LDAP")
    async with db.unit_of_work() as uow:
        cfg = await stored_ldap_config(uow.conn)
    if not cfg.enabled:
        raise Conflict("LDAP is not enabled.")
    try:
        entries = await ldapdir.fetch_users(cfg)
    except ldapdir.LdapUnavailable as exc:
        raise Unavailable(f"The directory failed: {exc}") from None
    async with db.unit_of_work() as uow:
        if not await uow.conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext('identity:ldap-sync'))"):
            raise Conflict("A sync is already running.")
        result = await _apply_directory(uow, cfg, entries)
        await uow.commit()
    log.info("ldap.synced", created=result.created, updated=result.updated, disabled=result.disabled)
    return result


async def _apply_directory(uow: UnitOfWork, cfg: LdapConfig, entries: list[LdapEntry]) -> SyncResult:
    """Creates, updates and disables users after the directory; changed rights are announced
    and disabled users' sessions ended, as when an admin does it."""
    conn = uow.conn
    known = {u.login.lower(): (u, dn) for u, dn in await store.ldap_users(conn)}
    created = updated = 0
    for e in entries:
        role, units = cfg.role_and_units(set(e.member_of))
        email = e.email if _valid_email(e.email) else ""
        fields = {
            "full_name": e.full_name,
            "email": email,
            "phone": e.phone[:50],
            "role": role,
            "unit_ids": units,
        }
        if e.login.lower() in known:
            user, dn = known.pop(e.login.lower())
            new = user.as_new().with_changes(**fields)
            if new != user.as_new() or dn != e.dn or not user.is_active:
                await store.update_user(conn, user.id, new, True)
                await store.set_ldap(conn, user.id, e.dn)
                await announce_change(uow, user, replace(user, role=role, unit_ids=units, is_active=True))
                updated += 1
        elif not await store.login_taken(conn, e.login):
            new = NewUser(login=e.login, kind=Kind.STAFF, ldap=True, **fields)  # type: ignore[arg-type]
            try:
                new.validate()
            except InvalidUser:
                log.warning("ldap.entry_skipped", dn=e.dn)
                continue
            user_id = await store.insert_user(conn, new, None)
            await store.set_ldap(conn, user_id, e.dn)
            created += 1
        else:
            log.warning("ldap.login_taken_by_local_user", login=e.login)
    disabled = 0
    for user, _ in known.values():
        if user.is_active:
            await store.update_user(conn, user.id, user.as_new(), False)
            await end_sessions(uow, user.id, "disabled")
            await announce_change(uow, user, replace(user, is_active=False))
            disabled += 1
    return SyncResult(created, updated, disabled)


def _valid_email(email: str) -> bool:
    try:
        NewUser(login="x1", full_name="x", kind=Kind.CLIENT, role=None, unit_ids=[], email=email).validate()
    except InvalidUser:
        return False
    return True
