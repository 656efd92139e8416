"""REST for identity: sign-in, me and personal tokens (docs/api-conventions.md § Route table).

The directory (users, units, client groups, positions) is in ``identity_directory``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import Request
from helpdesk.identity.v1 import identity_pb2 as id_pb
from pydantic import AwareDatetime, Field

from helpdesk_gateway.api import identity_directory, identity_ldap, identity_zenlix_keys
from helpdesk_gateway.api.models.base import Accepted
from helpdesk_gateway.api.models.identity import (
    ApiToken,
    ApiTokenList,
    NewApiToken,
    Tokens,
    TotpSetup,
    TotpState,
    User,
)
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.values import IdPath, line
from helpdesk_gateway.auth import CallerDep, session_guard
from helpdesk_kit.timestamps import to_timestamp

router = api_router(prefix="/api/v1")
router.include_router(identity_directory.router)
router.include_router(identity_ldap.router)
router.include_router(identity_zenlix_keys.router)

# Ten years: what identity accepts for a personal token's life.
MAX_TOKEN_SECONDS = 10 * 366 * 86_400


class LoginIn(Strict):
    login: str = line(200, min_length=1)
    password: str = Field(min_length=1, max_length=1000)
    totp: str = line(12, default="")


class RefreshIn(Strict):
    refresh_token: str = line(200, min_length=1)


class TokenIn(Strict):
    name: str = line(100, min_length=1)
    expires_in: int = Field(default=0, ge=0, le=MAX_TOKEN_SECONDS, description="seconds; 0 = never expires")
    expires_at: AwareDatetime | None = Field(
        default=None,
        description="or the moment it stops working (at most ten years ahead); not with expires_in",
    )


class TotpCodeIn(Strict):
    code: str = line(12, default="")


class TotpOffIn(Strict):
    code: str = line(12, default="")
    current_password: str = Field(default="", max_length=1000)


@router.post("/auth/login")
async def login(body: LoginIn, request: Request) -> Tokens:
    resp = await clients(request).identity.Login(
        id_pb.LoginRequest(
            login=body.login,
            password=body.password,
            totp=body.totp,
            client_address=request.client.host if request.client else "",
        )
    )
    return Tokens.from_pb(resp)


@router.post("/auth/refresh")
async def refresh(body: RefreshIn, request: Request) -> Tokens:
    resp = await clients(request).identity.Refresh(id_pb.RefreshRequest(refresh_token=body.refresh_token))
    return Tokens.from_pb(resp)


@router.post("/auth/logout", status_code=204)
async def logout(caller: CallerDep, request: Request) -> None:
    if caller.session_id:
        await clients(request).identity.Logout(id_pb.LogoutRequest())
        session_guard(request).forget_session(caller.session_id)


@router.get("/me")
async def me(caller: CallerDep, request: Request) -> User:
    resp = await clients(request).identity.GetUsers(id_pb.GetUsersRequest(ids=[caller.user_id]))
    return User.from_pb(resp.users[0])


class ProfileIn(Strict):
    full_name: str | None = line(200, min_length=1, default=None)
    email: str | None = line(254, default=None)
    phone: str | None = line(50, default=None)
    language: Literal["en", "ru"] | None = None
    time_zone: str | None = line(64, default=None)
    pushbullet: str | None = line(200, default=None)
    current_password: str | None = Field(
        default=None, max_length=1000, description="needed when the e-mail changes"
    )


@router.patch("/me")
async def update_me(body: ProfileIn, caller: CallerDep, request: Request) -> User:
    """The caller's own profile; role, units and flags stay with the admins (PATCH /users/{id})."""
    fields = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    user = await clients(request).identity.UpdateProfile(id_pb.UpdateProfileRequest(**fields))
    clients(request).names.put(str(user.id), user.full_name or user.login)
    return User.from_pb(user)


class PasswordChangeIn(Strict):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=8, max_length=1000)


@router.post("/me/password", status_code=204)
async def change_password(body: PasswordChangeIn, caller: CallerDep, request: Request) -> None:
    """Needs the current password; every other session of the user is signed out."""
    await clients(request).identity.ChangePassword(
        id_pb.ChangePasswordRequest(
            current_password=body.current_password,
            new_password=body.new_password,
        )
    )


