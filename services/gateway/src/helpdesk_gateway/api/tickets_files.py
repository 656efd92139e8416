"""REST for tickets' attachments: the streamed upload, the list, and the guarded download.

The upload is parsed as it arrives (``api.uploads``, shared with the portal) and forwarded
chunk by chunk over a client-streaming gRPC call, so the gateway never holds a whole file.
The download is always a file to save, with the content type tickets sniffed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import grpc
from fastapi import Query, Request
from fastapi.responses import StreamingResponse
from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_gateway.api.models.tickets import Attachment, AttachmentList
from helpdesk_gateway.api.shapes import api_router, clients
from helpdesk_gateway.api.uploads import DOWNLOAD_ANSWER, UPLOAD_BODY, file_part, saved_file, upload_filename
from helpdesk_gateway.api.values import IdPath
from helpdesk_gateway.auth import CallerDep
from helpdesk_kit.rpc import translate_rpc_error

router = api_router()
UPLOAD_TIMEOUT = 600.0
ForComment = Annotated[
    bool, Query(description="the file is for the comment being written: no history entry of its own")
]


@router.post("/tickets/{ticket_id}/attachments", status_code=201, openapi_extra=UPLOAD_BODY)
async def upload(
    ticket_id: IdPath, caller: CallerDep, request: Request, for_comment: ForComment = False
) -> Attachment:
    """``?for_comment=true``: the file is for the comment being written (no history entry
    of its own; clients see it once it is on a comment they may see)."""
    parts = file_part(request)
    header = t_pb.UploadHeader(
        ticket_id=ticket_id, filename=await upload_filename(parts), for_comment=for_comment
    )

    async def messages() -> AsyncIterator[t_pb.UploadChunk]:
        yield t_pb.UploadChunk(header=header)
        async for kind, data in parts:
            if kind == "data" and data:
                yield t_pb.UploadChunk(data=data)

    try:
        attachment = await clients(request).tickets.UploadAttachment(messages(), timeout=UPLOAD_TIMEOUT)
    except grpc.aio.AioRpcError as exc:
        raise translate_rpc_error(exc, "tickets") from exc
    return Attachment.from_pb(attachment)


@router.get("/tickets/{ticket_id}/attachments")
async def list_attachments(ticket_id: IdPath, caller: CallerDep, request: Request) -> AttachmentList:
    resp = await clients(request).tickets.ListAttachments(t_pb.TicketRequest(ticket_id=ticket_id))
    return AttachmentList.of(items=[Attachment.from_pb(a) for a in resp.attachments], next_cursor=None)


@router.get("/attachments/{attachment_id}", response_class=StreamingResponse, responses=DOWNLOAD_ANSWER)
async def download(attachment_id: IdPath, caller: CallerDep, request: Request) -> StreamingResponse:
    call = clients(request).tickets.DownloadAttachment(
        t_pb.AttachmentRequest(attachment_id=attachment_id), timeout=UPLOAD_TIMEOUT
    )
    stream = call.__aiter__()
    try:
        first = await anext(stream)
    except grpc.aio.AioRpcError as exc:
        raise translate_rpc_error(exc, "tickets") from exc

    async def body() -> AsyncIterator[bytes]:
        async for part in stream:
            yield part.data

    return saved_file(first.attachment, body())
