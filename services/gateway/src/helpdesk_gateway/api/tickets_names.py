"""Full names for the people a tickets response mentions: one batched identity call.

Pages then need no extra requests (clients may not list users). Names are a courtesy:
when identity does not answer, the response goes out without them rather than failing.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from helpdesk.identity.v1 import identity_pb2 as id_pb

from helpdesk_gateway.api.shapes import clients
from helpdesk_kit.errors import AppError


async def names(request: Request, ids: Iterable[int]) -> dict[str, str]:
    """``{"<user id>": "Full name"}`` for the given ids (0 and unknown ids left out)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    try:
        resp = await clients(request).identity.GetUsers(id_pb.GetUsersRequest(ids=wanted))
    except AppError:
        return {}
    return {str(u.id): u.full_name or u.login for u in resp.users}


def subset(all_names: dict[str, str], ids: Iterable[int]) -> dict[str, str]:
    return {str(i): all_names[str(i)] for i in ids if str(i) in all_names}
