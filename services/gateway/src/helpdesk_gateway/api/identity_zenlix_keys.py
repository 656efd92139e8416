"""REST for the caller's ZENLIX API keys (docs/zenlix-api.md § Keys): list, make (the key
is shown once), revoke. The keys open ZENLIX's JSON API (``POST /api``) only."""

from __future__ import annotations

from fastapi import Request
from helpdesk.identity.v1 import identity_pb2 as id_pb

from helpdesk_gateway.api.models.identity import NewZenlixKey, ZenlixKey, ZenlixKeyList
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.values import IdPath, line
from helpdesk_gateway.auth import CallerDep

router = api_router()


class KeyIn(Strict):
    name: str = line(100, min_length=1)


@router.get("/me/zenlix-keys")
async def list_keys(caller: CallerDep, request: Request) -> ZenlixKeyList:
    resp = await clients(request).identity.ListZenlixKeys(id_pb.ListApiTokensRequest())
    return ZenlixKeyList.of(items=[ZenlixKey.from_pb(k) for k in resp.tokens], next_cursor=None)


@router.post("/me/zenlix-keys", status_code=201)
async def create_key(body: KeyIn, caller: CallerDep, request: Request) -> NewZenlixKey:
    key = await clients(request).identity.CreateZenlixKey(id_pb.CreateZenlixKeyRequest(name=body.name))
    return NewZenlixKey.from_pb(key)


@router.delete("/me/zenlix-keys/{key_id}", status_code=204)
async def revoke_key(key_id: IdPath, caller: CallerDep, request: Request) -> None:
    await clients(request).identity.RevokeZenlixKey(id_pb.RevokeApiTokenRequest(token_id=key_id))
