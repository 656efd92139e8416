"""Multipart uploads read as they arrive (python-multipart's push parser): the gateway never
holds a whole file; tickets and the portal take the part named ``file``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from helpdesk_kit.errors import FieldError, InvalidInput


def bad_upload(message: str) -> InvalidInput:
    return InvalidInput("The upload is not valid.", errors=[FieldError("file", message)])


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
