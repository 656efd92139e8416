"""REST for notify's settings: the caller's notification settings, and admin-only
channel settings (``mail``, ``pushbullet``), dead letters and mass mailings.

Handlers translate HTTP ⇄ gRPC; permissions are checked again by notify.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request
from helpdesk.notify.v1 import notify_pb2 as n_pb
from helpdesk.notify.v1 import notify_pb2_grpc as n_grpc
from pydantic import Field

from helpdesk_gateway.api.models.notify import (
    DeadLetter,
    DeadLetterList,
    Mailing,
    MailSettings,
    NotificationSettings,
    PushbulletSettings,
    Replayed,
)
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.values import LINE, MAX_ID, Id, IdPath, line, text
from helpdesk_gateway.auth import AdminDep, CallerDep

router = api_router()  # mounted under /api/v1 by api/notify.py
EventName = Annotated[str, Field(min_length=1, max_length=100, pattern=LINE)]

Channel = Literal["popup", "email", "pushbullet"]


def _stub(request: Request) -> n_grpc.NotifySettingsAsyncStub:
    stub: n_grpc.NotifySettingsAsyncStub = n_grpc.NotifySettingsStub(clients(request).channels["notify"])
    return stub


class PreferencesIn(Strict):
    events: dict[EventName, list[Channel]] = Field(
        default_factory=dict,
        max_length=100,
        description="event → channels, e.g. {'ticket.created': ['popup', 'email']}",
    )
    language: Literal["", "en", "ru"] | None = Field(default=None, description='"" = the account language')
    pushbullet: str | None = line(320, default=None, description="Pushbullet e-mail or device iden")


@router.get("/me/notification-settings")
async def my_notification_settings(caller: CallerDep, request: Request) -> NotificationSettings:
    resp = await _stub(request).GetPreferences(n_pb.GetPreferencesRequest())
    return NotificationSettings.from_pb(resp)


@router.patch("/me/notification-settings")
async def update_my_notification_settings(
    body: PreferencesIn, caller: CallerDep, request: Request
) -> NotificationSettings:
    resp = await _stub(request).UpdatePreferences(
        n_pb.UpdatePreferencesRequest(
            events=[n_pb.EventChannels(event=e, channels=list(c)) for e, c in body.events.items()],
            set_language=body.language is not None,
            language=body.language or "",
            set_pushbullet=body.pushbullet is not None,
            pushbullet=body.pushbullet or "",
        )
    )
    return NotificationSettings.from_pb(resp)


class MailSettingsIn(Strict):
    enabled: bool = False
    host: str = line(255, default="")
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    username: str = line(255, default="")
    password: str | None = line(1000, default=None, description="write-only; omit to keep")
    from_address: str = line(320, default="helpdesk@localhost")
    from_name: str = line(200, default="Helpdesk")


@router.get("/settings/mail")
async def mail_settings(admin: AdminDep, request: Request) -> MailSettings:
    resp = await _stub(request).GetMailSettings(n_pb.GetMailSettingsRequest())
    return MailSettings.from_pb(resp)


@router.put("/settings/mail")
async def put_mail_settings(body: MailSettingsIn, admin: AdminDep, request: Request) -> MailSettings:
    settings = n_pb.MailSettings(
        enabled=body.enabled,
        host=body.host,
        port=body.port,
        security=body.security,
        username=body.username,
        password=body.password or "",
        from_address=body.from_address,
        from_name=body.from_name,
        set_password=body.password is not None,
    )
    resp = await _stub(request).PutMailSettings(n_pb.PutMailSettingsRequest(settings=settings))
    return MailSettings.from_pb(resp)


class PushbulletSettingsIn(Strict):
    enabled: bool = False
    access_token: str | None = line(500, default=None, description="write-only; omit to keep")
    base_url: str = line(500, default="https://api.pushbullet.com")


@router.get("/settings/pushbullet")
async def pushbullet_settings(admin: AdminDep, request: Request) -> PushbulletSettings:
    resp = await _stub(request).GetPushbulletSettings(n_pb.GetPushbulletSettingsRequest())
    return PushbulletSettings.from_pb(resp)


@router.put("/settings/pushbullet")
async def put_pushbullet_settings(
    body: PushbulletSettingsIn, admin: AdminDep, request: Request
) -> PushbulletSettings:
    settings = n_pb.PushbulletSettings(
        enabled=body.enabled,
        access_token=body.access_token or "",
        base_url=body.base_url,
        set_access_token=body.access_token is not None,
    )
    resp = await _stub(request).PutPushbulletSettings(n_pb.PutPushbulletSettingsRequest(settings=settings))
    return PushbulletSettings.from_pb(resp)


QueuedChannel = Literal["email", "pushbullet"]


@router.get("/notify/dead-letters")
async def dead_letters(
    admin: AdminDep,
    request: Request,
    limit: Annotated[int, Query(description="clamped into 1-200")] = 50,
    cursor: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
    channel: QueuedChannel | None = None,
    event: Annotated[str | None, Query(max_length=100, pattern=LINE)] = None,
) -> DeadLetterList:
    limit = min(max(limit, 1), 200)
    resp = await _stub(request).ListDeadLetters(
        n_pb.ListDeadLettersRequest(
            limit=limit, before_id=cursor or 0, channel=channel or "", event=event or ""
        )
    )
    items = [DeadLetter.from_pb(d) for d in resp.dead_letters]
    return DeadLetterList.of(items=items, next_cursor=str(items[-1].id) if len(items) == limit else None)


class ReplayIn(Strict):
    ids: list[Id] = Field(default_factory=list, max_length=10_000)
    channel: QueuedChannel | None = None
    event: str | None = line(100, default=None)


async def _replay(request: Request, ids: list[int], channel: str, event: str) -> Replayed:
    resp = await _stub(request).ReplayDeadLetters(
        n_pb.ReplayDeadLettersRequest(ids=ids, channel=channel, event=event)
    )
    return Replayed.of(replayed=list(resp.replayed))


@router.post("/notify/dead-letters/replay")
async def replay_dead_letters(body: ReplayIn, admin: AdminDep, request: Request) -> Replayed:
    """Back in the queue: the dead letters named, or every one of a channel and/or event."""
    return await _replay(request, body.ids, body.channel or "", body.event or "")


@router.post("/notify/dead-letters/{delivery_id}/replay")
async def replay_dead_letter(delivery_id: IdPath, admin: AdminDep, request: Request) -> Replayed:
    """One dead letter back in the queue; a second replay changes nothing (``replayed`` is empty)."""
    return await _replay(request, [delivery_id], "", "")


class MailingIn(Strict):
    subject: str = line(250, min_length=1)
    body: str = text(100_000, min_length=1)
    user_ids: list[Id] = Field(default_factory=list, max_length=10_000)
    roles: list[Literal["department_head", "unit_head", "unit_member"]] = Field(
        default_factory=list, max_length=3
    )
    unit_ids: list[Id] = Field(default_factory=list, max_length=1000)
    client_group_ids: list[Id] = Field(default_factory=list, max_length=1000)


@router.post("/mailings", status_code=201)
async def create_mailing(body: MailingIn, admin: AdminDep, request: Request) -> Mailing:
    resp = await _stub(request).CreateMailing(
        n_pb.CreateMailingRequest(
            subject=body.subject,
            body=body.body,
            user_ids=body.user_ids,
            unit_ids=body.unit_ids,
            roles=body.roles,
            client_group_ids=body.client_group_ids,
        )
    )
    return Mailing.from_pb(resp)


@router.get("/mailings/{mailing_id}")
async def get_mailing(mailing_id: IdPath, admin: AdminDep, request: Request) -> Mailing:
    resp = await _stub(request).GetMailing(n_pb.GetMailingRequest(mailing_id=mailing_id))
    return Mailing.from_pb(resp)
