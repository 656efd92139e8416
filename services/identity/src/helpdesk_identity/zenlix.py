"""Identity's part of the ZENLIX 2 import: units, client groups, positions and users.

ZENLIX's ids are kept (``deps.id`` = unit, ``units.id`` = client group, ``posada.id`` =
position, user id = user; ZENLIX's ``system``, id 1, is our ``system``), so the other
services' imports refer to the same people and units without asking. One transaction:
all or nothing; ``dry_run`` rolls it back and only reports. Passwords stay ZENLIX's MD5,
marked legacy, until the user's first sign-in replaces them (``passwords``). No events.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time

import asyncpg

from helpdesk_identity.domain import Kind, NewUser, Role
from helpdesk_identity.errors import InvalidUser
from helpdesk_identity.passwords import legacy_md5
from helpdesk_identity.store import zenlix as zs
from helpdesk_kit import imports
from helpdesk_kit.db import Database
from helpdesk_zenlix import decode, records
from helpdesk_zenlix.reader import Reader
from helpdesk_zenlix.report import ImportRefused, Report, Tally

SOURCE = zs.SOURCE
SYSTEM_ID = 1
# ZENLIX's user hashes (``uniq_id``, an MD5 in hex) are kept: clients of ZENLIX's JSON API
# name users by them (a ticket's client, its assignees). Anything else gets a new one.
_PUBLIC_HASH = re.compile(r"^[0-9A-Za-z]{16,64}$")


class _Names:
    """Unique names per table (case-insensitive): a taken one gets the ZENLIX id appended."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken

    def claim(self, name: str, zenlix_id: int, tally: Tally, what: str) -> str:
        name = name[:200] or f"{what} {zenlix_id}"
        if name.lower() in self.taken:
            name = f"{name} (ZENLIX {zenlix_id})"
            tally.change("name taken: ZENLIX id appended")
        self.taken.add(name.lower())
        return name


async def import_zenlix(*, db: Database, reader: Reader, dry_run: bool) -> Report:
    started = time.monotonic()
    report = Report("identity", dry_run)
    deps = await asyncio.to_thread(reader.departments)
    groups = await asyncio.to_thread(reader.client_groups)
    positions = await asyncio.to_thread(reader.positions)
    users, rejected = await asyncio.to_thread(reader.users)
    async with db.unit_of_work() as uow:
        conn = uow.conn
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('identity:zenlix-import'))")
        await _refuse_strangers(conn, deps, groups, positions, users)
        await _named(conn, "unit", "units", deps, report["units"])
        for d in deps:
            if not d.visible:
                report["units"].change("hidden in ZENLIX (imported like any unit)")
        group_ids = await _named(conn, "client_group", "client_groups", groups, report["client_groups"])
        await _named(conn, "position", "positions", positions, report["positions"])
        position_by_name = {p.name.lower(): p.id for p in positions}
        tally = report["users"]
        tally.read = len(users) + len(rejected)
        for _, reason in rejected:
            tally.skip(reason)
        new_users = await _users(
            conn, users, tally, {d.id for d in deps}, {g.id for g in groups}, position_by_name
        )
        await zs.insert_users(conn, new_users)
        await imports.mark(conn, SOURCE, "user", [u.id for u in new_users])
        await _leads(conn, groups, group_ids, {u.id: u for u in new_users}, report["client_groups"])
        highest = {
            "units": [d.id for d in deps],
            "client_groups": [g.id for g in groups],
            "positions": [p.id for p in positions],
            "users": [u.id for u in users] + [i for i, _ in rejected],
        }
        for table, zenlix_ids in highest.items():
            await imports.advance_sequence(conn, table, max(zenlix_ids, default=1))
        if not dry_run:
            await uow.commit()
    report.seconds = time.monotonic() - started
    return report


