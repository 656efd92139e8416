"""NotifySettings over real gRPC: what the gateway sees (masked secrets, 403s, field errors)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from helpdesk.notify.v1 import notify_pb2 as pb
from helpdesk.notify.v1 import notify_pb2_grpc as pb_grpc

from helpdesk_devstack.testing.passports import PassportIssuer
from helpdesk_kit.db import Database
from helpdesk_kit.errors import Forbidden, InvalidInput
from helpdesk_kit.rpc import GrpcServer, channel
from helpdesk_kit.trust import Mesh, acting_for, passport_verifier
from helpdesk_notify.rpc import NotifySettingsService

from .fakes import Directory, free_port

ADMIN = {"user_id": 1, "role": "department_head", "is_admin": True}
MEMBER = {"user_id": 12}


@pytest.fixture
async def stub(
    db: Database, directory: Directory, mesh: Callable[[str], Mesh], passports: PassportIssuer
) -> AsyncIterator[pb_grpc.NotifySettingsAsyncStub]:
    port = free_port()
    server = GrpcServer(
        port=port,
        service_names=["helpdesk.notify.v1.NotifySettings"],
        mesh=mesh("notify"),
        passports=passport_verifier(passports.keys),
    )
    pb_grpc.add_NotifySettingsServicer_to_server(
        NotifySettingsService(db=db, directory=directory, public_url="http://hd", mailing_per_second=0),
        server.server,
    )
    await server.start()
    ch = channel(f"127.0.0.1:{port}", service="notify", mesh=mesh("gateway"), deadline=10)
    try:
        yield pb_grpc.NotifySettingsStub(ch)
    finally:
        await ch.close()
        await server.stop(0)


async def test_preferences_round_trip_with_every_event_listed(
    stub: pb_grpc.NotifySettingsAsyncStub, passports: PassportIssuer
) -> None:
    with acting_for(passports.sign(user_id=10)):
        got = await stub.UpdatePreferences(
            pb.UpdatePreferencesRequest(
                events=[pb.EventChannels(event="ticket.taken", channels=["pushbullet"])],
                set_pushbullet=True,
                pushbullet="me@pb.test",
            )
        )
        again = await stub.GetPreferences(pb.GetPreferencesRequest())
    events = {e.event: list(e.channels) for e in got.events}
    assert events["ticket.taken"] == ["pushbullet"]
    assert events["ticket.created"] == ["popup", "email"]
    assert got.pushbullet == "me@pb.test"
    assert again == got
    assert again.user_id == 10


async def test_mail_settings_come_back_masked_and_refuse_non_admins(
    stub: pb_grpc.NotifySettingsAsyncStub, passports: PassportIssuer
) -> None:
    settings = pb.MailSettings(
        enabled=True,
        host="smtp.example.test",
        port=465,
        security="tls",
        username="hd",
        password="s3cret",
        from_address="hd@example.test",
        from_name="HD",
        set_password=True,
    )
    with acting_for(passports.sign(**ADMIN)):
        saved = await stub.PutMailSettings(pb.PutMailSettingsRequest(settings=settings))
    assert (saved.password, saved.security, saved.port) == ("********", "tls", 465)
    with acting_for(passports.sign(**MEMBER)), pytest.raises(Forbidden):
        await stub.GetMailSettings(pb.GetMailSettingsRequest())


async def test_a_mailing_without_recipients_is_refused_with_field_errors(
    stub: pb_grpc.NotifySettingsAsyncStub, passports: PassportIssuer
) -> None:
    with acting_for(passports.sign(**ADMIN)), pytest.raises(InvalidInput) as err:
        await stub.CreateMailing(pb.CreateMailingRequest(subject="", body="x"))
    assert {e.field for e in err.value.errors} == {"subject", "recipients"}


async def test_mailing_progress_is_reported(
    stub: pb_grpc.NotifySettingsAsyncStub, passports: PassportIssuer
) -> None:
    with acting_for(passports.sign(**ADMIN)):
        m = await stub.CreateMailing(pb.CreateMailingRequest(subject="Hi", body="All", user_ids=[10, 11]))
        got = await stub.GetMailing(pb.GetMailingRequest(mailing_id=m.id))
    assert (got.total, got.sent, got.state) == (2, 0, "queued")
