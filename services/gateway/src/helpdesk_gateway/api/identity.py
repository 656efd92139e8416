"""REST for identity: sign-in, me and personal tokens (docs/api-conventions.md § Route table).

The directory (users, units, client groups, positions) is in ``identity_directory``.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import ORJSONResponse
from helpdesk.identity.v1 import identity_pb2 as id_pb
from pydantic import Field

from helpdesk_gateway.api import identity_directory, identity_ldap
from helpdesk_gateway.api.identity_directory import ROLE_NAME, ROLE_PB, user_out
from helpdesk_gateway.api.shapes import Strict, clients, page, ts
from helpdesk_gateway.auth import CallerDep, session_guard

__all__ = ["ROLE_NAME", "ROLE_PB", "router", "user_out"]

router = APIRouter(prefix="/api/v1", default_response_class=ORJSONResponse)
router.include_router(identity_directory.router)
router.include_router(identity_ldap.router)


class LoginIn(Strict):
    login: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)
    totp: str = Field(default="", max_length=12)


class RefreshIn(Strict):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    expires_in: int = Field(default=0, ge=0, description="seconds; 0 = never expires")


class TotpCodeIn(Strict):
    code: str = Field(default="", max_length=12)


class TotpOffIn(Strict):
    code: str = Field(default="", max_length=12)
    current_password: str = Field(default="", max_length=1000)


def _tokens_out(resp: id_pb.LoginResponse) -> dict[str, Any]:
    return {
        "access_token": resp.access_token,
        "refresh_token": resp.refresh_token,
        "token_type": "bearer",
        "expires_in": resp.expires_in,
        "user": user_out(resp.user),
    }


@router.post("/auth/login", response_model=None)
async def login(body: LoginIn, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.Login(
        id_pb.LoginRequest(
            login=body.login,
            password=body.password,
            totp=body.totp,
            client_address=request.client.host if request.client else "",
        )
    )
    return _tokens_out(resp)


@router.post("/auth/refresh", response_model=None)
async def refresh(body: RefreshIn, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.Refresh(id_pb.RefreshRequest(refresh_token=body.refresh_token))
    return _tokens_out(resp)


@router.post("/auth/logout", response_model=None, status_code=204)
async def logout(caller: CallerDep, request: Request) -> Response:
    if caller.session_id:
        await clients(request).identity.Logout(id_pb.LogoutRequest())
        session_guard(request).forget_session(caller.session_id)
    return Response(status_code=204)


@router.get("/me", response_model=None)
async def me(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.GetUsers(id_pb.GetUsersRequest(ids=[caller.user_id]))
    return user_out(resp.users[0])


class ProfileIn(Strict):
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=50)
    language: Literal["en", "ru"] | None = None
    time_zone: str | None = Field(default=None, max_length=64)
    pushbullet: str | None = Field(default=None, max_length=200)
    current_password: str | None = Field(
        default=None, max_length=1000, description="needed when the e-mail changes"
    )


@router.patch("/me", response_model=None)
async def update_me(body: ProfileIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """The caller's own profile; role, units and flags stay with the admins (PATCH /users/{id})."""
    fields = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    user = await clients(request).identity.UpdateProfile(id_pb.UpdateProfileRequest(**fields))
    clients(request).names.put(str(user.id), user.full_name or user.login)
    return user_out(user)


class PasswordChangeIn(Strict):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=8, max_length=1000)


@router.post("/me/password", response_model=None, status_code=204)
async def change_password(body: PasswordChangeIn, caller: CallerDep, request: Request) -> Response:
    """Needs the current password; every other session of the user is signed out."""
    await clients(request).identity.ChangePassword(
        id_pb.ChangePasswordRequest(
            current_password=body.current_password,
            new_password=body.new_password,
        )
    )
    return Response(status_code=204)


def _token_out(t: id_pb.ApiToken) -> dict[str, Any]:
    out = {
        "id": t.id,
        "name": t.name,
        "created_at": ts(t.created_at),
        "expires_at": ts(t.expires_at),
        "last_used_at": ts(t.last_used_at),
    }
    if t.secret:
        out["token"] = t.secret
    return out


