"""One ZENLIX request: its fields, the caller its key names, and the people, units and
time zone its answer mentions, each asked of identity once per request."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from fastapi import Request
from helpdesk.identity.v1 import identity_pb2 as id_pb

from helpdesk_gateway.api.shapes import clients
from helpdesk_gateway.api.zenlix.envelope import AUTH_ERROR, Fields, Refused
from helpdesk_gateway.auth import API_TOKEN_PREFIX, Caller, session_guard
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.ratelimits import RULES, RateLimits
from helpdesk_kit.errors import Unauthenticated
from helpdesk_kit.trust import use_passport

_ZENLIX_KEY = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Ctx:
    request: Request
    fields: Fields
    _caller: Caller | None = None
    _people: dict[int, id_pb.User] = field(default_factory=dict)
    _zone: ZoneInfo | None = None

    @property
    def rpc(self) -> Clients:
        return clients(self.request)

    @property
    def caller(self) -> Caller:
        if self._caller is None:
            raise AssertionError("the mode reads the caller before signing in")
        return self._caller

    async def sign_in(self) -> Caller:
        """The user whose key ``uniq_id`` is (a ZENLIX API key or a personal API token);
        every gRPC call of the request then carries his passport. ``Refused(AUTH_ERROR)``
        for an unknown, revoked or malformed key and for a disabled user."""
        key = self.fields.text("uniq_id").strip()
        guard = session_guard(self.request)
        try:
            if key.startswith(API_TOKEN_PREFIX):
                passport, caller = await guard.api_token(key)
            elif _ZENLIX_KEY.match(key):
                passport, caller = await guard.zenlix_key(key)
            else:
                raise Refused("Not a key.", description=AUTH_ERROR)
        except Unauthenticated as exc:
            raise Refused("Unknown key.", description=AUTH_ERROR) from exc
        use_passport(passport)
        self._caller = caller
        return caller

    async def count(self, method: str, path: str) -> None:
        """Counts this request against the per-user limit of the REST route it stands for:
        ZENLIX's creates and comments spend the budget of ``POST /api/v1/tickets`` and its
        comments (``RateLimited`` over it); nothing when the gateway counts nothing."""
        limits: RateLimits | None = getattr(self.request.app.state, "rate_limits", None)
        rule = RULES.get((method, path))
        if limits is not None and rule is not None:
            await limits.hit((rule, f"user:{self.caller.user_id}"))

    async def people(self, ids: Iterable[int]) -> dict[int, id_pb.User]:
        """Users by id (unknown ids left out), in one call for those not yet asked."""
        wanted = {i for i in ids if i}
        missing = sorted(wanted - self._people.keys())
        if missing:
            resp = await self.rpc.identity.GetUsers(id_pb.GetUsersRequest(ids=missing))
            self._people.update({u.id: u for u in resp.users})
        return {i: self._people[i] for i in wanted if i in self._people}

    async def by_hashes(self, hashes: Iterable[str]) -> dict[str, id_pb.User]:
        """The users with these public hashes that the caller may see (the others: unknown)."""
        wanted = sorted({h for h in hashes if h})
        if not wanted:
            return {}
        resp = await self.rpc.identity.GetUsersByHash(id_pb.GetUsersByHashRequest(hashes=wanted))
        self._people.update({u.id: u for u in resp.users})
        return {u.public_hash: u for u in resp.users}

    async def zone(self) -> ZoneInfo:
        """The caller's time zone, else the installation's (``HELPDESK_ZENLIX_TIME_ZONE``)."""
        if self._zone is None:
            me = (await self.people([self.caller.user_id])).get(self.caller.user_id)
            name = (me.time_zone if me else "") or self.rpc.settings.zenlix_time_zone
            try:
                self._zone = ZoneInfo(name)
            except (KeyError, ValueError):
                self._zone = ZoneInfo(self.rpc.settings.zenlix_time_zone)
        return self._zone
