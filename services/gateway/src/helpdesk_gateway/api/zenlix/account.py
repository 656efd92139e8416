"""ZENLIX's ``auth`` and ``reset_token``: a key for a login and password, and a device
that signs out.

``auth`` checks the password like any sign-in (identity's ``ZenlixSignIn``: LDAP users
by their directory, rate limits per account and address, disabled users refused) and
answers a new ZENLIX API key as ``uniq_id``. Users with two-factor sign-in cannot use it
(ZENLIX's clients cannot send a code): they make a key in their profile instead.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response
from helpdesk.identity.v1 import identity_pb2 as id_pb

from helpdesk_gateway.api.zenlix import present
from helpdesk_gateway.api.zenlix.context import Ctx
from helpdesk_gateway.api.zenlix.envelope import AUTH_ERROR, JSON, Refused
from helpdesk_gateway.auth import session_guard
from helpdesk_kit.errors import InvalidInput, Unauthenticated

MAX_LOGIN = 200
MAX_PASSWORD = 1000


def auth_answer(*, key: str = "", error: str | None = None, user: id_pb.User | None = None) -> dict[str, Any]:
    """``auth``'s bare object (the one mode without the array). ZENLIX sent a junk key
    when refusing; we send ""."""
    return {
        "uniq_id": key,
        "status": "error" if error else "ok",
        "error_description": error,
        "fio": user.full_name if user else None,
        "name_only": present.given_name(user.full_name) if user else None,
        "usr_img": present.AVATAR,
    }


async def auth(ctx: Ctx) -> dict[str, Any]:
    login, password = ctx.fields.text("login"), ctx.fields.text("pass")
    if not login or len(login) > MAX_LOGIN or not password or len(password) > MAX_PASSWORD:
        raise Refused("Wrong login or password.", description=AUTH_ERROR)
    client = ctx.request.client
    try:
        resp = await ctx.rpc.identity.ZenlixSignIn(
            id_pb.ZenlixSignInRequest(
                login=login,
                password=password,
                client_address=client.host if client else "",
                device_token=ctx.fields.text("device_token")[:4096],
            )
        )
    except (Unauthenticated, InvalidInput) as exc:  # wrong password, disabled, TOTP on
        raise Refused(exc.detail, description=AUTH_ERROR) from exc
    return auth_answer(key=resp.key.secret, user=resp.user)


async def reset_token(ctx: Ctx) -> Response:
    """The caller's keys issued to this device stop working. ZENLIX needed no key for it
    (anyone could sign anyone's device out); we need the key too. Answers nothing, as ZENLIX."""
    await ctx.sign_in()
    resp = await ctx.rpc.identity.ForgetZenlixDevice(
        id_pb.ForgetZenlixDeviceRequest(device_token=ctx.fields.text("device_token")[:4096])
    )
    # Identity announces it to every gateway; this one need not wait for the news.
    session_guard(ctx.request).api_tokens_revoked(resp.key_ids)
    return Response(b"", media_type=JSON)
