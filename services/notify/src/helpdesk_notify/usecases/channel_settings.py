"""The channels' settings (admin): SMTP server and sender, Pushbullet access token.

Secrets (the SMTP password, the access token) are write-only: read back masked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_notify import domain, store
from helpdesk_notify.errors import AdminOnly, InvalidSettings


@dataclass(frozen=True)
class MailSettings:
    enabled: bool = False
    host: str = "localhost"
    port: int = 25
    security: str = "none"
    username: str = ""
    password: str = ""
    from_address: str = "helpdesk@localhost"
    from_name: str = "Helpdesk"


@dataclass(frozen=True)
class PushbulletSettings:
    enabled: bool = False
    access_token: str = ""
    base_url: str = "https://api.pushbullet.com"


def require_admin(is_admin: bool) -> None:
    if not is_admin:
        raise AdminOnly()


async def load_mail_settings(db: Database) -> MailSettings:
    async with db.unit_of_work() as uow:
        raw = await store.settings_section(uow.conn, "mail")
    return MailSettings(**_known(MailSettings, raw or {}))


async def load_pushbullet_settings(db: Database) -> PushbulletSettings:
    async with db.unit_of_work() as uow:
        raw = await store.settings_section(uow.conn, "pushbullet")
    return PushbulletSettings(**_known(PushbulletSettings, raw or {}))


def _known(cls: type[Any], raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}


def masked_mail(s: MailSettings) -> MailSettings:
    return replace(s, password=domain.MASK if s.password else "")


def masked_pushbullet(s: PushbulletSettings) -> PushbulletSettings:
    return replace(s, access_token=domain.MASK if s.access_token else "")


async def get_mail_settings(*, db: Database, actor_is_admin: bool) -> MailSettings:
    require_admin(actor_is_admin)
    return masked_mail(await load_mail_settings(db))


async def put_mail_settings(
    *, db: Database, actor_is_admin: bool, new: MailSettings, set_password: bool
) -> MailSettings:
    require_admin(actor_is_admin)
    errors: list[FieldError] = []
    if new.security not in domain.MAIL_SECURITY:
        errors.append(FieldError("security", f"one of {', '.join(domain.MAIL_SECURITY)}"))
    if not 1 <= new.port <= 65535:
        errors.append(FieldError("port", "between 1 and 65535"))
    if new.enabled and not new.host:
        errors.append(FieldError("host", "required when mail is enabled"))
    if new.enabled and (problem := domain.email_problem(new.from_address)):
        errors.append(FieldError("from_address", f"an e-mail address: {problem}"))
    for name in ("host", "username", "password", "from_name", "from_address"):
        if domain.has_control(getattr(new, name)):
            errors.append(FieldError(name, "no control characters or line breaks"))
    if errors:
        raise InvalidSettings("Invalid mail settings.", errors=errors)
    async with db.unit_of_work() as uow:
        old = MailSettings(**_known(MailSettings, await store.settings_section(uow.conn, "mail") or {}))
        saved = new if set_password else replace(new, password=old.password)
        await store.save_settings_section(uow.conn, "mail", saved.__dict__)
        await uow.commit()
    return masked_mail(saved)


async def get_pushbullet_settings(*, db: Database, actor_is_admin: bool) -> PushbulletSettings:
    require_admin(actor_is_admin)
    return masked_pushbullet(await load_pushbullet_settings(db))


async def put_pushbullet_settings(
    *, db: Database, actor_is_admin: bool, new: PushbulletSettings, set_access_token: bool
) -> PushbulletSettings:
    require_admin(actor_is_admin)
    errors: list[FieldError] = []
    if not new.base_url.startswith(("http://", "https://")) or domain.has_control(new.base_url):
        errors.append(FieldError("base_url", "an http(s) URL"))
    if set_access_token and new.access_token and (problem := domain.token_problem(new.access_token)):
        errors.append(FieldError("access_token", problem))
    if errors:
        raise InvalidSettings("Invalid Pushbullet settings.", errors=errors)
    async with db.unit_of_work() as uow:
        raw = await store.settings_section(uow.conn, "pushbullet") or {}
        old = PushbulletSettings(**_known(PushbulletSettings, raw))
        saved = new if set_access_token else replace(new, access_token=old.access_token)
        await store.save_settings_section(uow.conn, "pushbullet", saved.__dict__)
        await uow.commit()
    return masked_pushbullet(saved)
