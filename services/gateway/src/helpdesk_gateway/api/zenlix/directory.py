"""ZENLIX's directory modes: ``get_user_info``, ``get_unit_info``, ``get_unit_list``,
``get_subj_list``, ``get_posada_list``, ``get_users_list``, ``get_user_by_dep``.

The same gRPC calls as ``/api/v1/users``, ``/units``, ``/subjects``, ``/positions``, so
the same rules: staff read the directory, a client reads only himself; a user the
caller may not see answers exactly like an unknown one.
"""

from __future__ import annotations

from typing import Any

from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_gateway.api.zenlix import present
from helpdesk_gateway.api.zenlix.context import Ctx
from helpdesk_gateway.api.zenlix.envelope import answer
from helpdesk_kit.errors import Forbidden

USERS_FOUND_MAX = 10  # as ZENLIX's search

# What ZENLIX answered for a user hash it did not know: every field null.
_UNKNOWN_USER: dict[str, Any] = {
    "fio": None,
    "user_login": None,
    "status": None,
    "priv": None,
    "unit": None,
    "is_client": None,
    "email": None,
    "lang": None,
    "last_time": None,
    "usr_img": present.AVATAR,
    "posada": None,
    "tel": None,
    "skype": None,
    "unit_desc": None,
    "adr": None,
    "def_unit_id": 0,
    "def_user_id": 0,
}


def _is_client(u: id_pb.User) -> bool:
    return u.kind == id_pb.USER_KIND_CLIENT


def _summary(u: id_pb.User, status_key: str) -> dict[str, Any]:
    """A user in ZENLIX's lists (``status_key``: ``status_user`` in the search, ``status``
    in a unit's list, as ZENLIX named them)."""
    return {
        "uniq_id": u.public_hash,
        "fio": u.full_name,
        status_key: "1" if u.is_active else "0",
        "priv": "1" if _is_client(u) else present.PRIV.get(u.role, "1"),
        "unit": ",".join(str(i) for i in u.unit_ids),
        "is_client": "1" if _is_client(u) else "0",
        "email": u.email,
    }


async def user_info(ctx: Ctx) -> list[dict[str, Any]]:
    await ctx.sign_in()
    wanted = ctx.fields.text("user_hash").strip()
    u = (await ctx.by_hashes([wanted])).get(wanted)
    if u is None:
        return answer({"info": [dict(_UNKNOWN_USER)]})
    position = ""
    if u.position_id:
        positions = await ctx.rpc.identity.ListPositions(id_pb.ListPositionsRequest())
        position = next((p.name for p in positions.positions if p.id == u.position_id), "")
    info = {
        **_summary(u, "status"),
        "user_login": u.login,
        "lang": u.language,
        "last_time": None,  # we keep no "last seen"
        "usr_img": present.AVATAR,
        "posada": position,
        "tel": u.phone,
        "skype": "",
        "unit_desc": str(u.client_group_id) if _is_client(u) and u.client_group_id else "",
        "adr": "",
        "def_unit_id": 0,
        "def_user_id": 0,
    }
    # ZENLIX's keys, in its order (no public hash: the caller named the user by it).
    return answer({"info": [{k: info[k] for k in _UNKNOWN_USER}]})


async def _units(ctx: Ctx) -> list[id_pb.Unit]:
    return list((await ctx.rpc.identity.ListUnits(id_pb.ListUnitsRequest())).units)


async def unit_info(ctx: Ctx) -> list[dict[str, Any]]:
    await ctx.sign_in()
    code = ctx.fields.text("unit_code").strip()
    unit = next((u for u in await _units(ctx) if str(u.id) == code), None)
    return answer({"info": [{"id": str(unit.id) if unit else None, "name": unit.name if unit else None}]})


async def unit_list(ctx: Ctx) -> list[dict[str, Any]]:
    await ctx.sign_in()
    return answer({"list": [{"id": str(u.id), "name": u.name} for u in await _units(ctx)]})


async def subject_list(ctx: Ctx) -> list[dict[str, Any]]:
    """Our subjects: ZENLIX listed its SLA plans here when its SLA system was on; ours
    name their plan themselves, so one list serves both (create_ticket takes these ids)."""
    await ctx.sign_in()
    resp = await ctx.rpc.tickets.ListSubjects(t_pb.ListSubjectsRequest())
    return answer({"list": [{"id": str(s.id), "name": s.name} for s in resp.subjects]})


async def position_list(ctx: Ctx) -> list[dict[str, Any]]:
    await ctx.sign_in()
    resp = await ctx.rpc.identity.ListPositions(id_pb.ListPositionsRequest())
    return answer({"list": [{"id": str(p.id), "name": p.name} for p in resp.positions]})


async def users_list(ctx: Ctx) -> list[dict[str, Any]]:
    """The directory search, for staff only (ZENLIX let any key list users and e-mails)."""
    caller = await ctx.sign_in()
    if caller.is_client:
        return answer({"users": []})
    query = ctx.fields.text("find_param").strip()[:200]
    resp = await ctx.rpc.identity.ListUsers(id_pb.ListUsersRequest(q=query, limit=USERS_FOUND_MAX))
    return answer({"users": [_summary(u, "status_user") for u in resp.users[:USERS_FOUND_MAX]]})


async def unit_users(ctx: Ctx) -> list[dict[str, Any]]:
    """A unit's active staff, for staff only (clients get an empty list)."""
    await ctx.sign_in()
    code = ctx.fields.text("dep_code").strip()
    if not (code.isascii() and code.isdigit() and 0 < int(code) < 2**63):
        return answer({"users": []})  # ZENLIX found nobody in a unit that cannot exist
    try:
        resp = await ctx.rpc.identity.ListUnitMembers(id_pb.ListUnitMembersRequest(unit_id=int(code)))
    except Forbidden:
        return answer({"users": []})
    return answer({"users": [_summary(u, "status") for u in resp.users]})
