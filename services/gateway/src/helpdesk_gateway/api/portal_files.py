"""REST for the portal's files: streamed multipart upload (signed in), and the download of a
file whose post, comment, news item or article the caller may read (anonymous readers
included). Downloads are always saved, never rendered (the same headers as tickets' files)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import ORJSONResponse, StreamingResponse
from helpdesk.portal.v1 import portal_pb2 as pb

from helpdesk_gateway.api.portal_shapes import AttachmentOut, attachment_out
from helpdesk_gateway.api.shapes import clients
from helpdesk_gateway.api.uploads import bad_upload, file_part
from helpdesk_gateway.auth import CallerDep, ViewerDep
from helpdesk_kit.rpc import translate_rpc_error

router = APIRouter(default_response_class=ORJSONResponse)
TRANSFER_TIMEOUT = 120.0


@router.post("/portal/attachments", response_model=AttachmentOut, status_code=201)
async def upload(caller: CallerDep, request: Request) -> AttachmentOut:
    """``multipart/form-data`` with a part named ``file``; attach the answer's ``id`` to a
    post, comment, news item or article you then write (unattached files go after a day)."""
    parts = file_part(request)
    first = await anext(parts, None)
    if first is None or first[0] != "filename":
        raise bad_upload("no part named 'file' with a file name")
    header = pb.UploadHeader(filename=first[1].decode("utf-8", "replace"))

    async def messages() -> AsyncIterator[pb.UploadChunk]:
        yield pb.UploadChunk(header=header)
        async for kind, data in parts:
            if kind == "data" and data:
                yield pb.UploadChunk(data=data)

    try:
        attachment = await clients(request).portal.UploadAttachment(messages(), timeout=TRANSFER_TIMEOUT)
    except grpc.aio.AioRpcError as exc:
        raise translate_rpc_error(exc, "portal") from exc
    return attachment_out(attachment)


@router.get(
    "/portal/attachments/{attachment_id}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the file's bytes"}},
)
async def download(attachment_id: int, viewer: ViewerDep, request: Request) -> StreamingResponse:
    call = clients(request).portal.DownloadAttachment(
        pb.AttachmentRequest(attachment_id=attachment_id), timeout=TRANSFER_TIMEOUT
    )
    stream = call.__aiter__()
    try:
        first = await anext(stream)
    except grpc.aio.AioRpcError as exc:
        raise translate_rpc_error(exc, "portal") from exc
    meta = first.attachment

    async def body() -> AsyncIterator[bytes]:
        async for part in stream:
            yield part.data

    return StreamingResponse(
        body(),
        media_type=meta.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.filename)}",
            "Content-Length": str(meta.size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )
