"""REST for the caller's ZENLIX API keys (docs/zenlix-api.md § Keys): list, make (the key
is shown once), revoke. The keys open ZENLIX's JSON API (``POST /api``) only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import ORJSONResponse
from helpdesk.identity.v1 import identity_pb2 as id_pb
from pydantic import Field

from helpdesk_gateway.api.shapes import Strict, clients, page, ts
from helpdesk_gateway.auth import CallerDep

router = APIRouter(default_response_class=ORJSONResponse)


class KeyIn(Strict):
    name: str = Field(min_length=1, max_length=100)


def _key_out(k: id_pb.ApiToken) -> dict[str, Any]:
    out = {"id": k.id, "name": k.name, "created_at": ts(k.created_at), "last_used_at": ts(k.last_used_at)}
    if k.secret:
        out["key"] = k.secret
    return out


@router.get("/me/zenlix-keys", response_model=None)
async def list_keys(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).identity.ListZenlixKeys(id_pb.ListApiTokensRequest())
    return page([_key_out(k) for k in resp.tokens])


@router.post("/me/zenlix-keys", response_model=None, status_code=201)
async def create_key(body: KeyIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    key = await clients(request).identity.CreateZenlixKey(id_pb.CreateZenlixKeyRequest(name=body.name))
    return _key_out(key)


@router.delete("/me/zenlix-keys/{key_id}", response_model=None, status_code=204)
async def revoke_key(key_id: int, caller: CallerDep, request: Request) -> Response:
    await clients(request).identity.RevokeZenlixKey(id_pb.RevokeApiTokenRequest(token_id=key_id))
    return Response(status_code=204)
