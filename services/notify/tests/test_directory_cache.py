"""notify keeps identity's answers about units a few seconds: a burst asks once."""

from __future__ import annotations

import asyncio
from typing import Any

from helpdesk.identity.v1 import identity_pb2 as pb

from helpdesk_notify.directory import IdentityDirectory


class CountingIdentity:
    """Answers like identity's stub and counts what it is asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.members = {7: [pb.User(id=1, full_name="Anna", unit_ids=[7], is_active=True)]}

    async def ListUnitMembers(self, request: pb.ListUnitMembersRequest) -> Any:
        self.asked.append(f"members {request.unit_id}")
        return pb.ListUnitMembersResponse(users=self.members.get(request.unit_id, []))

    async def ListUnitHeads(self, request: pb.ListUnitHeadsRequest) -> Any:
        self.asked.append(f"heads {sorted(request.unit_ids)}")
        return pb.ListUnitHeadsResponse(users=[])


async def test_unit_members_are_asked_once_per_ttl_and_again_after_it() -> None:
    identity = CountingIdentity()
    directory = IdentityDirectory(identity, ttl=0.3)  # type: ignore[arg-type]
    first = await directory.unit_members(7)
    first.clear()  # a caller changing its copy changes nothing for the next one
    assert [p.full_name for p in await directory.unit_members(7)] == ["Anna"]
    await directory.unit_heads([8, 7])
    await directory.unit_heads([7, 8])
    assert identity.asked == ["members 7", "heads [7, 8]"]

    identity.members[7].append(pb.User(id=2, full_name="Boris", unit_ids=[7], is_active=True))
    await asyncio.sleep(0.35)
    assert [p.full_name for p in await directory.unit_members(7)] == ["Anna", "Boris"]
    assert identity.asked.count("members 7") == 2


async def test_with_no_ttl_every_question_goes_to_identity() -> None:
    identity = CountingIdentity()
    directory = IdentityDirectory(identity, ttl=0)  # type: ignore[arg-type]
    await directory.unit_members(7)
    await directory.unit_members(7)
    assert identity.asked == ["members 7", "members 7"]
