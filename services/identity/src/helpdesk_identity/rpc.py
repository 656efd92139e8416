"""gRPC ⇄ use cases for helpdesk.identity.v1.Identity.

Kept whole: it is the one servicer class of the API, one short method per RPC that
translates messages to use-case calls and back; the logic is in ``usecases``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeAlias

import grpc
import orjson
from helpdesk.identity.v1 import identity_pb2 as pb
from helpdesk.identity.v1 import identity_pb2_grpc as pb_grpc

from helpdesk_identity import passports, usecases
from helpdesk_identity.config import Settings
from helpdesk_identity.domain import Kind, NewUser, User
from helpdesk_identity.ratelimit import Limiters
from helpdesk_identity.rpc_zenlix import ZenlixApi
from helpdesk_identity.wire import KIND_IN, ROLE_IN, api_token_pb, user_to_pb
from helpdesk_kit.db import Database
from helpdesk_kit.errors import Forbidden, InvalidInput, Unauthenticated
from helpdesk_kit.timestamps import from_timestamp, is_set
from helpdesk_kit.trust import current_principal, current_user

_OPTIONAL_FIELDS = (
    "login",
    "full_name",
    "email",
    "phone",
    "is_client_group_lead",
    "is_admin",
    "language",
    "pushbullet",
    "time_zone",
    "is_active",
)


def _changes(r: pb.UpdateUserRequest) -> dict[str, Any]:
    """The fields an UpdateUserRequest sets, by NewUser's names."""
    changes: dict[str, Any] = {f: getattr(r, f) for f in _OPTIONAL_FIELDS if r.HasField(f)}  # type: ignore[arg-type]
    if r.HasField("role"):
        changes["role"] = ROLE_IN.get(r.role)
    if r.set_unit_ids:
        changes["unit_ids"] = list(r.unit_ids)
    if r.HasField("client_group_id"):
        changes["client_group_id"] = r.client_group_id or None
    if r.HasField("position_id"):
        changes["position_id"] = r.position_id or None
    return changes


Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