@router.get("/me/tokens")
async def list_tokens(caller: CallerDep, request: Request) -> ApiTokenList:
    resp = await clients(request).identity.ListApiTokens(id_pb.ListApiTokensRequest())
    return ApiTokenList.of(items=[ApiToken.from_pb(t) for t in resp.tokens], next_cursor=None)


@router.post("/me/tokens", status_code=201)
async def create_token(body: TokenIn, caller: CallerDep, request: Request) -> NewApiToken:
    token = await clients(request).identity.CreateApiToken(
        id_pb.CreateApiTokenRequest(
            name=body.name,
            expires_in_seconds=body.expires_in,
            expires_at=to_timestamp(body.expires_at) if body.expires_at is not None else None,
        )
    )
    return NewApiToken.from_pb(token)


@router.delete("/me/tokens/{token_id}", status_code=204)
async def revoke_token(token_id: IdPath, caller: CallerDep, request: Request) -> None:
    await clients(request).identity.RevokeApiToken(id_pb.RevokeApiTokenRequest(token_id=token_id))
    session_guard(request).api_tokens_revoked([token_id])  # here at once; other replicas by the event


@router.post("/me/totp")
async def setup_totp(caller: CallerDep, request: Request) -> TotpSetup:
    """Starts enrolment: the secret and otpauth:// URI; confirm with a code to enable."""
    resp = await clients(request).identity.SetupTotp(id_pb.TotpRequest())
    return TotpSetup.of(secret=resp.secret, provisioning_uri=resp.provisioning_uri, enabled=False)


@router.post("/me/totp/confirm")
async def confirm_totp(body: TotpCodeIn, caller: CallerDep, request: Request) -> TotpState:
    resp = await clients(request).identity.ConfirmTotp(id_pb.TotpRequest(code=body.code))
    return TotpState.of(enabled=resp.enabled)


@router.delete("/me/totp")
async def disable_totp(body: TotpOffIn, caller: CallerDep, request: Request) -> TotpState:
    """Needs the current password and, while the factor is on, a code."""
    resp = await clients(request).identity.DisableTotp(
        id_pb.TotpRequest(code=body.code, current_password=body.current_password)
    )
    return TotpState.of(enabled=resp.enabled)


class RegisterIn(Strict):
    email: str = line(254, min_length=3)
    password: str = Field(min_length=8, max_length=1000)
    full_name: str = line(200, min_length=1)
    login: str = line(64, default="")
    language: Literal["en", "ru"] = "en"


class OneTimeTokenIn(Strict):
    token: str = line(200, min_length=1)


class ResetIn(Strict):
    login_or_email: str = line(254, min_length=1)


class ResetConfirmIn(Strict):
    token: str = line(200, min_length=1)
    new_password: str = Field(min_length=8, max_length=1000)


@router.post("/auth/register", status_code=202)
async def register(body: RegisterIn, request: Request) -> Accepted:
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
    return Accepted.of(status="confirmation_sent")


@router.post("/auth/register/confirm")
async def confirm_registration(body: OneTimeTokenIn, request: Request) -> User:
    user = await clients(request).identity.ConfirmRegistration(
        id_pb.ConfirmRegistrationRequest(token=body.token)
    )
    return User.from_pb(user)


@router.post("/auth/password-reset", status_code=202)
async def request_password_reset(body: ResetIn, request: Request) -> Accepted:
    """202 whether or not the account exists, so it does not tell who has one."""
    await clients(request).identity.RequestPasswordReset(
        id_pb.RequestPasswordResetRequest(login_or_email=body.login_or_email)
    )
    return Accepted.of(status="accepted")


@router.post("/auth/password-reset/confirm", status_code=204)
async def confirm_password_reset(body: ResetConfirmIn, request: Request) -> None:
    await clients(request).identity.ConfirmPasswordReset(
        id_pb.ConfirmPasswordResetRequest(token=body.token, new_password=body.new_password)
    )
