"""ZENLIX 2's JSON API (``POST /api`` and ``/api.php``; docs/zenlix-api.md): every mode with
ZENLIX's fields, envelope, state strings and error strings, so its clients keep working.

A thin translation onto the same gRPC calls as ``/api/v1``: the services apply every
rule, so none of ZENLIX's holes come back (any key reading any ticket, clients listing
users, forwards to nobody). ``modes`` is the table of modes; ``ticket_reads``,
``ticket_changes``, ``directory`` and ``account`` run them; ``context`` holds one
request (its caller, the people its answer names), ``envelope`` ZENLIX's answer shapes
and error strings, ``present`` how ZENLIX wrote states, names and dates, ``openapi`` the
operation's description.

ZENLIX read the body as JSON whatever its Content-Type (``curl -d '{…}'`` sends JSON
labelled as a form); we do the same, and also take a real form body
(``mode=…&uniq_id=…``), which ZENLIX ignored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import orjson
from fastapi import APIRouter, Request, Response

from helpdesk_gateway.api.shapes import clients
from helpdesk_gateway.api.zenlix import openapi
from helpdesk_gateway.api.zenlix.context import Ctx
from helpdesk_gateway.api.zenlix.envelope import (
    AUTH_ERROR,
    BAD_DATA,
    BAD_MODE,
    NO_PRIV,
    TOO_MANY,
    UNAVAILABLE,
    Fields,
    Refused,
    answer,
    json_response,
)
from helpdesk_gateway.api.zenlix.modes import MODES, Mode
from helpdesk_kit.errors import AppError, ErrorCode, NotFound, RateLimited, Unavailable
from helpdesk_kit.http import problem
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)

MAX_BODY = 1024 * 1024
FORM = "application/x-www-form-urlencoded"

router = APIRouter()

# What a service's unexpected refusal means in ZENLIX's words.
_BY_CODE = {
    ErrorCode.UNAUTHENTICATED: AUTH_ERROR,
    ErrorCode.FORBIDDEN: NO_PRIV,
    ErrorCode.CONFLICT: NO_PRIV,
    ErrorCode.PRECONDITION_FAILED: NO_PRIV,
}


async def _read(request: Request) -> bytes | None:
    """The body, or None when it is larger than ``MAX_BODY``."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def _fields(body: bytes, content_type: str) -> dict[str, Any] | None:
    """The request as an object: JSON (whatever the Content-Type says), else a form when
    it says so; None when it is neither an object nor a form."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = None
        if content_type.split(";", 1)[0].strip().lower() == FORM:
            form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
            value = {name: values[-1] for name, values in form.items()}
    return value if isinstance(value, dict) else None


async def _run(mode: Mode, ctx: Ctx) -> Response:
    try:
        if not ctx.fields.present(*mode.fields):
            raise Refused("A field is missing.", description=mode.missing)
        result = await mode.run(ctx)
    except Refused as exc:
        return json_response(mode.error(exc.description, exc.payload))
    except RateLimited as exc:
        retry = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return json_response(mode.error(TOO_MANY), 429, retry)
    except Unavailable as exc:
        log.warning("zenlix_api.unavailable", mode=mode.name, detail=exc.detail)
        return json_response(mode.error(UNAVAILABLE), 503)
    except AppError as exc:
        # A refusal no mode expected (a passport that expired mid-request, an id the
        # services find out of range): still ZENLIX's envelope, never a server error.
        log.info("zenlix_api.refused", mode=mode.name, code=exc.code.name, detail=exc.detail)
        return json_response(mode.error(_BY_CODE.get(exc.code, BAD_DATA)))
    return result if isinstance(result, Response) else json_response(result)


@router.post("/api", **openapi.OPERATION)
@router.post("/api.php", **openapi.OPERATION_PHP)
async def zenlix_api(request: Request) -> Response:
    if not clients(request).settings.zenlix_api:
        raise NotFound("ZENLIX's API is switched off here.")
    body = await _read(request)
    if body is None:
        return problem(413, f"The body is larger than {MAX_BODY} bytes.")
    raw = _fields(body, request.headers.get("content-type", ""))
    mode = MODES.get(raw["mode"]) if raw is not None and isinstance(raw.get("mode"), str) else None
    if raw is None or mode is None:
        # ZENLIX answered nothing without a mode; an empty 200 hides the mistake.
        return json_response(answer({}, status="error", error=BAD_MODE))
    return await _run(mode, Ctx(request, Fields(raw)))
