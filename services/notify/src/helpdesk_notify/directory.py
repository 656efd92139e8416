"""The rules' Directory, answered by identity over gRPC.

Every ticket event asks who the unit's members and heads are; those answers are kept
``ttl`` seconds (default 5), so a burst of tickets for one unit asks identity once.
The price: a member added to (or removed from) a unit, or a user disabled, is seen
by notify up to ``ttl`` seconds late.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from google.protobuf.timestamp_pb2 import Timestamp
from helpdesk.identity.v1 import identity_pb2 as pb
from helpdesk.identity.v1 import identity_pb2_grpc as pb_grpc

from helpdesk_notify.rules import Person

_ROLE = {
    pb.ROLE_DEPARTMENT_HEAD: "department_head",
    pb.ROLE_UNIT_HEAD: "unit_head",
    pb.ROLE_UNIT_MEMBER: "unit_member",
}


def _person(u: pb.User) -> Person:
    return Person(
        id=u.id,
        role=_ROLE.get(u.role),
        unit_ids=frozenset(u.unit_ids),
        email=u.email,
        language=u.language,
        pushbullet=u.pushbullet,
        full_name=u.full_name,
        client_group_id=u.client_group_id or None,
    )


_MAX_ENTRIES = 10_000


class IdentityDirectory:
    def __init__(self, stub: pb_grpc.IdentityAsyncStub, ttl: float = 5.0) -> None:
        self._stub = stub
        self._ttl = ttl
        self._kept: dict[tuple[object, ...], tuple[float, list[Person]]] = {}

    async def _cached(
        self, key: tuple[object, ...], ask: Callable[[], Awaitable[list[Person]]]
    ) -> list[Person]:
        """The kept answer or identity's; always a copy, which the caller may change."""
        now = time.monotonic()
        hit = self._kept.get(key)
        if hit is not None and hit[0] > now:
            return list(hit[1])
        value = await ask()
        if self._ttl > 0:
            if len(self._kept) >= _MAX_ENTRIES:
                self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
            if len(self._kept) < _MAX_ENTRIES:
                self._kept[key] = (now + self._ttl, value)
        return list(value)

    async def unit_members(self, unit_id: int) -> list[Person]:
        async def ask() -> list[Person]:
            resp = await self._stub.ListUnitMembers(pb.ListUnitMembersRequest(unit_id=unit_id))
            return [_person(u) for u in resp.users]

        return await self._cached(("members", unit_id), ask)

    async def unit_heads(self, unit_ids: list[int]) -> list[Person]:
        async def ask() -> list[Person]:
            resp = await self._stub.ListUnitHeads(pb.ListUnitHeadsRequest(unit_ids=unit_ids))
            return [_person(u) for u in resp.users if u.is_active]

        return await self._cached(("heads", *sorted(unit_ids)), ask)

    async def people(self, ids: list[int]) -> list[Person]:
        async def ask() -> list[Person]:
            resp = await self._stub.GetUsers(pb.GetUsersRequest(ids=ids))
            return [_person(u) for u in resp.users if u.is_active]

        return await self._cached(("people", *sorted(ids)), ask)

    async def client_group_members(self, client_group_id: int) -> list[Person]:
        async def ask() -> list[Person]:
            resp = await self._stub.ListClientGroupMembers(
                pb.ListClientGroupMembersRequest(client_group_id=client_group_id)
            )
            return [_person(u) for u in resp.users if u.is_active]

        return await self._cached(("group", client_group_id), ask)

    async def user_record(self, user_id: int) -> pb.User | None:
        """The user as identity holds him now, uncached (a webhook's ``user.*`` event)."""
        resp = await self._stub.GetUsers(pb.GetUsersRequest(ids=[user_id]))
        return next((u for u in resp.users if u.id == user_id), None)

    async def issue_link(self, *, purpose: str, user_id: int, requested_at: Timestamp) -> str:
        """The one-time link identity makes now for a registration or reset ("" = not due)."""
        resp = await self._stub.IssueOneTimeLink(
            pb.IssueOneTimeLinkRequest(purpose=purpose, user_id=user_id, requested_at=requested_at)
        )
        return str(resp.url)

    async def staff(self) -> list[Person]:
        """Every active staff member, page by page (notify asks on its own behalf)."""
        found: list[Person] = []
        after = 0
        while True:
            resp = await self._stub.ListUsers(
                pb.ListUsersRequest(kind=pb.USER_KIND_STAFF, after_id=after, limit=200)
            )
            found += [_person(u) for u in resp.users if u.is_active]
            if not resp.next_after_id:
                return found
            after = resp.next_after_id
