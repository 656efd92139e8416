"""What the portal asks identity, on its own behalf: people's names, and whether they are staff.

The portal shows an author's full name to readers who may not ask identity themselves
(anonymous visitors), so it copies the name when he writes (``store.people_table``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from helpdesk.identity.v1 import identity_pb2 as pb
from helpdesk.identity.v1 import identity_pb2_grpc as pb_grpc


@dataclass(frozen=True)
class Person:
    id: int
    full_name: str
    is_staff: bool
    is_active: bool


class Directory(Protocol):
    async def people(self, ids: list[int]) -> dict[int, Person]: ...


class IdentityDirectory:
    def __init__(self, stub: pb_grpc.IdentityAsyncStub) -> None:
        self._stub = stub

    async def people(self, ids: list[int]) -> dict[int, Person]:
        if not ids:
            return {}
        resp = await self._stub.GetUsers(pb.GetUsersRequest(ids=ids))
        return {
            u.id: Person(u.id, u.full_name, u.kind == pb.USER_KIND_STAFF, u.is_active) for u in resp.users
        }
