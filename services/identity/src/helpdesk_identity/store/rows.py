"""A user row: its columns (with the user's units) and the row → ``User`` mapping."""

from __future__ import annotations

import asyncpg

from helpdesk_identity.domain import Kind, Role, User

USER_COLUMNS = """
    u.id, u.login, u.full_name, u.email, u.phone, u.kind, u.role, u.is_admin, u.language,
    u.is_active, u.client_group_id, u.is_client_group_lead, u.position_id, u.pushbullet,
    u.time_zone, u.ldap, u.public_hash,
    coalesce(array(SELECT unit_id FROM user_units uu WHERE uu.user_id = u.id ORDER BY unit_id), '{}')
        AS unit_ids
"""


def user_from_row(row: asyncpg.Record) -> User:
    return User(
        id=row["id"],
        login=row["login"],
        full_name=row["full_name"],
        kind=Kind(row["kind"]),
        role=Role(row["role"]) if row["role"] else None,
        unit_ids=list(row["unit_ids"]),
        email=row["email"],
        phone=row["phone"],
        is_admin=row["is_admin"],
        language=row["language"],
        is_active=row["is_active"],
        client_group_id=row["client_group_id"],
        is_client_group_lead=row["is_client_group_lead"],
        position_id=row["position_id"],
        pushbullet=row["pushbullet"],
        time_zone=row["time_zone"],
        ldap=row["ldap"],
        public_hash=row["public_hash"],
    )
