"""The events notify consumes: facts from tickets, sla, identity and portal → recipients → dispatch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from google.protobuf.message import Message
from helpdesk.identity.v1 import events_pb2 as identity_events
from helpdesk.portal.v1 import events_pb2 as portal_events
from helpdesk.sla.v1 import events_pb2 as sla_events
from helpdesk.tickets.v1 import events_pb2 as tickets_events
from helpdesk.tickets.v1 import tickets_pb2

from helpdesk_kit.db import UnitOfWork
from helpdesk_kit.inbox import Event, Route
from helpdesk_kit.timestamps import to_rfc3339
from helpdesk_notify import rules, usecases
from helpdesk_notify.rules import Directory, Person
from helpdesk_notify.templates import Notice
from helpdesk_notify.webhooks import usecases as webhooks

DEFAULT_PUBLIC_URL = "http://localhost:8080"


def _notice(name: str, ticket: tickets_pb2.Ticket, detail: str = "") -> Notice:
    return Notice(
        name, ticket_id=ticket.id, number=ticket.number, ticket_subject=ticket.subject, detail=detail
    )


Send = Callable[[UnitOfWork, Event[Any], Notice, set[int]], Awaitable[None]]


def _sender(
    directory: Directory, public_url: str, known: Callable[[Any], dict[int, Person]] | None = None
) -> Send:
    """The handlers' last step: the notice to its recipients, as this event (``known``: people
    the event itself describes, not to be looked up)."""

    async def send(uow: UnitOfWork, event: Event[Any], notice: Notice, recipients: set[int]) -> None:
        await usecases.dispatch(
            uow=uow,
            directory=directory,
            event_id=event.id,
            notice=notice,
            recipients=recipients,
            public_url=public_url,
            known=known(event.message) if known else None,
        )

    return send


def routes(directory: Directory, public_url: str = DEFAULT_PUBLIC_URL) -> list[Route]:
    """The ``notify-tickets`` consumer: every ticket event of the recipient table
    (docs/product/notifications.md § Who is told)."""
    send = _sender(directory, public_url)

    async def on_created(uow: UnitOfWork, event: Event[Any]) -> None:
        m: tickets_events.TicketCreated = event.message
        who = await rules.ticket_created(
            directory, actor_id=m.actor_id, unit_id=m.ticket.unit_id, assignee_ids=list(m.ticket.assignee_ids)
        )
        await send(uow, event, _notice("ticket.created", m.ticket), who)

    async def on_forwarded(uow: UnitOfWork, event: Event[Any]) -> None:
        m: tickets_events.TicketForwarded = event.message
        who = await rules.ticket_forwarded(
            directory, actor_id=m.actor_id, unit_id=m.ticket.unit_id, assignee_ids=list(m.ticket.assignee_ids)
        )
        await send(uow, event, _notice("ticket.forwarded", m.ticket, m.note), who)

    def handled(name: str) -> Callable[[UnitOfWork, Event[Any]], Awaitable[None]]:
        async def on_handled(uow: UnitOfWork, event: Event[Any]) -> None:
            m = event.message
            who = await rules.ticket_handled(
                directory,
                actor_id=m.actor_id,
                actor_unit_ids=list(m.actor_unit_ids),
                author_id=m.ticket.author_id,
            )
            await send(uow, event, _notice(name, m.ticket), who)

        return on_handled

    async def on_commented(uow: UnitOfWork, event: Event[Any]) -> None:
        m: tickets_events.TicketCommented = event.message
        who = await rules.ticket_commented(
            directory,
            actor_id=m.actor_id,
            actor_unit_ids=list(m.actor_unit_ids),
            author_id=m.ticket.author_id,
            previous_commenter_ids=list(m.previous_commenter_ids),
            locked_by=m.ticket.locked_by,
            unit_id=m.ticket.unit_id,
            assignee_ids=list(m.ticket.assignee_ids),
        )
        if m.internal:
            who = await rules.staff_only(directory, who)
        await send(uow, event, _notice("ticket.commented", m.ticket, m.comment_body), who)

    async def on_reopened(uow: UnitOfWork, event: Event[Any]) -> None:
        m: tickets_events.TicketReopened = event.message
        who = await rules.ticket_reopened(
            directory,
            actor_id=m.actor_id,
            actor_unit_ids=list(m.actor_unit_ids),
            author_id=m.ticket.author_id,
            locked_by=m.ticket.locked_by,
        )
        await send(uow, event, _notice("ticket.reopened", m.ticket), who)

    return [
        Route(tickets_events.TicketCreated, on_created),
        Route(tickets_events.TicketForwarded, on_forwarded),
        Route(tickets_events.TicketTaken, handled("ticket.taken")),
        Route(tickets_events.TicketReleased, handled("ticket.released")),
        Route(tickets_events.TicketCompleted, handled("ticket.completed")),
        Route(tickets_events.TicketReopened, on_reopened),
        Route(tickets_events.TicketCommented, on_commented),
    ]


def sla_routes(directory: Directory, public_url: str = DEFAULT_PUBLIC_URL) -> list[Route]:
    """The ``notify-sla`` consumer: SLA warning and breach."""

    send = _sender(directory, public_url)

    def alert(name: str) -> Callable[[UnitOfWork, Event[Any]], Awaitable[None]]:
        async def on_alert(uow: UnitOfWork, event: Event[Any]) -> None:
            m = event.message
            who = await rules.sla_alert(directory, unit_id=m.unit_id, assignee_ids=list(m.assignee_ids))
            due = to_rfc3339(m.due_at) or ""
            await send(uow, event, Notice(name, ticket_id=m.ticket_id, detail=due), who)

        return on_alert

    return [
        Route(sla_events.SlaWarning, alert("sla.warning")),
        Route(sla_events.SlaBreached, alert("sla.breached")),
    ]


class LinkIssuer(Protocol):
    """identity's IssueOneTimeLink: the link a registration or a reset request made due,
    made now ("" when it is no longer due)."""

    async def issue_link(self, *, purpose: str, user_id: int, requested_at: Any) -> str: ...


def identity_routes(
    directory: Directory, links: LinkIssuer, public_url: str = DEFAULT_PUBLIC_URL
) -> list[Route]:
    """The ``notify-identity`` consumer: the registration and password-recovery mails.

    The events carry no link (links never travel in events): identity makes it when
    notify asks, as it mails it."""

    def account(m: Any) -> dict[int, Person]:
        """The account the event names, at the address it carries (he may not be active yet)."""
        return {m.user_id: Person(m.user_id, None, frozenset(), email=m.email, language=m.language)}

    send = _sender(directory, public_url, known=account)

    async def link_notice(name: str, purpose: str, m: Any) -> Notice | None:
        url = await links.issue_link(purpose=purpose, user_id=m.user_id, requested_at=m.occurred_at)
        return Notice(name, link=url) if url else None

    async def on_registered(uow: UnitOfWork, event: Event[Any]) -> None:
        m: identity_events.UserRegistered = event.message
        notice = await link_notice("account.registered", "confirm", m)
        if notice is not None:
            await send(uow, event, notice, rules.registration(user_id=m.user_id))

    async def on_reset(uow: UnitOfWork, event: Event[Any]) -> None:
        m: identity_events.PasswordResetRequested = event.message
        notice = await link_notice("account.password_reset", "reset", m)
        if notice is not None:
            await send(uow, event, notice, rules.password_recovery(user_id=m.user_id))

    return [
        Route(identity_events.UserRegistered, on_registered),
        Route(identity_events.PasswordResetRequested, on_reset),
    ]


def portal_routes(directory: Directory, public_url: str = DEFAULT_PUBLIC_URL) -> list[Route]:
    """The ``notify-portal`` consumer: new posts, comments, status changes and official answers."""
    send = _sender(directory, public_url)

    def notice(name: str, post: portal_events.PostFacts, detail: str = "", status: str = "") -> Notice:
        return Notice(name, post_id=post.id, post_title=post.title, detail=detail, post_status=status)

    async def on_created(uow: UnitOfWork, event: Event[Any]) -> None:
        m: portal_events.PostCreated = event.message
        who = rules.portal_posted(actor_id=m.actor_id, chosen_ids=list(m.notify_user_ids))
        await send(uow, event, notice("portal.posted", m.post), who)

    async def on_commented(uow: UnitOfWork, event: Event[Any]) -> None:
        m: portal_events.PostCommented = event.message
        who = rules.portal_comment(
            actor_id=m.actor_id,
            post_author_id=m.post.author_id,
            previous_commenter_ids=list(m.previous_commenter_ids),
        )
        await send(uow, event, notice("portal.commented", m.post, m.comment_body), who)

    async def on_status_changed(uow: UnitOfWork, event: Event[Any]) -> None:
        m: portal_events.PostStatusChanged = event.message
        who = rules.portal_post_changed(actor_id=m.actor_id, post_author_id=m.post.author_id)
        await send(uow, event, notice("portal.status_changed", m.post, status=m.post.status), who)

    async def on_answered(uow: UnitOfWork, event: Event[Any]) -> None:
        m: portal_events.PostAnswered = event.message
        who = rules.portal_post_changed(actor_id=m.actor_id, post_author_id=m.post.author_id)
        await send(uow, event, notice("portal.answered", m.post, m.answer), who)

    return [
        Route(portal_events.PostCreated, on_created),
        Route(portal_events.PostCommented, on_commented),
        Route(portal_events.PostStatusChanged, on_status_changed),
        Route(portal_events.PostAnswered, on_answered),
    ]


Handler = Callable[[UnitOfWork, Event[Any]], Awaitable[None]]


def _recording(handler: Handler | None, users: webhooks.Users | None) -> Handler:
    async def record_then_handle(uow: UnitOfWork, event: Event[Any]) -> None:
        await webhooks.record(uow, event.id, event.message, users)
        if handler is not None:
            await handler(uow, event)

    return record_then_handle


def with_webhooks(
    source_routes: list[Route], types: Iterable[type[Message]], users: webhooks.Users | None = None
) -> list[Route]:
    """The routes, each also putting its fact in the events feed and the webhook queue in the
    same transaction (once: the inbox and the feed's unique event id); the ``types`` no
    route handles get a route that only does that. ``users``: where user events' users are
    read (identity)."""
    by_type: dict[type[Message], Handler | None] = {r.message_type: r.handler for r in source_routes}
    wanted = set(types)
    for t in wanted:
        by_type.setdefault(t, None)
    out: list[Route] = []
    for t, h in by_type.items():
        if t in wanted:
            out.append(Route(t, _recording(h, users)))
        elif h is not None:
            out.append(Route(t, h))
    return out