class IdentityService(ZenlixApi, pb_grpc.IdentityServicer):
    def __init__(self, *, db: Database, settings: Settings, limiters: Limiters | None = None) -> None:
        self._db = db
        self._settings = settings
        self._limits = limiters or Limiters.none()

    async def _actor(self) -> User:
        """The user the call acts for (proven by its passport), as he is now."""
        actor = await usecases.actor_by_id(db=self._db, user_id=current_user().user_id)
        if actor is None:
            raise Unauthenticated("The caller is unknown or disabled.")
        return actor

    async def Login(self, request: pb.LoginRequest, context: Context) -> pb.LoginResponse:
        tokens = await usecases.login(
            db=self._db,
            limiters=self._limits,
            login=request.login,
            password=request.password,
            totp=request.totp,
            address=request.client_address,
            access_ttl=self._settings.access_token_ttl_seconds,
            refresh_ttl=self._settings.refresh_token_ttl_seconds,
        )
        return self._tokens(tokens)

    def _tokens(self, tokens: usecases.Tokens) -> pb.LoginResponse:
        return pb.LoginResponse(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_in=self._settings.access_token_ttl_seconds,
            user=user_to_pb(tokens.user),
        )

    async def Refresh(self, request: pb.RefreshRequest, context: Context) -> pb.LoginResponse:
        tokens = await usecases.refresh(
            db=self._db,
            refresh_token=request.refresh_token,
            access_ttl=self._settings.access_token_ttl_seconds,
        )
        return self._tokens(tokens)

    async def Logout(self, request: pb.LogoutRequest, context: Context) -> pb.LogoutResponse:
        await usecases.logout(db=self._db, session_id=current_user().session_id)
        return pb.LogoutResponse()

    async def CheckSession(
        self, request: pb.CheckSessionRequest, context: Context
    ) -> pb.CheckSessionResponse:
        ttl = self._settings.passport_ttl_seconds
        found = await passports.for_sessions(db=self._db, session_ids=[request.session_id], ttl=ttl)
        passport = found.get(request.session_id, "")
        return pb.CheckSessionResponse(active=bool(passport), passport=passport, passport_ttl_seconds=ttl)

    async def CheckSessions(
        self, request: pb.CheckSessionsRequest, context: Context
    ) -> pb.CheckSessionsResponse:
        found = await passports.for_sessions(
            db=self._db, session_ids=list(request.session_ids), ttl=self._settings.passport_ttl_seconds
        )
        return pb.CheckSessionsResponse(active_session_ids=list(found), passports=found)

    async def AuthenticateApiToken(
        self, request: pb.AuthenticateApiTokenRequest, context: Context
    ) -> pb.AuthenticateApiTokenResponse:
        token_id, user = await usecases.authenticate_api_token(db=self._db, token=request.token)
        ttl = self._settings.passport_ttl_seconds
        passport = await passports.for_api_token(db=self._db, token_id=token_id, user=user, ttl=ttl)
        return pb.AuthenticateApiTokenResponse(
            user=user_to_pb(user), token_id=token_id, passport=passport, passport_ttl_seconds=ttl
        )

    async def CreateApiToken(self, request: pb.CreateApiTokenRequest, context: Context) -> pb.ApiToken:
        row, secret = await usecases.create_api_token(
            db=self._db,
            actor=await self._actor(),
            name=request.name,
            expires_in=request.expires_in_seconds,
            expires_at=from_timestamp(request.expires_at) if request.HasField("expires_at") else None,
        )
        token = api_token_pb(row)
        token.secret = secret
        return token

    async def ListApiTokens(
        self, request: pb.ListApiTokensRequest, context: Context
    ) -> pb.ListApiTokensResponse:
        rows = await usecases.list_api_tokens(db=self._db, actor=await self._actor())
        return pb.ListApiTokensResponse(tokens=[api_token_pb(r) for r in rows])

    async def RevokeApiToken(
        self, request: pb.RevokeApiTokenRequest, context: Context
    ) -> pb.RevokeApiTokenResponse:
        await usecases.revoke_api_token(db=self._db, actor=await self._actor(), token_id=request.token_id)
        return pb.RevokeApiTokenResponse()

    async def SetupTotp(self, request: pb.TotpRequest, context: Context) -> pb.TotpSetupResponse:
        secret, uri = await usecases.setup_totp(db=self._db, actor=await self._actor())
        return pb.TotpSetupResponse(secret=secret, provisioning_uri=uri)

    async def ConfirmTotp(self, request: pb.TotpRequest, context: Context) -> pb.TotpResponse:
        await usecases.confirm_totp(
            db=self._db, limiters=self._limits, actor=await self._actor(), code=request.code
        )
        return pb.TotpResponse(enabled=True)

    async def DisableTotp(self, request: pb.TotpRequest, context: Context) -> pb.TotpResponse:
        await usecases.disable_totp(
            db=self._db,
            limiters=self._limits,
            actor=await self._actor(),
            code=request.code,
            password=request.current_password,
        )
        return pb.TotpResponse(enabled=False)

    async def ListUsers(self, request: pb.ListUsersRequest, context: Context) -> pb.ListUsersResponse:
        users, next_after = await usecases.list_users(
            db=self._db,
            actor=await self._actor() if current_principal().user else None,
            q=request.q,
            unit_id=request.unit_id or None,
            kind=KIND_IN.get(request.kind),
            after_id=request.after_id,
            limit=request.limit or 50,
        )
        return pb.ListUsersResponse(users=[user_to_pb(u) for u in users], next_after_id=next_after)

    async def GetUser(self, request: pb.GetUserRequest, context: Context) -> pb.User:
        user = await usecases.get_user(db=self._db, actor=await self._actor(), user_id=request.user_id)
        return user_to_pb(user)

    async def UpdateUser(self, request: pb.UpdateUserRequest, context: Context) -> pb.User:
        user = await usecases.update_user(
            db=self._db,
            actor=await self._actor(),
            user_id=request.user_id,
            changes=_changes(request),
            password=request.password if request.HasField("password") else None,
            password_ends_api_tokens=self._settings.password_change_ends_api_tokens,
        )
        return user_to_pb(user)

    async def UpdateProfile(self, request: pb.UpdateProfileRequest, context: Context) -> pb.User:
        changes = {f: getattr(request, f) for f in usecases.PROFILE_FIELDS if request.HasField(f)}  # type: ignore[arg-type]
        user = await usecases.update_profile(
            db=self._db,
            limiter=self._limits.login,
            user_id=current_user().user_id,
            changes=changes,
            current_password=request.current_password,
        )
        return user_to_pb(user)

    async def ChangePassword(
        self, request: pb.ChangePasswordRequest, context: Context
    ) -> pb.ChangePasswordResponse:
        await usecases.change_password(
            db=self._db,
            limiter=self._limits.login,
            user_id=current_user().user_id,
            current=request.current_password,
            new=request.new_password,
            keep_session=current_user().session_id,
            ends_api_tokens=self._settings.password_change_ends_api_tokens,
        )
        return pb.ChangePasswordResponse()

    async def DisableUser(self, request: pb.DisableUserRequest, context: Context) -> pb.User:
        user = await usecases.disable_user(db=self._db, actor=await self._actor(), user_id=request.user_id)
        return user_to_pb(user)

    async def UpdateUnit(self, request: pb.UpdateUnitRequest, context: Context) -> pb.Unit:
        unit_id, name = await usecases.update_unit(
            db=self._db, actor=await self._actor(), unit_id=request.unit_id, name=request.name
        )
        return pb.Unit(id=unit_id, name=name)

    async def CreateClientGroup(
        self, request: pb.CreateClientGroupRequest, context: Context
    ) -> pb.ClientGroup:
        group_id, name, lead_id = await usecases.create_client_group(
            db=self._db,
            actor=await self._actor(),
            name=request.name,
            lead_id=request.lead_id or None,
        )
        return pb.ClientGroup(id=group_id, name=name, lead_id=lead_id or 0)

    async def ListClientGroups(
        self, request: pb.ListClientGroupsRequest, context: Context
    ) -> pb.ListClientGroupsResponse:
        groups = await usecases.list_client_groups(db=self._db)
        return pb.ListClientGroupsResponse(
            groups=[pb.ClientGroup(id=i, name=n, lead_id=lead or 0) for i, n, lead in groups]
        )

    async def ListClientGroupMembers(
        self, request: pb.ListClientGroupMembersRequest, context: Context
    ) -> pb.UsersResponse:
        users = await usecases.client_group_members(db=self._db, group_id=request.client_group_id)
        return pb.UsersResponse(users=[user_to_pb(u) for u in users])

    async def UpdateClientGroup(
        self, request: pb.UpdateClientGroupRequest, context: Context
    ) -> pb.ClientGroup:
        group_id, name, lead_id = await usecases.update_client_group(
            db=self._db,
            actor=await self._actor(),
            group_id=request.id,
            name=request.name or None,
            lead_id=request.lead_id or None,
            clear_lead=request.clear_lead,
        )
        return pb.ClientGroup(id=group_id, name=name, lead_id=lead_id or 0)

    async def DeleteClientGroup(self, request: pb.DeleteRequest, context: Context) -> pb.DeleteResponse:
        await usecases.delete_client_group(db=self._db, actor=await self._actor(), group_id=request.id)
        return pb.DeleteResponse()

    async def UpdatePosition(self, request: pb.UpdatePositionRequest, context: Context) -> pb.Position:
        position_id, name = await usecases.update_position(
            db=self._db, actor=await self._actor(), position_id=request.id, name=request.name
        )
        return pb.Position(id=position_id, name=name)

    async def DeletePosition(self, request: pb.DeleteRequest, context: Context) -> pb.DeleteResponse:
        await usecases.delete_position(db=self._db, actor=await self._actor(), position_id=request.id)
        return pb.DeleteResponse()

    async def DeleteUnit(self, request: pb.DeleteRequest, context: Context) -> pb.DeleteResponse:
        await usecases.delete_unit(db=self._db, actor=await self._actor(), unit_id=request.id)
        return pb.DeleteResponse()

    async def CreatePosition(self, request: pb.CreatePositionRequest, context: Context) -> pb.Position:
        position_id, name = await usecases.create_position(
            db=self._db, actor=await self._actor(), name=request.name
        )
        return pb.Position(id=position_id, name=name)

    async def ListPositions(
        self, request: pb.ListPositionsRequest, context: Context
    ) -> pb.ListPositionsResponse:
        positions = await usecases.list_positions(db=self._db)
        return pb.ListPositionsResponse(positions=[pb.Position(id=i, name=n) for i, n in positions])

    def _switches(self) -> usecases.SelfService:
        s = self._settings
        return usecases.SelfService(
            public_url=s.public_url.rstrip("/"),
            registration_enabled=s.registration_enabled,
            password_reset_enabled=s.password_reset_enabled,
            token_ttl=s.one_time_token_ttl_seconds,
        )

    async def Register(self, request: pb.RegisterRequest, context: Context) -> pb.RegisterResponse:
        await usecases.register(
            db=self._db,
            switches=self._switches(),
            limiter=self._limits.mail,
            email=request.email,
            password=request.password,
            full_name=request.full_name,
            login=request.login,
            language=request.language,
        )
        return pb.RegisterResponse()

    async def IssueOneTimeLink(
        self, request: pb.IssueOneTimeLinkRequest, context: Context
    ) -> pb.IssueOneTimeLinkResponse:
        url = await usecases.issue_link(
            db=self._db,
            switches=self._switches(),
            purpose=request.purpose,
            user_id=request.user_id,
            requested_at=from_timestamp(request.requested_at)
            if is_set(request.requested_at)
            else datetime.now(UTC),
        )
        return pb.IssueOneTimeLinkResponse(url=url)

    async def FindUsersByEmail(
        self, request: pb.FindUsersByEmailRequest, context: Context
    ) -> pb.UsersResponse:
        users = await usecases.find_users_by_email(db=self._db, email=request.email)
        return pb.UsersResponse(users=[user_to_pb(u) for u in users])

    async def CreateMailClient(self, request: pb.CreateMailClientRequest, context: Context) -> pb.User:
        user = await usecases.create_mail_client(
            db=self._db, email=request.email, full_name=request.full_name, language=request.language
        )
        return user_to_pb(user)

    async def IssuePassport(
        self, request: pb.IssuePassportRequest, context: Context
    ) -> pb.IssuePassportResponse:
        ttl = self._settings.passport_ttl_seconds
        passport = await usecases.issue_passport(db=self._db, user_id=request.user_id, ttl=ttl)
        return pb.IssuePassportResponse(passport=passport, passport_ttl_seconds=ttl)

    async def ConfirmRegistration(self, request: pb.ConfirmRegistrationRequest, context: Context) -> pb.User:
        return user_to_pb(await usecases.confirm_registration(db=self._db, token=request.token))

    async def RequestPasswordReset(
        self, request: pb.RequestPasswordResetRequest, context: Context
    ) -> pb.RequestPasswordResetResponse:
        await usecases.request_password_reset(
            db=self._db,
            switches=self._switches(),
            limiter=self._limits.mail,
            login_or_email=request.login_or_email,
        )
        return pb.RequestPasswordResetResponse()

    async def ConfirmPasswordReset(
        self, request: pb.ConfirmPasswordResetRequest, context: Context
    ) -> pb.ConfirmPasswordResetResponse:
        await usecases.confirm_password_reset(
            db=self._db,
            switches=self._switches(),
            token=request.token,
            new_password=request.new_password,
            ends_api_tokens=self._settings.password_change_ends_api_tokens,
        )
        return pb.ConfirmPasswordResetResponse()

    async def GetLdapSettings(self, request: pb.LdapSettingsRequest, context: Context) -> pb.LdapSettings:
        data = await usecases.get_ldap_settings(db=self._db, actor=await self._actor())
        return pb.LdapSettings(settings_json=orjson.dumps(data).decode())

    async def PutLdapSettings(self, request: pb.LdapSettingsRequest, context: Context) -> pb.LdapSettings:
        try:
            data = orjson.loads(request.settings_json)
        except orjson.JSONDecodeError:
            raise InvalidInput("The LDAP settings are not JSON.") from None
        if not isinstance(data, dict):
            raise InvalidInput("The LDAP settings are an object.")
        out = await usecases.put_ldap_settings(db=self._db, actor=await self._actor(), data=data)
        return pb.LdapSettings(settings_json=orjson.dumps(out).decode())

    async def TestLdap(self, request: pb.LdapActionRequest, context: Context) -> pb.LdapTestResponse:
        ok, detail, count = await usecases.test_ldap(db=self._db, actor=await self._actor())
        return pb.LdapTestResponse(ok=ok, detail=detail, users_found=count)

    async def SyncLdap(self, request: pb.LdapActionRequest, context: Context) -> pb.LdapSyncResponse:
        r = await usecases.sync_ldap(db=self._db, actor=await self._actor())
        return pb.LdapSyncResponse(created=r.created, updated=r.updated, disabled=r.disabled)

    async def ListHeadsOfUser(self, request: pb.ListHeadsOfUserRequest, context: Context) -> pb.UsersResponse:
        users = await usecases.heads_of_user(db=self._db, user_id=request.user_id)
        return pb.UsersResponse(users=[user_to_pb(u) for u in users])

    async def GetVerificationKeys(
        self, request: pb.GetVerificationKeysRequest, context: Context
    ) -> pb.GetVerificationKeysResponse:
        keys = await usecases.verification_keys(
            db=self._db, access_ttl=self._settings.access_token_ttl_seconds
        )
        return pb.GetVerificationKeysResponse(
            keys=[pb.VerificationKey(key_id=k, algorithm="EdDSA", public_key_pem=v) for k, v in keys.items()]
        )

    async def GetUsers(self, request: pb.GetUsersRequest, context: Context) -> pb.GetUsersResponse:
        users = await usecases.get_users(db=self._db, ids=list(request.ids))
        return pb.GetUsersResponse(users=[user_to_pb(u) for u in users])

    async def ListUnitMembers(
        self, request: pb.ListUnitMembersRequest, context: Context
    ) -> pb.ListUnitMembersResponse:
        user = current_principal().user
        if user is not None and user.is_client:
            raise Forbidden("Clients cannot list unit members.")
        users = await usecases.unit_members(db=self._db, unit_id=request.unit_id)
        return pb.ListUnitMembersResponse(users=[user_to_pb(u) for u in users])

    async def ListUnitHeads(
        self, request: pb.ListUnitHeadsRequest, context: Context
    ) -> pb.ListUnitHeadsResponse:
        users = await usecases.unit_heads(db=self._db, unit_ids=list(request.unit_ids))
        return pb.ListUnitHeadsResponse(users=[user_to_pb(u) for u in users])

    async def CreateUser(self, request: pb.CreateUserRequest, context: Context) -> pb.User:
        new = NewUser(
            login=request.login,
            full_name=request.full_name,
            kind=KIND_IN.get(request.kind, Kind.STAFF),
            role=ROLE_IN.get(request.role),
            unit_ids=list(request.unit_ids),
            email=request.email,
            phone=request.phone,
            is_admin=request.is_admin,
            language=request.language or "en",
            password=request.password or None,
            client_group_id=request.client_group_id or None,
            is_client_group_lead=request.is_client_group_lead,
            position_id=request.position_id or None,
            pushbullet=request.pushbullet,
            time_zone=request.time_zone,
            ldap=request.ldap,
        )
        user = await usecases.create_user(db=self._db, actor=await self._actor(), new=new)
        return user_to_pb(user)

    async def CreateUnit(self, request: pb.CreateUnitRequest, context: Context) -> pb.Unit:
        unit_id, name = await usecases.create_unit(db=self._db, actor=await self._actor(), name=request.name)
        return pb.Unit(id=unit_id, name=name)

    async def ListUnits(self, request: pb.ListUnitsRequest, context: Context) -> pb.ListUnitsResponse:
        units = await usecases.list_units(db=self._db)
        return pb.ListUnitsResponse(units=[pb.Unit(id=i, name=n) for i, n in units])
