"""What tickets needs to know from identity, cached: which units exist.

Units change rarely and are needed on every create, so a short-lived cache saves
a gRPC hop on the hot path. An unknown unit id triggers a refresh before the
ticket is refused, so a unit created a moment ago is usable at once; concurrent
misses share one refresh.
"""

from __future__ import annotations

import asyncio
import time

from helpdesk.identity.v1 import identity_pb2 as pb
from helpdesk.identity.v1 import identity_pb2_grpc as pb_grpc


class UnitDirectory:
    def __init__(self, stub: pb_grpc.IdentityAsyncStub, *, ttl: float) -> None:
        self._stub = stub
        self._ttl = ttl
        self._units: set[int] = set()
        self._fetched_at = -1e9
        self._lock = asyncio.Lock()

    async def _refresh(self, *, unless_fetched_after: float) -> None:
        async with self._lock:
            if self._fetched_at > unless_fetched_after:
                return
            resp = await self._stub.ListUnits(pb.ListUnitsRequest())
            self._units = {u.id for u in resp.units}
            self._fetched_at = time.monotonic()

    async def known(self, unit_id: int) -> set[int]:
        """The known unit ids, fresh enough to judge ``unit_id``."""
        now = time.monotonic()
        await self._refresh(unless_fetched_after=now - self._ttl)
        if unit_id not in self._units:
            await self._refresh(unless_fetched_after=now)
        return self._units

    async def client_group_of(self, user_id: int) -> int | None:
        """The client group of a client (asked of identity when staff file about a client)."""
        resp = await self._stub.GetUsers(pb.GetUsersRequest(ids=[user_id]))
        for user in resp.users:
            if user.id == user_id:
                return user.client_group_id or None
        return None
