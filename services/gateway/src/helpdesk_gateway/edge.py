"""The gateway's edge: how much a request may send.

A request body is limited before the app reads it — JSON bodies to
``HELPDESK_MAX_JSON_BODY_BYTES``, uploads (``multipart/form-data``) to
``HELPDESK_MAX_UPLOAD_BODY_BYTES`` — and a body over the limit is a 413 problem:
at once when ``Content-Length`` says so (nothing is read), or as soon as a chunked
body passes the limit while it streams. Nothing is buffered here: the app reads the
body as it comes, this only counts it.

Who the client is (``X-Forwarded-For`` from trusted proxies only) is uvicorn's
proxy-headers handling, configured by ``HELPDESK_TRUSTED_PROXIES`` (see
``helpdesk_kit.http.http_server``).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helpdesk_kit.http import problem

TOO_LARGE = "The request body is larger than {limit} bytes."


class BodyLimit:
    """Refuses request bodies over their limit with 413 (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, json_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.json_bytes = json_bytes
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        upload = headers.get("content-type", "").lower().startswith("multipart/form-data")
        limit = self.upload_bytes if upload else self.json_bytes
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            # Answered before a byte of the body is read: the client may stop sending.
            response = problem(413, TOO_LARGE.format(limit=limit), headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # FastAPI lets an HTTPException raised while reading the body through to
                    # the problem+json handlers: the answer is a 413 problem like any other.
                    raise HTTPException(413, TOO_LARGE.format(limit=limit))
            return message

        await self.app(scope, counted, send)
