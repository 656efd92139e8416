"""gRPC ⇄ use cases for helpdesk.notify.v1.Notify."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from helpdesk.notify.v1 import notify_pb2 as pb
from helpdesk.notify.v1 import notify_pb2_grpc as pb_grpc

from helpdesk_kit.db import Database
from helpdesk_kit.timestamps import to_timestamp as _ts
from helpdesk_kit.trust import current_user
from helpdesk_notify import usecases
from helpdesk_notify.domain import Preferences
from helpdesk_notify.rules import Directory
from helpdesk_notify.store import DeadFilter, MailingRow
from helpdesk_notify.webhooks import usecases as webhooks
from helpdesk_notify.webhooks.addresses import AddressGuard
from helpdesk_notify.webhooks.wire import delivery_to_pb, feed_event_to_pb, webhook_input, webhook_to_pb

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


class NotifyService(pb_grpc.NotifyServicer):
    def __init__(self, *, db: Database, public_url: str = "http://localhost:8080") -> None:
        self._db = db
        self._public_url = public_url

    async def ListNotifications(
        self, request: pb.ListNotificationsRequest, context: Context
    ) -> pb.ListNotificationsResponse:
        popups = await usecases.list_popups(
            db=self._db,
            user_id=current_user().user_id,
            limit=request.limit or 50,
            before_id=request.before_id or None,
        )
        return pb.ListNotificationsResponse(notifications=[usecases.popup_to_pb(p) for p in popups])

    async def MarkRead(self, request: pb.MarkReadRequest, context: Context) -> pb.MarkReadResponse:
        await usecases.mark_read(
            db=self._db, user_id=current_user().user_id, popup_id=request.notification_id
        )
        return pb.MarkReadResponse()

    async def ListEvents(self, request: pb.ListEventsRequest, context: Context) -> pb.ListEventsResponse:
        page = await webhooks.list_events(
            self._db, current_user(), after=max(request.after, 0), limit=request.limit or 100
        )
        return pb.ListEventsResponse(events=[feed_event_to_pb(e) for e in page.events], next=page.next)

    async def QueueAutoReply(
        self, request: pb.QueueAutoReplyRequest, context: Context
    ) -> pb.QueueAutoReplyResponse:
        queued = await usecases.queue_auto_reply(
            db=self._db,
            key=request.key,
            to_address=request.to_address,
            to_name=request.to_name,
            in_reply_to=request.in_reply_to,
            subject=request.subject,
            reason=request.reason,
            public_url=self._public_url,
        )
        return pb.QueueAutoReplyResponse(queued=queued)


def preferences_to_pb(p: Preferences) -> pb.Preferences:
    return pb.Preferences(
        user_id=p.user_id,
        events=[pb.EventChannels(event=e, channels=list(c)) for e, c in p.effective().items()],
        language=p.language,
        pushbullet=p.pushbullet,
    )


def mail_to_pb(s: usecases.MailSettings) -> pb.MailSettings:
    return pb.MailSettings(
        enabled=s.enabled,
        host=s.host,
        port=s.port,
        security=s.security,
        username=s.username,
        password=s.password,
        from_address=s.from_address,
        from_name=s.from_name,
    )


def pushbullet_to_pb(s: usecases.PushbulletSettings) -> pb.PushbulletSettings:
    return pb.PushbulletSettings(enabled=s.enabled, access_token=s.access_token, base_url=s.base_url)


def mailing_to_pb(m: MailingRow) -> pb.Mailing:
    finished = m.sent + m.failed >= m.total
    return pb.Mailing(
        id=m.id,
        subject=m.subject,
        body=m.body,
        state="done" if finished else ("sending" if m.sent + m.failed else "queued"),
        total=m.total,
        sent=m.sent,
        failed=m.failed,
        created_by=m.created_by,
        created_at=_ts(m.created_at),
    )


class NotifySettingsService(pb_grpc.NotifySettingsServicer):
    """Preferences, channel settings, dead letters, mailings and webhooks."""

    def __init__(
        self,
        *,
        db: Database,
        directory: Directory,
        public_url: str,
        mailing_per_second: float,
        guard: AddressGuard | None = None,
    ) -> None:
        self._db = db
        self._guard = guard or AddressGuard()
        self._directory = directory
        self._public_url = public_url
        self._per_second = mailing_per_second

    async def GetPreferences(self, request: pb.GetPreferencesRequest, context: Context) -> pb.Preferences:
        return preferences_to_pb(await usecases.get_preferences(db=self._db, user_id=current_user().user_id))

    async def UpdatePreferences(
        self, request: pb.UpdatePreferencesRequest, context: Context
    ) -> pb.Preferences:
        prefs = await usecases.update_preferences(
            db=self._db,
            user_id=current_user().user_id,
            events={e.event: list(e.channels) for e in request.events},
            language=request.language if request.set_language else None,
            pushbullet=request.pushbullet if request.set_pushbullet else None,
        )
        return preferences_to_pb(prefs)

    async def GetMailSettings(self, request: pb.GetMailSettingsRequest, context: Context) -> pb.MailSettings:
        return mail_to_pb(
            await usecases.get_mail_settings(db=self._db, actor_is_admin=current_user().is_admin)
        )

    async def PutMailSettings(self, request: pb.PutMailSettingsRequest, context: Context) -> pb.MailSettings:
        s = request.settings
        new = usecases.MailSettings(
            enabled=s.enabled,
            host=s.host,
            port=s.port,
            security=s.security,
            username=s.username,
            password=s.password,
            from_address=s.from_address,
            from_name=s.from_name,
        )
        saved = await usecases.put_mail_settings(
            db=self._db, actor_is_admin=current_user().is_admin, new=new, set_password=s.set_password
        )
        return mail_to_pb(saved)

    async def GetPushbulletSettings(
        self, request: pb.GetPushbulletSettingsRequest, context: Context
    ) -> pb.PushbulletSettings:
        s = await usecases.get_pushbullet_settings(db=self._db, actor_is_admin=current_user().is_admin)
        return pushbullet_to_pb(s)

    async def PutPushbulletSettings(
        self, request: pb.PutPushbulletSettingsRequest, context: Context
    ) -> pb.PushbulletSettings:
        s = request.settings
        new = usecases.PushbulletSettings(
            enabled=s.enabled,
            access_token=s.access_token,
            base_url=s.base_url or "https://api.pushbullet.com",
        )
        saved = await usecases.put_pushbullet_settings(
            db=self._db, actor_is_admin=current_user().is_admin, new=new, set_access_token=s.set_access_token
        )
        return pushbullet_to_pb(saved)

    async def ListDeadLetters(
        self, request: pb.ListDeadLettersRequest, context: Context
    ) -> pb.ListDeadLettersResponse:
        rows = await usecases.dead_letters(
            db=self._db,
            actor_is_admin=current_user().is_admin,
            limit=request.limit or 50,
            before_id=request.before_id or None,
            where=DeadFilter(channel=request.channel, event=request.event),
        )
        return pb.ListDeadLettersResponse(
            dead_letters=[
                pb.DeadLetter(
                    delivery_id=d.id,
                    channel=d.channel,
                    user_id=d.user_id,
                    event=d.event,
                    source_event_id=d.source_event_id,
                    address=d.address,
                    attempts=d.attempts,
                    last_error=d.last_error,
                    created_at=_ts(d.created_at),
                    updated_at=_ts(d.updated_at),
                )
                for d in rows
            ]
        )

    async def ReplayDeadLetters(
        self, request: pb.ReplayDeadLettersRequest, context: Context
    ) -> pb.ReplayDeadLettersResponse:
        replayed = await usecases.replay_dead_letters(
            db=self._db,
            actor_is_admin=current_user().is_admin,
            where=DeadFilter(ids=tuple(request.ids), channel=request.channel, event=request.event),
        )
        return pb.ReplayDeadLettersResponse(replayed=replayed)

    async def CreateMailing(self, request: pb.CreateMailingRequest, context: Context) -> pb.Mailing:
        row = await usecases.create_mailing(
            db=self._db,
            directory=self._directory,
            actor_id=current_user().user_id,
            actor_is_admin=current_user().is_admin,
            subject_line=request.subject,
            body=request.body,
            user_ids=list(request.user_ids),
            unit_ids=list(request.unit_ids),
            roles=list(request.roles),
            client_group_ids=list(request.client_group_ids),
            public_url=self._public_url,
            per_second=self._per_second,
        )
        return mailing_to_pb(row)

    async def GetMailing(self, request: pb.GetMailingRequest, context: Context) -> pb.Mailing:
        row = await usecases.get_mailing(
            db=self._db, actor_is_admin=current_user().is_admin, mailing_id=request.mailing_id
        )
        return mailing_to_pb(row)

    async def ListWebhooks(
        self, request: pb.ListWebhooksRequest, context: Context
    ) -> pb.ListWebhooksResponse:
        rows = await webhooks.list_webhooks(self._db, current_user())
        return pb.ListWebhooksResponse(webhooks=[webhook_to_pb(w) for w in rows])

    async def CreateWebhook(self, request: pb.CreateWebhookRequest, context: Context) -> pb.CreatedWebhook:
        row, secret = await webhooks.create_webhook(
            self._db, self._guard, current_user(), webhook_input(request.webhook, creating=True)
        )
        return pb.CreatedWebhook(webhook=webhook_to_pb(row), secret=secret)

    async def GetWebhook(self, request: pb.WebhookRequest, context: Context) -> pb.Webhook:
        return webhook_to_pb(await webhooks.get_webhook(self._db, current_user(), request.webhook_id))

    async def UpdateWebhook(self, request: pb.UpdateWebhookRequest, context: Context) -> pb.Webhook:
        row = await webhooks.update_webhook(
            self._db,
            self._guard,
            current_user(),
            request.webhook_id,
            webhook_input(request.webhook, creating=False),
        )
        return webhook_to_pb(row)

    async def DeleteWebhook(self, request: pb.WebhookRequest, context: Context) -> pb.Webhook:
        return webhook_to_pb(await webhooks.delete_webhook(self._db, current_user(), request.webhook_id))

    async def ListWebhookDeliveries(
        self, request: pb.ListWebhookDeliveriesRequest, context: Context
    ) -> pb.ListWebhookDeliveriesResponse:
        rows = await webhooks.deliveries(
            self._db,
            current_user(),
            request.webhook_id,
            limit=max(1, min(request.limit or 50, 200)),
            before_id=request.before_id or None,
        )
        return pb.ListWebhookDeliveriesResponse(deliveries=[delivery_to_pb(d) for d in rows])

    async def TestWebhook(self, request: pb.WebhookRequest, context: Context) -> pb.WebhookDelivery:
        return delivery_to_pb(await webhooks.queue_test_event(self._db, current_user(), request.webhook_id))

    async def RedeliverWebhook(
        self, request: pb.RedeliverWebhookRequest, context: Context
    ) -> pb.WebhookDelivery:
        row = await webhooks.redeliver(self._db, current_user(), request.webhook_id, request.delivery_id)
        return delivery_to_pb(row)
