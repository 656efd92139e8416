"""REST for notify's settings: the caller's notification settings, and admin-only
channel settings (``mail``, ``pushbullet``), dead letters and mass mailings.

Handlers translate HTTP ⇄ gRPC; permissions are checked again by notify.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import ORJSONResponse
from helpdesk.notify.v1 import notify_pb2 as n_pb
from helpdesk.notify.v1 import notify_pb2_grpc as n_grpc
from pydantic import Field

from helpdesk_gateway.api.shapes import Strict, clients, page, ts
from helpdesk_gateway.auth import AdminDep, CallerDep

router = APIRouter(default_response_class=ORJSONResponse)  # mounted under /api/v1 by api/notify.py

Channel = Literal["popup", "email", "pushbullet"]


def _stub(request: Request) -> n_grpc.NotifySettingsAsyncStub:
    stub: n_grpc.NotifySettingsAsyncStub = n_grpc.NotifySettingsStub(clients(request).channels["notify"])
    return stub


class PreferencesIn(Strict):
    events: dict[str, list[Channel]] = Field(
        default_factory=dict, description="event → channels, e.g. {'ticket.created': ['popup', 'email']}"
    )
    language: Literal["", "en", "ru"] | None = Field(default=None, description='"" = the account language')
    pushbullet: str | None = Field(
        default=None, max_length=320, description="Pushbullet e-mail or device iden"
    )


def _preferences_out(p: n_pb.Preferences) -> dict[str, Any]:
    return {
        "events": {e.event: list(e.channels) for e in p.events},
        "language": p.language or None,
        "pushbullet": p.pushbullet or None,
    }


@router.get("/me/notification-settings", response_model=None)
async def my_notification_settings(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await _stub(request).GetPreferences(n_pb.GetPreferencesRequest())
    return _preferences_out(resp)


@router.patch("/me/notification-settings", response_model=None)
async def update_my_notification_settings(
    body: PreferencesIn, caller: CallerDep, request: Request
) -> dict[str, Any]:
    resp = await _stub(request).UpdatePreferences(
        n_pb.UpdatePreferencesRequest(
            events=[n_pb.EventChannels(event=e, channels=list(c)) for e, c in body.events.items()],
            set_language=body.language is not None,
            language=body.language or "",
            set_pushbullet=body.pushbullet is not None,
            pushbullet=body.pushbullet or "",
        )
    )
    return _preferences_out(resp)


class MailSettingsIn(Strict):
    enabled: bool = False
    host: str = Field(default="", max_length=255)
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    username: str = Field(default="", max_length=255)
    password: str | None = Field(default=None, max_length=1000, description="write-only; omit to keep")
    from_address: str = Field(default="helpdesk@localhost", max_length=320)
    from_name: str = Field(default="Helpdesk", max_length=200)


def _mail_out(s: n_pb.MailSettings) -> dict[str, Any]:
    return {
        "enabled": s.enabled,
        "host": s.host,
        "port": s.port,
        "security": s.security,
        "username": s.username,
        "password": s.password,
        "from_address": s.from_address,
        "from_name": s.from_name,
    }


@router.get("/settings/mail", response_model=None)
async def mail_settings(admin: AdminDep, request: Request) -> dict[str, Any]:
    resp = await _stub(request).GetMailSettings(n_pb.GetMailSettingsRequest())
    return _mail_out(resp)


@router.put("/settings/mail", response_model=None)
async def put_mail_settings(body: MailSettingsIn, admin: AdminDep, request: Request) -> dict[str, Any]:
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
    return _mail_out(resp)


class PushbulletSettingsIn(Strict):
    enabled: bool = False
    access_token: str | None = Field(default=None, max_length=500, description="write-only; omit to keep")
    base_url: str = Field(default="https://api.pushbullet.com", max_length=500)


def _pushbullet_out(s: n_pb.PushbulletSettings) -> dict[str, Any]:
    return {"enabled": s.enabled, "access_token": s.access_token, "base_url": s.base_url}


@router.get("/settings/pushbullet", response_model=None)
async def pushbullet_settings(admin: AdminDep, request: Request) -> dict[str, Any]:
    resp = await _stub(request).GetPushbulletSettings(n_pb.GetPushbulletSettingsRequest())
    return _pushbullet_out(resp)


@router.put("/settings/pushbullet", response_model=None)
async def put_pushbullet_settings(
    body: PushbulletSettingsIn, admin: AdminDep, request: Request
) -> dict[str, Any]:
    settings = n_pb.PushbulletSettings(
        enabled=body.enabled,
        access_token=body.access_token or "",
        base_url=body.base_url,
        set_access_token=body.access_token is not None,
    )
    resp = await _stub(request).PutPushbulletSettings(n_pb.PutPushbulletSettingsRequest(settings=settings))
    return _pushbullet_out(resp)


QueuedChannel = Literal["email", "pushbullet"]


@router.get("/notify/dead-letters", response_model=None)
async def dead_letters(
    admin: AdminDep,
    request: Request,
    limit: int = 50,
    cursor: int | None = None,
    channel: QueuedChannel | None = None,
    event: str | None = Query(default=None, max_length=100),
) -> dict[str, Any]:
    limit = min(max(limit, 1), 200)
    resp = await _stub(request).ListDeadLetters(
        n_pb.ListDeadLettersRequest(
            limit=limit, before_id=cursor or 0, channel=channel or "", event=event or ""
        )
    )
    items = [
        {
            "id": d.delivery_id,
            "channel": d.channel,
            "user_id": d.user_id,
            "event": d.event,
            "source_event_id": d.source_event_id,
            "address": d.address,
            "attempts": d.attempts,
            "last_error": d.last_error,
            "created_at": ts(d.created_at),
            "updated_at": ts(d.updated_at),
        }
        for d in resp.dead_letters
    ]
    return page(items, str(items[-1]["id"]) if len(items) == limit else None)


class ReplayIn(Strict):
    ids: list[int] = Field(default_factory=list, max_length=10_000)
    channel: QueuedChannel | None = None
    event: str | None = Field(default=None, max_length=100)


async def _replay(request: Request, ids: list[int], channel: str, event: str) -> dict[str, Any]:
    resp = await _stub(request).ReplayDeadLetters(
        n_pb.ReplayDeadLettersRequest(ids=ids, channel=channel, event=event)
    )
    return {"replayed": list(resp.replayed)}


@router.post("/notify/dead-letters/replay", response_model=None)
async def replay_dead_letters(body: ReplayIn, admin: AdminDep, request: Request) -> dict[str, Any]:
    """Back in the queue: the dead letters named, or every one of a channel and/or event."""
    return await _replay(request, body.ids, body.channel or "", body.event or "")


@router.post("/notify/dead-letters/{delivery_id}/replay", response_model=None)
async def replay_dead_letter(delivery_id: int, admin: AdminDep, request: Request) -> dict[str, Any]:
    """One dead letter back in the queue; a second replay changes nothing (``replayed`` is empty)."""
    return await _replay(request, [delivery_id], "", "")


class MailingIn(Strict):
    subject: str = Field(min_length=1, max_length=250)
    body: str = Field(min_length=1, max_length=100_000)
    user_ids: list[int] = Field(default_factory=list, max_length=10_000)
    roles: list[Literal["department_head", "unit_head", "unit_member"]] = Field(default_factory=list)
    unit_ids: list[int] = Field(default_factory=list, max_length=1000)
    client_group_ids: list[int] = Field(default_factory=list, max_length=1000)


def _mailing_out(m: n_pb.Mailing) -> dict[str, Any]:
    return {
        "id": m.id,
        "subject": m.subject,
        "body": m.body,
        "state": m.state,
        "total": m.total,
        "sent": m.sent,
        "failed": m.failed,
        "created_by": m.created_by,
        "created_at": ts(m.created_at),
    }


@router.post("/mailings", response_model=None, status_code=201)
async def create_mailing(body: MailingIn, admin: AdminDep, request: Request) -> dict[str, Any]:
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
    return _mailing_out(resp)


@router.get("/mailings/{mailing_id}", response_model=None)
async def get_mailing(mailing_id: int, admin: AdminDep, request: Request) -> dict[str, Any]:
    resp = await _stub(request).GetMailing(n_pb.GetMailingRequest(mailing_id=mailing_id))
    return _mailing_out(resp)
