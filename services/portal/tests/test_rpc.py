"""The portal over real gRPC (mutual TLS, passports): what the gateway sees. An anonymous
reader is the gateway calling without a passport; writing needs one; files stream both
ways and are judged by their bytes; the settings are the admins' even while the portal is off."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable

import grpc
import pytest
from helpdesk.portal.v1 import portal_pb2 as pb
from helpdesk.portal.v1 import portal_pb2_grpc as pb_grpc

from helpdesk_devstack.servers import free_port
from helpdesk_devstack.testing.passports import PassportIssuer
from helpdesk_kit.db import Database
from helpdesk_kit.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from helpdesk_kit.rpc import GrpcServer, channel, translate_rpc_error
from helpdesk_kit.trust import Mesh, acting_for, passport_verifier
from helpdesk_portal.rpc import PortalService

from .conftest import FakeDirectory

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
async def stub(
    db: Database, directory: FakeDirectory, mesh: Callable[[str], Mesh], passports: PassportIssuer
) -> AsyncIterator[pb_grpc.PortalAsyncStub]:
    port = free_port()
    server = GrpcServer(
        port=port,
        service_names=["helpdesk.portal.v1.Portal"],
        mesh=mesh("portal"),
        passports=passport_verifier(passports.keys),
    )
    pb_grpc.add_PortalServicer_to_server(PortalService(db=db, directory=directory), server.server)
    await server.start()
    ch = channel(f"127.0.0.1:{port}", service="portal", mesh=mesh("gateway"), deadline=10)
    try:
        yield pb_grpc.PortalStub(ch)
    finally:
        await ch.close()
        await server.stop(0)


@pytest.fixture
def admin(passports: PassportIssuer) -> str:
    return passports.sign(user_id=1, role="department_head", is_admin=True)


@pytest.fixture
def client(passports: PassportIssuer) -> str:
    return passports.sign(user_id=10, kind="client")


async def switch_on(stub: pb_grpc.PortalAsyncStub, admin: str, **values: object) -> pb.Settings:
    fields: dict[str, object] = {"max_file_bytes": 1 << 20, "allowed_types": ["image/png", "text/plain"]}
    settings = pb.Settings(enabled=True, **{**fields, **values})  # type: ignore[arg-type]
    with acting_for(admin):
        return await stub.PutSettings(pb.PutSettingsRequest(settings=settings))


async def upload(stub: pb_grpc.PortalAsyncStub, name: str, data: bytes) -> pb.Attachment:
    async def parts() -> AsyncIterator[pb.UploadChunk]:
        yield pb.UploadChunk(header=pb.UploadHeader(filename=name))
        for i in range(0, len(data), 16):
            yield pb.UploadChunk(data=data[i : i + 16])

    try:
        attachment: pb.Attachment = await stub.UploadAttachment(parts())
    except grpc.aio.AioRpcError as exc:  # streaming calls map their errors themselves
        raise translate_rpc_error(exc, "portal") from exc
    return attachment


async def download(stub: pb_grpc.PortalAsyncStub, attachment_id: int) -> list[pb.DownloadChunk]:
    try:
        return [c async for c in stub.DownloadAttachment(pb.AttachmentRequest(attachment_id=attachment_id))]
    except grpc.aio.AioRpcError as exc:
        raise translate_rpc_error(exc, "portal") from exc


async def test_off_every_method_is_not_found_but_the_admin_still_reaches_the_settings(
    stub: pb_grpc.PortalAsyncStub, admin: str, client: str
) -> None:
    with pytest.raises(NotFound):
        await stub.GetPortal(pb.GetPortalRequest())
    with acting_for(client), pytest.raises(NotFound):
        await stub.ListPosts(pb.ListPostsRequest())
    with acting_for(client), pytest.raises(Forbidden):
        await stub.GetSettings(pb.GetSettingsRequest())
    with acting_for(admin):
        assert (await stub.GetSettings(pb.GetSettingsRequest())).enabled is False
    await switch_on(stub, admin, title="Our portal")
    info = await stub.GetPortal(pb.GetPortalRequest())
    assert info.title == "Our portal"
    assert {k.kind: k.statuses[0] for k in info.kinds} == {
        "idea": "new",
        "problem": "new",
        "question": "new",
        "thanks": "new",
    }


async def test_an_anonymous_reader_reads_but_writing_needs_a_passport(
    stub: pb_grpc.PortalAsyncStub, admin: str, client: str
) -> None:
    await switch_on(stub, admin)
    with pytest.raises(Unauthenticated):  # the gateway without a passport: refused before the handler
        await stub.CreatePost(pb.CreatePostRequest(kind="idea", title="Anonymous"))
    with acting_for(client):
        post = await stub.CreatePost(pb.CreatePostRequest(kind="idea", title="Dark mode"))
        liked = await stub.VotePost(pb.VotePostRequest(post_id=post.id, value=1))
    assert (liked.likes, liked.my_vote) == (1, 1)
    assert list(liked.allowed_actions) == ["comment", "like", "edit"]
    seen = await stub.GetPost(pb.PostRequest(post_id=post.id))
    assert (seen.likes, seen.my_vote, list(seen.allowed_actions)) == (1, 0, [])
    assert seen.author.name == "Carl Client"


async def test_settings_name_only_active_staff_to_tell_of_new_posts(
    stub: pb_grpc.PortalAsyncStub, admin: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        await switch_on(stub, admin, notify_user_ids=[2, 10, 12])  # 10 a client, 12 disabled
    assert err.value.errors[0].field == "notify_user_ids" and "10, 12" in err.value.errors[0].message
    saved = await switch_on(stub, admin, notify_user_ids=[3, 2, 2])
    assert list(saved.notify_user_ids) == [2, 3]


async def test_a_file_streams_in_and_out_and_follows_the_visibility_of_its_post(
    stub: pb_grpc.PortalAsyncStub, admin: str, client: str, passports: PassportIssuer
) -> None:
    await switch_on(stub, admin)
    with acting_for(client):
        attachment = await upload(stub, "screen.png", PNG)
        assert (attachment.content_type, attachment.size) == ("image/png", len(PNG))
        with pytest.raises(InvalidInput):
            await upload(stub, "screen.png", b"<?php system($_GET['c']); ?>")
        with pytest.raises(InvalidInput):
            await upload(stub, "big.txt", b"x" * ((1 << 20) + 1))
        post = await stub.CreatePost(
            pb.CreatePostRequest(kind="problem", title="Broken", attachment_ids=[attachment.id])
        )
    assert [a.filename for a in post.attachments] == ["screen.png"]
    chunks = await download(stub, attachment.id)
    assert chunks[0].attachment.filename == "screen.png"
    assert b"".join(c.data for c in chunks[1:]) == PNG
    with acting_for(passports.sign(user_id=11, kind="client")):
        stolen = await upload(stub, "mine.png", PNG)
    with acting_for(client), pytest.raises(InvalidInput):  # someone else's upload cannot be attached
        await stub.AddComment(pb.AddCommentRequest(post_id=post.id, body="look", attachment_ids=[stolen.id]))
    with pytest.raises(NotFound):  # an unattached upload is its uploader's alone
        await download(stub, stolen.id)
    with acting_for(passports.sign(user_id=2)):
        await stub.UpdatePost(pb.UpdatePostRequest(post_id=post.id, is_hidden=True))
    with pytest.raises(NotFound):  # the post is hidden: so is its file
        await download(stub, attachment.id)


async def test_bad_input_is_refused_as_invalid_never_as_a_server_fault(
    stub: pb_grpc.PortalAsyncStub, admin: str, client: str
) -> None:
    await switch_on(stub, admin)
    forged_cursor = base64.urlsafe_b64encode(b'["articles","a\\u0000b",1]').decode().rstrip("=")
    with pytest.raises(InvalidInput):
        await stub.ListArticles(pb.ListArticlesRequest(cursor=forged_cursor))
    with pytest.raises(InvalidInput):
        await stub.ListPosts(pb.ListPostsRequest(q="printer\x00"))
    with acting_for(client):
        with pytest.raises(InvalidInput):
            await upload(stub, "shot\x00.png", PNG)
        with pytest.raises(InvalidInput):
            await stub.CreatePost(pb.CreatePostRequest(kind="idea", title="Nul\x00"))
        post = await stub.CreatePost(pb.CreatePostRequest(kind="idea", title="An idea"))
        with pytest.raises(InvalidInput):  # "solved" is a problem's status, not an idea's
            await stub.UpdatePost(pb.UpdatePostRequest(post_id=post.id, status="solved"))
    with acting_for(admin), pytest.raises(InvalidInput):
        await stub.PutSettings(pb.PutSettingsRequest(settings=pb.Settings(allowed_types=["text/plain\x00"])))