async def _refuse_strangers(
    conn: asyncpg.Connection,
    deps: list[records.Department],
    groups: list[records.ClientGroup],
    positions: list[records.Named],
    users: list[records.User],
) -> None:
    """Refuses, before writing, when our ids hold objects no ZENLIX import brought."""
    problems: list[str] = []
    for kind, table, ids in (
        ("unit", "units", [d.id for d in deps]),
        ("client_group", "client_groups", [g.id for g in groups]),
        ("position", "positions", [p.id for p in positions]),
        ("user", "users", [u.id for u in users]),
    ):
        found = await imports.strangers(conn, SOURCE, kind, table, ids)
        if kind == "user" and SYSTEM_ID in found and await _same_system(conn, users):
            found.remove(SYSTEM_ID)
        problems += [f"{table} id {i} is taken here" for i in found]
    if problems:
        raise ImportRefused("identity", problems)


async def _same_system(conn: asyncpg.Connection, users: list[records.User]) -> bool:
    """ZENLIX's built-in account (id 1, ``system``) is our ``system`` (id 1), not a stranger."""
    ours = await zs.login_of(conn, SYSTEM_ID)
    theirs = next((u.login for u in users if u.id == SYSTEM_ID), None)
    return ours is not None and ours.lower() == "system" and (theirs or "").lower() == "system"


async def _named(
    conn: asyncpg.Connection,
    kind: str,
    table: str,
    rows: list[records.Department] | list[records.ClientGroup] | list[records.Named],
    tally: Tally,
) -> dict[int, str]:
    """Inserts the new rows of a named table under their ZENLIX ids; returns id → name."""
    done = await imports.marked(conn, SOURCE, kind)
    names = _Names(await zs.taken_names(conn, table))
    tally.read = len(rows)
    new: list[tuple[int, str]] = []
    for r in rows:
        if r.id in done:
            tally.already += 1
            continue
        new.append((r.id, names.claim(r.name, r.id, tally, kind.replace("_", " "))))
    await zs.insert_named(conn, table, new)
    await imports.mark(conn, SOURCE, kind, [i for i, _ in new])
    tally.imported = len(new)
    return dict(new)


async def _users(
    conn: asyncpg.Connection,
    users: list[records.User],
    tally: Tally,
    unit_ids: set[int],
    group_ids: set[int],
    position_by_name: dict[str, int],
) -> list[zs.UserRow]:
    done = await imports.marked(conn, SOURCE, "user")
    logins = await zs.taken_logins(conn)
    hashes = await zs.taken_hashes(conn)
    out: list[zs.UserRow] = []
    for u in users:
        if u.id in done:
            tally.already += 1
            continue
        if u.id == SYSTEM_ID and await _same_system(conn, users):
            # Ours keeps its password and settings; ZENLIX's "system" history points at it.
            await imports.mark(conn, SOURCE, "user", [SYSTEM_ID])
            if _PUBLIC_HASH.match(u.public_hash) and u.public_hash not in hashes:
                await zs.set_public_hash(conn, SYSTEM_ID, u.public_hash)
                hashes.add(u.public_hash)
            tally.imported += 1
            tally.change("ZENLIX's system account is our system account (its password not carried)")
            continue
        row = _user_row(u, tally, logins, unit_ids, group_ids, position_by_name, hashes)
        if row is None:
            continue
        logins.add(row.login.lower())
        hashes.add(row.public_hash)
        out.append(row)
        tally.imported += 1
    return out


