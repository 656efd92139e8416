"""The gateway's edge, one ASGI layer every request passes: how much a request may send, and
the fields every answer's head gets on the way out.

A request body is limited before the app reads it — JSON bodies to
``HELPDESK_MAX_JSON_BODY_BYTES``, uploads (``multipart/form-data``) to
``HELPDESK_MAX_UPLOAD_BODY_BYTES`` — and a body over the limit is a 413 problem:
at once when ``Content-Length`` says so (nothing is read), or as soon as a chunked
body passes the limit while it streams. Nothing is buffered here: the app reads the
body as it comes, this only counts it.

On the way out, an answer of ``/api/v1`` gets the quota fields of the rate limits
(``ratelimits.Quota``: where its caller stands, errors and 429s included), and anything
outside ``/api/`` (the pages, their files, the reference page) the page security headers
(``web.SECURITY_HEADERS``); an early 413 gets neither, as it is answered before anything
else ran. These were three layers, each with its own wrapper of ``send`` every request
went through; one does it all now (bench/RESULTS.md § The gateway's per-ticket CPU
toward the lean reference).

Who the client is (``X-Forwarded-For`` from trusted proxies only) is uvicorn's
proxy-headers handling, configured by ``HELPDESK_TRUSTED_PROXIES`` (see
``helpdesk_kit.http.http_server``).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helpdesk_gateway.ratelimits import API_PREFIX, Quota
from helpdesk_gateway.web import SECURITY_HEADERS
from helpdesk_kit.http import problem

TOO_LARGE = "The request body is larger than {limit} bytes."


class Edge:
    """Refuses request bodies over their limit with 413, and writes the quota fields and the
    page security headers into the answers they belong to (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, json_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.json_bytes = json_bytes
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The two headers this needs (the first of each, as Headers.get gives it), read from
        # the raw list (names are lower case in ASGI) instead of a Headers object built for them.
        content_type: bytes | None = None
        length: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-type" and content_type is None:
                content_type = value
            elif name == b"content-length" and length is None:
                length = value
        upload = (content_type or b"").lower().startswith(b"multipart/form-data")
        limit = self.upload_bytes if upload else self.json_bytes
        if length is not None and length.isdigit() and int(length) > limit:
            # Answered before a byte of the body is read: the client may stop sending.
            response = problem(413, TOO_LARGE.format(limit=limit), headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(API_PREFIX):
            head = _with_quota(scope, send)
        elif path.startswith("/api/"):
            head = send
        else:
            head = _with_security_headers(send)
        await self.app(scope, _counted(receive, limit), head)


def _counted(receive: Receive, limit: int) -> Receive:
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

    return counted


def _with_quota(scope: Scope, send: Send) -> Send:
    async def send_with_quota(message: Message) -> None:
        if message["type"] == "http.response.start":
            # Kept by ratelimits.enforce, in the request's state, when a limit applied.
            quota: Quota | None = scope.get("state", {}).get("quota")
            if quota is not None:
                message["headers"] = [*message.get("headers", []), *quota.headers()]
        await send(message)

    return send_with_quota


def _with_security_headers(send: Send) -> Send:
    async def with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
        await send(message)

    return with_headers
