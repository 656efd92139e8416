"""gRPC ⇄ use cases for what ZENLIX's JSON API needs of identity: its ``auth``, ZENLIX API
keys (made, listed and revoked in the profile; resolved for every call), devices, and
users by their public hash. A mixin of ``rpc.IdentityService``, which supplies the
database, the settings, the sign-in limiter and the acting user."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from helpdesk.identity.v1 import identity_pb2 as pb

from helpdesk_identity import passports, usecases
from helpdesk_identity.config import Settings
from helpdesk_identity.domain import User
from helpdesk_identity.ratelimit import Limiters
from helpdesk_identity.wire import api_token_pb, user_to_pb
from helpdesk_kit.db import Database

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


class ZenlixApi:
    _db: Database
    _settings: Settings
    _limits: Limiters

    async def _actor(self) -> User:
        raise NotImplementedError  # IdentityService's: the user of the call's passport

    async def ZenlixSignIn(
        self, request: pb.ZenlixSignInRequest, context: Context
    ) -> pb.ZenlixSignInResponse:
        row, secret, user = await usecases.sign_in(
            db=self._db,
            limiters=self._limits,
            login=request.login,
            password=request.password,
            address=request.client_address,
            device_token=request.device_token,
        )
        key = api_token_pb(row)
        key.secret = secret
        return pb.ZenlixSignInResponse(key=key, user=user_to_pb(user))

    async def AuthenticateZenlixKey(
        self, request: pb.AuthenticateApiTokenRequest, context: Context
    ) -> pb.AuthenticateApiTokenResponse:
        token_id, user = await usecases.authenticate_key(db=self._db, key=request.token)
        ttl = self._settings.passport_ttl_seconds
        # Keys and API tokens share one table, so "api:<id>" names either without clashing.
        passport = await passports.for_api_token(db=self._db, token_id=token_id, user=user, ttl=ttl)
        return pb.AuthenticateApiTokenResponse(
            user=user_to_pb(user), token_id=token_id, passport=passport, passport_ttl_seconds=ttl
        )

    async def CreateZenlixKey(self, request: pb.CreateZenlixKeyRequest, context: Context) -> pb.ApiToken:
        row, secret = await usecases.create_key(db=self._db, actor=await self._actor(), name=request.name)
        key = api_token_pb(row)
        key.secret = secret
        return key

    async def ListZenlixKeys(
        self, request: pb.ListApiTokensRequest, context: Context
    ) -> pb.ListApiTokensResponse:
        rows = await usecases.list_keys(db=self._db, actor=await self._actor())
        return pb.ListApiTokensResponse(tokens=[api_token_pb(r) for r in rows])

    async def RevokeZenlixKey(
        self, request: pb.RevokeApiTokenRequest, context: Context
    ) -> pb.RevokeApiTokenResponse:
        await usecases.revoke_key(db=self._db, actor=await self._actor(), token_id=request.token_id)
        return pb.RevokeApiTokenResponse()

    async def ForgetZenlixDevice(
        self, request: pb.ForgetZenlixDeviceRequest, context: Context
    ) -> pb.ForgetZenlixDeviceResponse:
        revoked = await usecases.forget_device(
            db=self._db, actor=await self._actor(), device_token=request.device_token
        )
        return pb.ForgetZenlixDeviceResponse(key_ids=revoked)

    async def GetUsersByHash(
        self, request: pb.GetUsersByHashRequest, context: Context
    ) -> pb.GetUsersResponse:
        users = await usecases.users_by_hash(
            db=self._db, actor=await self._actor(), hashes=list(request.hashes)
        )
        return pb.GetUsersResponse(users=[user_to_pb(u) for u in users])