@router.get("/me/tokens", response_model=None)
async def list_tokens(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.ListApiTokens(id_pb.ListApiTokensRequest())
    return page([_token_out(t) for t in resp.tokens])


@router.post("/me/tokens", response_model=None, status_code=201)
async def create_token(body: TokenIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    token = await clients(request).identity.CreateApiToken(
        id_pb.CreateApiTokenRequest(name=body.name, expires_in_seconds=body.expires_in)
    )
    return _token_out(token)


@router.delete("/me/tokens/{token_id}", response_model=None, status_code=204)
async def revoke_token(token_id: int, caller: CallerDep, request: Request) -> Response:
    await clients(request).identity.RevokeApiToken(id_pb.RevokeApiTokenRequest(token_id=token_id))
    session_guard(request).api_tokens_revoked([token_id])  # here at once; other replicas by the event
    return Response(status_code=204)


@router.post("/me/totp", response_model=None)
async def setup_totp(caller: CallerDep, request: Request) -> dict[str, Any]:
    """Starts enrolment: the secret and otpauth:// URI; confirm with a code to enable."""
    resp = await clients(request).identity.SetupTotp(id_pb.TotpRequest())
    return {"secret": resp.secret, "provisioning_uri": resp.provisioning_uri, "enabled": False}


@router.post("/me/totp/confirm", response_model=None)
async def confirm_totp(body: TotpCodeIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.ConfirmTotp(id_pb.TotpRequest(code=body.code))
    return {"enabled": resp.enabled}


@router.delete("/me/totp", response_model=None)
async def disable_totp(body: TotpOffIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    """Needs the current password and, while the factor is on, a code."""
    resp = await clients(request).identity.DisableTotp(
        id_pb.TotpRequest(code=body.code, current_password=body.current_password)
    )
    return {"enabled": resp.enabled}


class RegisterIn(Strict):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=8, max_length=1000)
    full_name: str = Field(min_length=1, max_length=200)
    login: str = Field(default="", max_length=64)
    language: Literal["en", "ru"] = "en"


class OneTimeTokenIn(Strict):
    token: str = Field(min_length=1, max_length=200)


class ResetIn(Strict):
    login_or_email: str = Field(min_length=1, max_length=254)


class ResetConfirmIn(Strict):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=8, max_length=1000)


@router.post("/auth/register", response_model=None, status_code=202)
async def register(body: RegisterIn, request: Request) -> dict[str, Any]:
    """Client self-registration (403 when switched off); the account opens via the mailed link."""
    await clients(request).identity.Register(
        id_pb.RegisterRequest(
            login=body.login,
            email=body.email,
            password=body.password,
            full_name=body.full_name,
            language=body.language,
        )
    )
    return {"status": "confirmation_sent"}


@router.post("/auth/register/confirm", response_model=None)
async def confirm_registration(body: OneTimeTokenIn, request: Request) -> dict[str, Any]:
    user = await clients(request).identity.ConfirmRegistration(
        id_pb.ConfirmRegistrationRequest(token=body.token)
    )
    return user_out(user)


@router.post("/auth/password-reset", response_model=None, status_code=202)
async def request_password_reset(body: ResetIn, request: Request) -> dict[str, Any]:
    """202 whether or not the account exists, so it does not tell who has one."""
    await clients(request).identity.RequestPasswordReset(
        id_pb.RequestPasswordResetRequest(login_or_email=body.login_or_email)
    )
    return {"status": "accepted"}


@router.post("/auth/password-reset/confirm", response_model=None, status_code=204)
async def confirm_password_reset(body: ResetConfirmIn, request: Request) -> Response:
    await clients(request).identity.ConfirmPasswordReset(
        id_pb.ConfirmPasswordResetRequest(token=body.token, new_password=body.new_password)
    )
    return Response(status_code=204)
