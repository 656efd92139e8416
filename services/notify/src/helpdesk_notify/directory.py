"""The rules' Directory, answered by identity over gRPC."""

from __future__ import annotations

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


class IdentityDirectory:
    def __init__(self, stub: pb_grpc.IdentityAsyncStub) -> None:
        self._stub = stub

    async def unit_members(self, unit_id: int) -> list[Person]:
        resp = await self._stub.ListUnitMembers(pb.ListUnitMembersRequest(unit_id=unit_id))
        return [_person(u) for u in resp.users]

    async def unit_heads(self, unit_ids: list[int]) -> list[Person]:
        resp = await self._stub.ListUnitHeads(pb.ListUnitHeadsRequest(unit_ids=unit_ids))
        return [_person(u) for u in resp.users if u.is_active]

    async def people(self, ids: list[int]) -> list[Person]:
        resp = await self._stub.GetUsers(pb.GetUsersRequest(ids=ids))
        return [_person(u) for u in resp.users if u.is_active]

    async def client_group_members(self, client_group_id: int) -> list[Person]:
        resp = await self._stub.ListClientGroupMembers(
            pb.ListClientGroupMembersRequest(client_group_id=client_group_id)
        )
        return [_person(u) for u in resp.users if u.is_active]

    async def staff(self, *, actor_id: int) -> list[Person]:
        """Every active staff member, page by page (identity answers for the admin who asks)."""
        found: list[Person] = []
        after = 0
        while True:
            resp = await self._stub.ListUsers(
                pb.ListUsersRequest(actor_id=actor_id, kind=pb.USER_KIND_STAFF, after_id=after, limit=200)
            )
            found += [_person(u) for u in resp.users if u.is_active]
            if not resp.next_after_id:
                return found
            after = resp.next_after_id
