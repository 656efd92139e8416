"""ZENLIX's changing modes: ``ticket_lock``, ``ticket_unlock``, ``ticket_ok``,
``ticket_no_ok``, ``add_ticket_comment``, ``refer_ticket``, ``create_ticket``.

The same gRPC calls as ``POST /api/v1/tickets/{id}/lock`` (…``/unlock``, ``/complete``,
``/reopen``), ``…/comments``, ``…/forward`` and ``POST /api/v1/tickets``: tickets apply
every rule (who may, in which state, which fields), with history and events as for
any other change. This module only turns ZENLIX's fields into those calls and the
answers back into ZENLIX's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_gateway.api.zenlix import present
from helpdesk_gateway.api.zenlix.context import Ctx
from helpdesk_gateway.api.zenlix.envelope import BAD_DATA, NO_PRIV, Refused, answer
from helpdesk_gateway.api.zenlix.ticket_reads import ticket_by_ref
from helpdesk_kit.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed

# What a refused transition of a ticket ZENLIX does not know answers besides the error.
NO_TICKET: dict[str, Any] = {"status_ticket": None, "lock_by_fio": None, "ok_by_fio": None, "access_priv": ""}
MAX_IDEMPOTENCY_KEY = 200

Mode = Callable[[Ctx], Awaitable[list[dict[str, Any]]]]


def status_first(fields: dict[str, Any], error: str | None) -> list[dict[str, Any]]:
    """A transition's envelope: ZENLIX put ``status`` and ``error_description`` first."""
    return [{"status": "error" if error else "ok", "error_description": error, **fields}]


async def _transition_fields(ctx: Ctx, before: t_pb.Ticket, after: t_pb.Ticket) -> dict[str, Any]:
    """The state *before* the action, who held or finished the ticket then (ZENLIX read
    them from the same row), and the actions open to the caller *after* it."""
    me = ctx.caller.user_id
    st = present.state(before, me)
    people = await ctx.people([before.locked_by, before.done_by])
    locker, finisher = people.get(before.locked_by), people.get(before.done_by)
    return {
        "status_ticket": st,
        "lock_by_fio": present.short_name(locker.full_name) if locker and st.startswith("lock") else None,
        "ok_by_fio": present.short_name(finisher.full_name) if finisher and st.startswith("ok") else None,
        "access_priv": present.access_priv(after, is_client=ctx.caller.is_client),
    }


def transition(action: str) -> Mode:
    """ZENLIX's ``ticket_lock`` / ``_unlock`` / ``_ok`` / ``_no_ok`` as our ``action``."""

    async def run(ctx: Ctx) -> list[dict[str, Any]]:
        await ctx.sign_in()
        before = await ticket_by_ref(ctx)
        if before is None:
            raise Refused("No such ticket.", description=NO_PRIV, payload=NO_TICKET)
        if action not in before.allowed_actions:
            return status_first(await _transition_fields(ctx, before, before), NO_PRIV)
        try:
            after = await ctx.rpc.tickets.Transition(
                t_pb.TransitionRequest(ticket_id=before.id, action=action)
            )
        except (Conflict, PreconditionFailed):
            # Someone changed it in between: ZENLIX then did nothing and still said "ok".
            after = await ctx.rpc.tickets.GetTicket(t_pb.GetTicketRequest(ticket_id=before.id))
        except (Forbidden, NotFound):
            return status_first(await _transition_fields(ctx, before, before), NO_PRIV)
        return status_first(await _transition_fields(ctx, before, after), None)

    return run


async def add_comment(ctx: Ctx) -> list[dict[str, Any]]:
    await ctx.sign_in()
    await ctx.count("POST", "/api/v1/tickets/{ticket_id}/comments")
    t = await ticket_by_ref(ctx)
    if t is None:
        raise Refused("No such ticket.", description=BAD_DATA)
    try:
        await ctx.rpc.tickets.AddComment(t_pb.AddCommentRequest(ticket_id=t.id, body=ctx.fields.text("msg")))
    except InvalidInput as exc:
        raise Refused(exc.detail, description=BAD_DATA) from exc
    except (Conflict, Forbidden, NotFound) as exc:  # archived, or no longer visible
        raise Refused(exc.detail, description=NO_PRIV) from exc
    return answer({})


async def _assignees(ctx: Ctx, raw: str) -> list[int]:
    """ZENLIX's ``user_to_id``: "0" (or nothing) = the whole unit, else public hashes
    comma-separated, each naming someone the caller sees (``BAD_DATA`` otherwise)."""
    hashes = [h.strip() for h in raw.split(",") if h.strip()]
    if hashes in ([], ["0"]):
        return []
    found = await ctx.by_hashes(hashes)
    if len(set(hashes)) != len(hashes) or any(h not in found for h in hashes):
        raise Refused("An assignee is unknown.", description=BAD_DATA)
    return [found[h].id for h in hashes]


async def refer(ctx: Ctx) -> list[dict[str, Any]]:
    await ctx.sign_in()
    t = await ticket_by_ref(ctx)
    if t is None or "forward" not in t.allowed_actions:
        raise Refused("Not yours to forward.", description=NO_PRIV)
    unit_id = ctx.fields.number("unit_id")
    assignees = await _assignees(ctx, ctx.fields.text("user_to_id"))
    try:
        await ctx.rpc.tickets.ForwardTicket(
            t_pb.ForwardTicketRequest(
                ticket_id=t.id, unit_id=unit_id, assignee_ids=assignees, note=ctx.fields.text("msg")
            )
        )
    except InvalidInput as exc:
        raise Refused(exc.detail, description=BAD_DATA) from exc
    except (Conflict, Forbidden, NotFound, PreconditionFailed) as exc:
        raise Refused(exc.detail, description=NO_PRIV) from exc
    return answer({})


def _subject(raw: str) -> tuple[str, int]:
    """ZENLIX's ``subj`` is a subject's id; other text is a free-text subject (tickets
    refuse it when the installation allows only listed subjects)."""
    text = raw.strip()
    if text.isascii() and text.isdigit() and 0 < int(text) < 2**63:
        return "", int(text)
    return text, 0


async def create(ctx: Ctx) -> list[dict[str, Any]]:
    await ctx.sign_in()
    await ctx.count("POST", "/api/v1/tickets")
    unit_id = ctx.fields.number("unit_id")
    client_hash = ctx.fields.text("client_id").strip()
    client = (await ctx.by_hashes([client_hash])).get(client_hash)
    if client is None:
        raise Refused("No such client.", description=BAD_DATA)
    assignees = await _assignees(ctx, ctx.fields.text("user_to_id"))
    subject, subject_id = _subject(ctx.fields.text("subj"))
    key = ctx.request.headers.get("idempotency-key", "")
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise Refused("Idempotency-Key too long.", description=BAD_DATA)
    try:
        t = await ctx.rpc.tickets.CreateTicket(
            t_pb.CreateTicketRequest(
                subject=subject,
                subject_id=subject_id,
                body=ctx.fields.text("msg"),
                # ZENLIX took anything but 0, 1 or 2 as normal.
                priority=present.PRIO_IN.get(ctx.fields.text("prio").strip(), t_pb.PRIORITY_NORMAL),
                unit_id=unit_id,
                assignee_ids=assignees,
                client_id=client.id,
                idempotency_key=key,
                source="api",
            )
        )
    except InvalidInput as exc:
        raise Refused(exc.detail, description=BAD_DATA) from exc
    except (Forbidden, Conflict) as exc:
        raise Refused(exc.detail, description=NO_PRIV) from exc
    return answer({"ticket_hash": t.ref, "ticket_id": t.number})
