"""Checks every use case shares: the portal is on, the caller is signed in, the per-user
posting limits, and the author's name kept for readers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from helpdesk_kit.db import Database
from helpdesk_kit.errors import AppError, FieldError
from helpdesk_kit.logs import get_logger
from helpdesk_portal.directory import Directory
from helpdesk_portal.domain.settings import PortalSettings
from helpdesk_portal.domain.viewer import Viewer
from helpdesk_portal.errors import InvalidPortal, PortalOff, SignInNeeded, TooManyPosts
from helpdesk_portal.store import people_table, post_table, settings_table

log = get_logger(__name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


async def portal_on(conn: asyncpg.Connection) -> PortalSettings:
    """The settings; PortalOff (404) while the portal is switched off."""
    settings = await settings_table.load(conn)
    if not settings.enabled:
        raise PortalOff()
    return settings


def signed_in(viewer: Viewer) -> None:
    if not viewer.is_signed_in:
        raise SignInNeeded()


def page_size(limit: int) -> int:
    if limit == 0:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidPortal("Bad page size.", errors=[FieldError("limit", f"between 1 and {MAX_LIMIT}")])
    return limit


def query_text(q: str) -> str:
    q = q.strip()
    if len(q) > 500 or "\x00" in q:
        raise InvalidPortal("Bad search.", errors=[FieldError("q", "at most 500 characters")])
    return q


async def within_hourly_limit(conn: asyncpg.Connection, *, table: str, viewer: Viewer, per_hour: int) -> None:
    """TooManyPosts (429 with Retry-After) when the user wrote ``per_hour`` posts (or
    comments) in the last hour. Two requests of one user wait for each other here."""
    if per_hour <= 0:
        return
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"portal:{table}:{viewer.user_id}")
    count, oldest = await post_table.recent_by(conn, table, viewer.user_id)
    if count < per_hour:
        return
    free_at = (oldest or datetime.now(UTC)) + timedelta(hours=1)
    retry = max(1, int((free_at - datetime.now(UTC)).total_seconds()) + 1)
    what = "posts" if table == "posts" else "comments"
    raise TooManyPosts(f"At most {per_hour} {what} an hour: try again later.", retry_after=retry)


async def name_to_remember(db: Database, directory: Directory, viewer: Viewer) -> str | None:
    """The writer's full name from identity when the portal's copy is missing or old
    (None: it is fresh). Asked outside any transaction; when identity does not answer,
    his login stands in until the next time."""
    async with db.unit_of_work() as uow:
        if await people_table.is_fresh(uow.conn, viewer.user_id, viewer.is_staff):
            return None
    try:
        person = (await directory.people([viewer.user_id])).get(viewer.user_id)
    except AppError as exc:
        log.warning("portal.directory_failed", error=str(exc))
        person = None
    if person is not None and person.full_name:
        return person.full_name
    return viewer.name or f"#{viewer.user_id}"


async def remember(conn: asyncpg.Connection, viewer: Viewer, name: str | None) -> None:
    if name is not None:
        await people_table.remember(conn, viewer.user_id, name, viewer.is_staff)
