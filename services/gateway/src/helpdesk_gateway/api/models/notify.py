"""Notify's resources: pop-ups, notification settings, channel settings, dead letters, mailings."""

from __future__ import annotations

from typing import Literal

from helpdesk.notify.v1 import notify_pb2 as n_pb

from helpdesk_gateway.api.models.base import Out, Page, Timestamp
from helpdesk_gateway.api.shapes import ts


class Notification(Out):
    """A pop-up."""

    id: int
    event: str
    title: str
    body: str
    ticket_id: int | None
    created_at: Timestamp | None
    is_read: bool

    @classmethod
    def from_pb(cls, n: n_pb.Notification) -> Notification:
        return cls.of(
            id=n.id,
            event=n.event,
            title=n.title,
            body=n.body,
            ticket_id=n.ticket_id or None,
            created_at=ts(n.created_at),
            is_read=n.is_read,
        )


class NotificationList(Page):
    items: list[Notification]


class NotificationSettings(Out):
    events: dict[str, list[str]]
    language: str | None
    pushbullet: str | None

    @classmethod
    def from_pb(cls, p: n_pb.Preferences) -> NotificationSettings:
        return cls.of(
            events={e.event: list(e.channels) for e in p.events},
            language=p.language or None,
            pushbullet=p.pushbullet or None,
        )


class MailSettings(Out):
    """SMTP; ``password`` reads back masked."""

    enabled: bool
    host: str
    port: int
    security: Literal["none", "starttls", "tls"]
    username: str
    password: str
    from_address: str
    from_name: str

    @classmethod
    def from_pb(cls, s: n_pb.MailSettings) -> MailSettings:
        return cls.of(
            enabled=s.enabled,
            host=s.host,
            port=s.port,
            security=s.security,
            username=s.username,
            password=s.password,
            from_address=s.from_address,
            from_name=s.from_name,
        )


class PushbulletSettings(Out):
    """``access_token`` reads back masked."""

    enabled: bool
    access_token: str
    base_url: str

    @classmethod
    def from_pb(cls, s: n_pb.PushbulletSettings) -> PushbulletSettings:
        return cls.of(enabled=s.enabled, access_token=s.access_token, base_url=s.base_url)


class DeadLetter(Out):
    id: int
    channel: str
    user_id: int
    event: str
    source_event_id: str
    address: str
    attempts: int
    last_error: str
    created_at: Timestamp | None
    updated_at: Timestamp | None

    @classmethod
    def from_pb(cls, d: n_pb.DeadLetter) -> DeadLetter:
        return cls.of(
            id=d.delivery_id,
            channel=d.channel,
            user_id=d.user_id,
            event=d.event,
            source_event_id=d.source_event_id,
            address=d.address,
            attempts=d.attempts,
            last_error=d.last_error,
            created_at=ts(d.created_at),
            updated_at=ts(d.updated_at),
        )


class DeadLetterList(Page):
    items: list[DeadLetter]


class Replayed(Out):
    """The dead letters put back in their queue (ids); empty when there was none to replay."""

    replayed: list[int]


class Mailing(Out):
    id: int
    subject: str
    body: str
    state: str
    total: int
    sent: int
    failed: int
    created_by: int
    created_at: Timestamp | None

    @classmethod
    def from_pb(cls, m: n_pb.Mailing) -> Mailing:
        return cls.of(
            id=m.id,
            subject=m.subject,
            body=m.body,
            state=m.state,
            total=m.total,
            sent=m.sent,
            failed=m.failed,
            created_by=m.created_by,
            created_at=ts(m.created_at),
        )
