"""Files through the REST API, one implementation for tickets and the portal.

An upload (``multipart/form-data``, the part named ``file``) is parsed as it arrives
(python-multipart's push parser) and handed on chunk by chunk, so the gateway never holds
a whole file: :func:`file_part` yields the part, :func:`upload_filename` checks its name
first. A download is always a file to save (:func:`saved_file`): ``Content-Disposition:
attachment``, ``X-Content-Type-Options: nosniff`` and a sandboxing CSP, with the type the
owning service sniffed — a browser never renders or runs it. ``UPLOAD_BODY`` and
``DOWNLOAD_ANSWER`` describe both in the OpenAPI document, since the body is read by hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import StreamingResponse
from python_multipart.multipart import MultipartParser, parse_options_header

from helpdesk_kit.errors import FieldError, InvalidInput

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
DOWNLOAD_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, always as an attachment to save",
        "content": {"*/*": {"schema": {"contentMediaType": "application/octet-stream"}}},
    }
}
MAX_FILENAME = 255


class FileFacts(Protocol):
    """What a service says about a stored file (tickets' and the portal's ``Attachment``)."""

    @property
    def filename(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...


def bad_upload(message: str) -> InvalidInput:
    return InvalidInput("The upload is not valid.", errors=[FieldError("file", message)])


async def upload_filename(parts: AsyncIterator[tuple[str, bytes]]) -> str:
    """The file part's name, read first: one line of at most 255 characters, else a 422
    (a control character in it would otherwise fail further in, or forge a header)."""
    first = await anext(parts, None)
    if first is None or first[0] != "filename":
        raise bad_upload("no part named 'file' with a file name")
    filename = first[1].decode("utf-8", "replace")
    if not filename.isprintable() or len(filename) > MAX_FILENAME:
        raise bad_upload(f"the file name must be one line of at most {MAX_FILENAME} characters")
    return filename


async def file_part(request: Request) -> AsyncIterator[tuple[str, bytes]]:  # noqa: C901
    """Yields ("filename", name) once, then ("data", chunk)... for the form's ``file`` part."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise bad_upload("send multipart/form-data with a part named 'file'")
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


def saved_file(meta: FileFacts, body: AsyncIterator[bytes]) -> StreamingResponse:
    """The download of a stored file: saved, never rendered (see the module docstring)."""
    return StreamingResponse(
        body,
        media_type=meta.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.filename)}",
            "Content-Length": str(meta.size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )
