"""The portal's settings (admins, whether the portal is on or off) and what everyone may
know of it while it is on (title, kinds and statuses, upload limits)."""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk_kit.db import Database
from helpdesk_kit.errors import AppError, FieldError
from helpdesk_portal.directory import Directory
from helpdesk_portal.domain import knowledge
from helpdesk_portal.domain.posts import STATUSES
from helpdesk_portal.domain.settings import PortalSettings
from helpdesk_portal.domain.viewer import Viewer
from helpdesk_portal.errors import NotAllowed, invalid
from helpdesk_portal.store import settings_table
from helpdesk_portal.usecases.guards import portal_on, signed_in


@dataclass(frozen=True)
class PortalInfo:
    title: str
    intro: str
    kinds: dict[str, tuple[str, ...]]
    max_file_bytes: int
    allowed_types: tuple[str, ...]


def _admin(viewer: Viewer) -> None:
    signed_in(viewer)
    if not knowledge.can_manage(viewer):
        raise NotAllowed("Only administrators manage the portal.")


async def portal_info(*, db: Database) -> PortalInfo:
    async with db.unit_of_work() as uow:
        s = await portal_on(uow.conn)
    return PortalInfo(s.title, s.intro, dict(STATUSES), s.max_file_bytes, s.allowed_types)


async def get_settings(*, db: Database, viewer: Viewer) -> PortalSettings:
    _admin(viewer)
    async with db.unit_of_work() as uow:
        return await settings_table.load(uow.conn)


async def put_settings(
    *, db: Database, directory: Directory, viewer: Viewer, new: PortalSettings
) -> PortalSettings:
    """Replaces the settings; the staff to tell of new posts must be active staff."""
    _admin(viewer)
    errors = new.problems()
    ids = sorted(set(new.notify_user_ids))
    if ids and not errors:
        try:
            people = await directory.people(ids)
        except AppError as exc:
            raise invalid([FieldError("notify_user_ids", "the directory did not answer; try again")]) from exc
        wrong = [i for i in ids if i not in people or not people[i].is_staff or not people[i].is_active]
        if wrong:
            errors.append(FieldError("notify_user_ids", f"not active staff: {', '.join(map(str, wrong))}"))
    if errors:
        raise invalid(errors, "The portal settings are not valid.")
    saved = PortalSettings(
        enabled=new.enabled,
        title=new.title.strip(),
        intro=new.intro.strip(),
        notify_user_ids=tuple(ids),
        posts_per_hour=new.posts_per_hour,
        comments_per_hour=new.comments_per_hour,
        max_file_bytes=new.max_file_bytes,
        allowed_types=tuple(dict.fromkeys(t.strip().lower() for t in new.allowed_types)),
    )
    async with db.unit_of_work() as uow:
        await settings_table.save(uow.conn, saved)
        await uow.commit()
    return saved
