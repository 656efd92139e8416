"""ZENLIX's reading modes: ``ticket_list``, ``ticket_view``, ``get_ticket_comments``.

The same gRPC calls as ``GET /api/v1/tickets``, ``…/{id}`` and ``…/{id}/comments``, with
tickets named by their ``ref`` (ZENLIX's hash for imported ones); a ticket the caller
may not see answers exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_gateway.api.zenlix import present
from helpdesk_gateway.api.zenlix.context import Ctx
from helpdesk_gateway.api.zenlix.envelope import INPUT_NOT_ALL, Refused, answer
from helpdesk_kit.errors import NotFound

# ZENLIX's list types → our boxes. ZENLIX's "client" (tickets a user filed about himself)
# has no box of its own: for staff it is the outbox; clients always get their own list.
BOXES = {"in": "inbox", "out": "outbox", "arch": "archive", "client": "outbox"}
LIST_MAX = 500  # ZENLIX listed every row; ours stop here and say "more": true
PAGE = 200


async def ticket_by_ref(ctx: Ctx) -> t_pb.Ticket | None:
    """The ticket ``ticket_hash`` names, if the caller sees it (None: unknown or invisible)."""
    ref = ctx.fields.text("ticket_hash").strip()
    if not ref:
        return None
    try:
        return await ctx.rpc.tickets.GetTicketByRef(t_pb.GetTicketByRefRequest(ref=ref))
    except NotFound:
        return None


def _people_of(t: t_pb.Ticket) -> list[int]:
    return [t.author_id, t.client_id, t.locked_by, t.done_by, *t.assignee_ids]


class _Names:
    """Short names and public hashes of the people a ticket mentions."""

    def __init__(self, people: dict[int, id_pb.User]) -> None:
        self._people = people

    def hash(self, user_id: int) -> str | None:
        u = self._people.get(user_id)
        return u.public_hash if u else None

    def short(self, user_id: int) -> str:
        u = self._people.get(user_id)
        return present.short_name(u.full_name) if u else ""

    def hashes(self, ids: list[int]) -> str | None:
        return present.csv([h for i in ids if (h := self.hash(i))])

    def shorts(self, ids: list[int]) -> str:
        return ", ".join(self.short(i) for i in ids if i in self._people)


def _list_item(t: t_pb.Ticket, me: int, is_client: bool, names: _Names, zone: ZoneInfo) -> dict[str, Any]:
    st = present.state(t, me)
    return {
        "id_ticket": str(t.number),
        "ticket_hash": t.ref,
        "subj": present.cut(t.subject),
        "text": present.cut(t.body),
        "date_created": present.date(t.created_at, zone),
        "status": st,
        "prio": present.PRIO_TEXT.get(t.priority, "1"),
        "lock_by_other_fio": names.short(t.locked_by) if st == "lock_by_other" else "0",
        "ok_by_fio": names.short(t.done_by) if st == "ok_by_other" else "0",
        "user_init_hash": names.hash(t.author_id),
        "client_hash": names.hash(t.client_id),
        "to_user_hash": names.hashes(list(t.assignee_ids)),
        "user_init_fio": names.short(t.author_id),
        "client_fio": names.short(t.client_id),
        "to_user_fio": names.shorts(list(t.assignee_ids)),
        "to_unit_id": str(t.unit_id),
        "access_priv": present.access_priv(t, is_client=is_client),
    }


async def ticket_list(ctx: Ctx) -> list[dict[str, Any]]:
    caller = await ctx.sign_in()
    # As in ZENLIX, a client always gets his own tickets, whatever type he asks for.
    box = "inbox" if caller.is_client else BOXES.get(ctx.fields.text("type").strip())
    if box is None:
        raise Refused("Unknown list type.", description=INPUT_NOT_ALL)
    tickets: list[t_pb.Ticket] = []
    cursor, more = "", False
    while True:
        resp = await ctx.rpc.tickets.ListTickets(
            t_pb.ListTicketsRequest(
                box=box, sort="-id", limit=min(PAGE, LIST_MAX - len(tickets)), cursor=cursor
            )
        )
        tickets.extend(resp.tickets)
        cursor = resp.next_cursor
        if not cursor or len(tickets) >= LIST_MAX:
            more = bool(cursor)
            break
    names = _Names(await ctx.people(i for t in tickets for i in _people_of(t)))
    zone = await ctx.zone()
    items = [_list_item(t, caller.user_id, caller.is_client, names, zone) for t in tickets]
    payload: dict[str, Any] = {"tickets": items}
    if more:
        payload["more"] = True
    return answer(payload)


async def ticket_view(ctx: Ctx) -> list[dict[str, Any]]:
    caller = await ctx.sign_in()
    t = await ticket_by_ref(ctx)
    if t is None:
        return answer({}, status=None)  # ZENLIX's answer for a hash it does not know
    names = _Names(await ctx.people(_people_of(t)))
    zone = await ctx.zone()
    if t.assignee_ids:
        to_fio = names.shorts(list(t.assignee_ids))
    else:
        units = await ctx.rpc.identity.ListUnits(id_pb.ListUnitsRequest())
        to_fio = next((u.name for u in units.units if u.id == t.unit_id), "")
    st = present.state(t, caller.user_id)
    item = {
        "id_ticket": str(t.number),
        "ticket_hash": t.ref,
        "subj": t.subject,
        "text": t.body,
        "date_created": present.date(t.created_at, zone),
        "user_init_id": names.hash(t.author_id),
        "client_id": names.hash(t.client_id),
        "user_init_fio": names.short(t.author_id),
        "client_fio": names.short(t.client_id),
        "unit_id": str(t.unit_id),
        "user_to_id": names.hashes(list(t.assignee_ids)),
        "user_to_fio": to_fio,
        "status": st,
        "lock_by": names.hash(t.locked_by),
        "ok_by": names.hash(t.done_by),
        "can_refer": "true" if "forward" in t.allowed_actions else "false",
        "lock_by_fio": names.short(t.locked_by),
        "ok_by_fio": names.short(t.done_by),
        "access_priv": present.access_priv(t, is_client=caller.is_client),
        "prio": present.PRIO_TEXT.get(t.priority, "1"),
        "ok_date": present.date(t.done_at, zone),
        "deadline_time": present.date(t.deadline, zone),
    }
    return answer({"ticket": [item]})


async def ticket_comments(ctx: Ctx) -> list[dict[str, Any]]:
    await ctx.sign_in()
    t = await ticket_by_ref(ctx)
    if t is None:
        return answer({"comments": [], "ticket_code": None})  # as ZENLIX for an unknown hash
    resp = await ctx.rpc.tickets.ListComments(t_pb.TicketRequest(ticket_id=t.id))
    people = await ctx.people(c.author_id for c in resp.comments)
    zone = await ctx.zone()
    comments = [
        {
            "author": people[c.author_id].public_hash if c.author_id in people else None,
            "text": c.body,
            "dt": present.date(c.created_at, zone),
            "usr_img": present.AVATAR,
            "usr_fio": people[c.author_id].full_name if c.author_id in people else None,
        }
        for c in resp.comments
    ]
    return answer({"comments": comments, "ticket_code": str(t.number)})