def _user_row(
    u: records.User,
    tally: Tally,
    logins: set[str],
    unit_ids: set[int],
    group_ids: set[int],
    position_by_name: dict[str, int],
    hashes: set[str],
) -> zs.UserRow | None:
    new = _as_new_user(u, tally, unit_ids, group_ids)
    login = new.login
    if login.lower() in logins:
        login = f"{login[:50]}-{u.id}"
        tally.change("login taken (other case): user id appended")
    new = new.with_changes(login=login)
    try:
        new.validate()
    except InvalidUser as exc:
        tally.skip(f"not valid here: {', '.join(e.field for e in exc.errors)}")
        return None
    position = position_by_name.get(u.position_name.lower()) if u.position_name else None
    if u.position_name and position is None:
        tally.change("position text not in the positions list: left empty")
    if u.ldap:
        password_hash = None
    elif u.md5 is not None:
        password_hash = legacy_md5(u.md5)
    else:
        password_hash = None
        tally.change("no MD5 password: must reset it")
    if u.status != "active":
        tally.change(f"{u.status} in ZENLIX: imported disabled")
    public_hash = u.public_hash
    if not _PUBLIC_HASH.match(public_hash) or public_hash in hashes:
        public_hash = secrets.token_hex(16)
        tally.change("user hash (uniq_id) empty, malformed or used twice: a new one")
    return zs.UserRow(
        id=u.id,
        login=new.login,
        password_hash=password_hash,
        full_name=new.full_name,
        email=new.email,
        phone=new.phone,
        kind=new.kind.value,
        role=new.role.value if new.role else None,
        is_admin=new.is_admin,
        language=new.language,
        is_active=u.status == "active",
        client_group_id=new.client_group_id,
        position_id=position,
        pushbullet=new.pushbullet,
        ldap=u.ldap,
        unit_ids=tuple(new.unit_ids),
        public_hash=public_hash,
    )


def _as_new_user(u: records.User, tally: Tally, unit_ids: set[int], group_ids: set[int]) -> NewUser:
    """ZENLIX's user fitted to our rules; every change is counted."""
    kind = Kind.CLIENT if u.is_client else Kind.STAFF
    role: Role | None = None
    units: list[int] = []
    if kind is Kind.STAFF:
        role = Role(u.role) if u.role else Role.UNIT_MEMBER
        if u.role is None:
            tally.change("unknown priv: unit member")
        units = [i for i in u.unit_ids if i in unit_ids]
        if len(units) != len(u.unit_ids) or u.bad_unit_parts:
            tally.change("departments that do not exist dropped")
    elif u.is_admin:
        tally.change("a client cannot be an administrator: flag dropped")
    group = u.client_group_id if u.client_group_id in group_ids else None
    if u.client_group_id is not None and group is None:
        tally.change("client group that does not exist dropped")
    login = u.login if _valid(login=u.login) else f"zenlix-{u.id}"
    if login != u.login:
        tally.change("login not allowed here (letters, digits . _ @ -): became zenlix-<id>")
    email = u.email if _valid(email=u.email) else ""
    if email != u.email:
        tally.change("e-mail not valid: dropped")
    language = decode.LANGUAGES.get(u.language, "en")
    pushbullet = u.pushbullet if len(u.pushbullet) <= 200 else ""
    return NewUser(
        login=login,
        full_name=u.full_name or u.login,
        kind=kind,
        role=role,
        unit_ids=units,
        email=email,
        phone=u.phone[:50],
        is_admin=u.is_admin and kind is Kind.STAFF,
        language=language,
        client_group_id=group if kind is Kind.CLIENT else None,
        pushbullet=pushbullet,
        ldap=u.ldap,
    )


def _valid(*, login: str = "x1", email: str = "") -> bool:
    try:
        NewUser(login=login, full_name="x", kind=Kind.CLIENT, role=None, unit_ids=[], email=email).validate()
    except InvalidUser:
        return False
    return True


async def _leads(
    conn: asyncpg.Connection,
    groups: list[records.ClientGroup],
    new_groups: dict[int, str],
    new_users: dict[int, zs.UserRow],
    tally: Tally,
) -> None:
    """``units.main_user`` leads its group when he is an imported client (he joins the group)."""
    leads: list[tuple[int, int]] = []
    for g in groups:
        if g.id not in new_groups or g.lead_id is None:
            continue
        lead = new_users.get(g.lead_id)
        if lead is None or lead.kind != Kind.CLIENT.value:
            tally.change("lead is not an imported client: group without lead")
            continue
        if lead.client_group_id != g.id:
            tally.change("lead moved into the group he leads")
        leads.append((g.id, lead.id))
    if leads:
        await zs.set_leads(conn, leads)
