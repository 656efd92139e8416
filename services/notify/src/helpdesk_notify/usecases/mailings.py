"""Mass mailings (admin): one mail per picked user, throttled, with progress."""

from __future__ import annotations

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_notify import domain, rules, store
from helpdesk_notify.errors import InvalidMailing, MailingNotFound
from helpdesk_notify.templates import Notice
from helpdesk_notify.usecases.channel_settings import require_admin
from helpdesk_notify.usecases.dispatch import dispatch


async def create_mailing(
    *,
    db: Database,
    directory: rules.Directory,
    actor_id: int,
    actor_is_admin: bool,
    subject_line: str,
    body: str,
    user_ids: list[int],
    unit_ids: list[int],
    roles: list[str],
    client_group_ids: list[int],
    public_url: str,
    per_second: float,
) -> store.MailingRow:
    """Queues one mail per picked user, spaced ``1/per_second`` apart (the throttle)."""
    require_admin(actor_is_admin)
    errors: list[FieldError] = []
    if not subject_line.strip():
        errors.append(FieldError("subject", "required"))
    if not body.strip():
        errors.append(FieldError("body", "required"))
    if len(subject_line) > 250:
        errors.append(FieldError("subject", "at most 250 characters"))
    elif domain.has_control(subject_line):
        errors.append(FieldError("subject", "no control characters or line breaks"))
    bad_roles = sorted(set(roles) - {"department_head", "unit_head", "unit_member"})
    if bad_roles:
        errors.append(FieldError("roles", f"unknown role {bad_roles[0]!r}"))
    if not (user_ids or unit_ids or roles or client_group_ids):
        errors.append(FieldError("recipients", "pick users, units, roles or client groups"))
    if errors:
        raise InvalidMailing("Invalid mailing.", errors=errors)
    recipients = await rules.mass_mailing(
        directory,
        actor_id=actor_id,
        user_ids=user_ids,
        unit_ids=unit_ids,
        roles=roles,
        client_group_ids=client_group_ids,
    )
    people = {p.id: p for p in await directory.people(sorted(recipients))} if recipients else {}
    with_mail = sorted(i for i, p in people.items() if p.email)
    async with db.unit_of_work() as uow:
        mailing_id = await store.insert_mailing(
            uow.conn, subject=subject_line, body=body, created_by=actor_id, total=len(with_mail)
        )
        await dispatch(
            uow=uow,
            directory=directory,
            event_id=f"mailing:{mailing_id}",
            notice=Notice("mailing", subject=subject_line, body=body),
            recipients=with_mail,
            public_url=public_url,
            known=people,
            mailing_id=mailing_id,
            mail_interval=1.0 / per_second if per_second > 0 else 0.0,
        )
        row = await store.mailing(uow.conn, mailing_id)
        await uow.commit()
    assert row is not None
    return row


async def get_mailing(*, db: Database, actor_is_admin: bool, mailing_id: int) -> store.MailingRow:
    require_admin(actor_is_admin)
    async with db.unit_of_work() as uow:
        row = await store.mailing(uow.conn, mailing_id)
    if row is None:
        raise MailingNotFound()
    return row
