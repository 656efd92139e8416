"""REST for attachments: streamed multipart upload to tickets, and the guarded download.

The upload is parsed as it arrives (python-multipart's push parser) and forwarded
chunk by chunk over a client-streaming gRPC call, so the gateway never holds a
whole file. The download always carries ``Content-Disposition: attachment``,
``X-Content-Type-Options: nosniff`` and a sandboxing CSP, with the content type
that tickets sniffed: a browser saves the file, it never renders or runs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

import grpc
from fastapi import Query, Request
from fastapi.responses import StreamingResponse
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from python_multipart.multipart import MultipartParser, parse_options_header

from helpdesk_gateway.api.models.tickets import Attachment, AttachmentList
from helpdesk_gateway.api.shapes import api_router, clients
from helpdesk_gateway.api.values import IdPath
from helpdesk_gateway.auth import CallerDep
from helpdesk_kit.errors import FieldError, InvalidInput
from helpdesk_kit.rpc import translate_rpc_error

router = api_router()
UPLOAD_TIMEOUT = 600.0
# The upload is read by hand (streamed), so its body is described here for the document.
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
ForComment = Annotated[
    bool, Query(description="the file is for the comment being written: no history entry of its own")
]
DOWNLOAD_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, always as an attachment to save",
        "content": {"*/*": {"schema": {"contentMediaType": "application/octet-stream"}}},
    }
}


def _bad(message: str) -> InvalidInput:
    return InvalidInput("The upload is not valid.", errors=[FieldError("file", message)])


async def _file_part(request: Request) -> AsyncIterator[tuple[str, bytes]]:  # noqa: C901
    """Yields ("filename", name) once, then ("data", chunk)... for the form's ``file`` part."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise _bad("send multipart/form-data with a part named 'file'")
    pending: list[tuple[str, bytes]] = []
    state: dict[str, Any] = {"field": b"", "headers": {}, "in_file": False, "done": False}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        key = state["field"].lower()
        state["headers"][key] = state["headers"].get(key, b"") + data[start:end]

    def on_header_end() -> None:
        state["field"] = b""

    def on_headers_finished() -> None:
        _, disp = parse_options_header(state["headers"].get(b"content-disposition", b""))
        if disp.get(b"name") == b"file" and not state["done"] and b"filename" in disp:
            state["in_file"] = True
            pending.append(("filename", disp[b"filename"]))
        state["headers"] = {}

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["in_file"]:
            pending.append(("data", bytes(data[start:end])))

    def on_part_end() -> None:
        if state["in_file"]:
            state["in_file"], state["done"] = False, True

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    async for chunk in request.stream():
        parser.write(chunk)
        while pending:
            yield pending.pop(0)
    parser.finalize()
    while pending:
        yield pending.pop(0)


@router.post("/tickets/{ticket_id}/attachments", status_code=201, openapi_extra=UPLOAD_BODY)
async def upload(
    ticket_id: IdPath, caller: CallerDep, request: Request, for_comment: ForComment = False
) -> Attachment:
    """``?for_comment=true``: the file is for the comment being written (no history entry
    of its own; clients see it once it is on a comment they may see)."""
    parts = _file_part(request)
    first = await anext(parts, None)
    if first is None or first[0] != "filename":
        raise _bad("no part named 'file' with a file name")
    filename = first[1].decode("utf-8", "replace")
    if not filename.isprintable() or len(filename) > 255:
        raise _bad("the file name must be one line of at most 255 characters")
    header = t_pb.UploadHeader(ticket_id=ticket_id, filename=filename, for_comment=for_comment)

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
