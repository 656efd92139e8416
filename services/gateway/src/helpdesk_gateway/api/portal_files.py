"""REST for the portal's files: streamed multipart upload (signed in), and the download of a
file whose post, comment, news item or article the caller may read (anonymous readers
included). Parsing and the download's headers are tickets' (``api.uploads``): one
implementation, so both save, never render, what they serve."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from fastapi import Request
from fastapi.responses import StreamingResponse
from helpdesk.portal.v1 import portal_pb2 as pb

from helpdesk_gateway.api.models.portal import PortalAttachment
from helpdesk_gateway.api.shapes import api_router, clients
from helpdesk_gateway.api.uploads import DOWNLOAD_ANSWER, UPLOAD_BODY, file_part, saved_file, upload_filename
from helpdesk_gateway.api.values import IdPath
from helpdesk_gateway.auth import CallerDep, ViewerDep
from helpdesk_kit.rpc import translate_rpc_error

router = api_router()
TRANSFER_TIMEOUT = 120.0


@router.post("/portal/attachments", status_code=201, openapi_extra=UPLOAD_BODY)
async def upload(caller: CallerDep, request: Request) -> PortalAttachment:
    """``multipart/form-data`` with a part named ``file``; attach the answer's ``id`` to a
    post, comment, news item or article you then write (unattached files go after a day)."""
    parts = file_part(request)
    header = pb.UploadHeader(filename=await upload_filename(parts))

    async def messages() -> AsyncIterator[pb.UploadChunk]:
        yield pb.UploadChunk(header=header)
        async for kind, data in parts:
            if kind == "data" and data:
                yield pb.UploadChunk(data=data)

    try:
        attachment = await clients(request).portal.UploadAttachment(messages(), timeout=TRANSFER_TIMEOUT)
    except grpc.aio.AioRpcError as exc:
        raise translate_rpc_error(exc, "portal") from exc
    return PortalAttachment.from_pb(attachment)


@router.get(
    "/portal/attachments/{attachment_id}", response_class=StreamingResponse, responses=DOWNLOAD_ANSWER
)
async def download(attachment_id: IdPath, viewer: ViewerDep, request: Request) -> StreamingResponse:
    call = clients(request).portal.DownloadAttachment(
        pb.AttachmentRequest(attachment_id=attachment_id), timeout=TRANSFER_TIMEOUT
    )
    stream = call.__aiter__()
    try:
        first = await anext(stream)
    except grpc.aio.AioRpcError as exc:
        raise translate_rpc_error(exc, "portal") from exc

    async def body() -> AsyncIterator[bytes]:
        async for part in stream:
            yield part.data

    return saved_file(first.attachment, body())
