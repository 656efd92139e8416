"""Full names for the people a tickets response mentions.

Pages then need no extra requests (clients may not list users). Names are kept a
minute per gateway, so the hot paths (create, take, lists) rarely ask identity; the
ones not known are fetched in one batched call. Names are a courtesy: when identity
does not answer, the response goes out without them rather than failing.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from helpdesk.identity.v1 import identity_pb2 as id_pb

from helpdesk_gateway.api.shapes import clients
from helpdesk_kit.errors import AppError


async def names(request: Request, ids: Iterable[int]) -> dict[str, str]:
    """``{"<user id>": "Full name"}`` for the given ids (0 and unknown ids left out)."""
    known = clients(request).names
    found: dict[str, str] = {}
    missing = []
    for user_id in sorted({i for i in ids if i}):
        name = known.get(str(user_id))
        if name is None:
            missing.append(user_id)
        else:
            found[str(user_id)] = name
    if missing:
        try:
            resp = await clients(request).identity.GetUsers(id_pb.GetUsersRequest(ids=missing))
        except AppError:
            return found
        for u in resp.users:
            found[str(u.id)] = u.full_name or u.login
            known.put(str(u.id), found[str(u.id)])
    return found


def subset(all_names: dict[str, str], ids: Iterable[int]) -> dict[str, str]:
    return {str(i): all_names[str(i)] for i in ids if str(i) in all_names}
