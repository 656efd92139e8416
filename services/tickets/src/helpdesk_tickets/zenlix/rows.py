"""ZENLIX records → the rows tickets stores: tickets, comments, history (pure, no I/O).

History keeps ZENLIX's times and actors; its ``changes`` are rebuilt by replaying the
log (ZENLIX wrote only the action), as far as the log tells them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from helpdesk_kit import markup
from helpdesk_tickets.domain import MAX_BODY, MAX_SUBJECT
from helpdesk_tickets.store import search_text
from helpdesk_tickets.store.zenlix import CommentRow, HistoryRow, TicketRow
from helpdesk_tickets.usecases import MAX_COMMENT
from helpdesk_zenlix import records
from helpdesk_zenlix.report import Tally


@dataclass
class People:
    """What tickets needs to know of ZENLIX's users: staff units and clients' groups."""

    units_of_staff: dict[int, list[int]] = field(default_factory=dict)
    group_of_client: dict[int, int | None] = field(default_factory=dict)

    @classmethod
    def of(cls, users: list[records.User], unit_ids: set[int], group_ids: set[int]) -> People:
        people = cls()
        for u in users:
            if u.is_client:
                people.group_of_client[u.id] = u.client_group_id if u.client_group_id in group_ids else None
            else:
                people.units_of_staff[u.id] = [i for i in u.unit_ids if i in unit_ids]
        return people


def ticket_row(
    t: records.Ticket,
    comments: list[CommentRow],
    *,
    people: People,
    subject_ids: dict[str, int],
    ref_free: bool,
    tally: Tally,
) -> TicketRow:
    for note in t.notes:
        tally.change(note)
    subject = t.subject
    if not subject:
        subject = "—"
        tally.change("empty subject: a dash")
    elif len(subject) > MAX_SUBJECT:
        subject = subject[:MAX_SUBJECT]
        tally.change(f"subject cut to {MAX_SUBJECT} characters")
    body = t.body
    if len(body) > MAX_BODY:
        body = body[:MAX_BODY]
        tally.change(f"body cut to {MAX_BODY} characters")
    ref = t.ref
    if not ref or not ref_free:
        ref = secrets.token_urlsafe(16)
        tally.change("hash empty or used twice: a new ref")
    group = people.group_of_client.get(t.client_id) if t.client_id else None
    return TicketRow(
        id=t.id,
        ref=ref,
        subject=subject,
        subject_id=subject_ids.get(subject.lower()),
        body=body,
        priority=t.priority,
        state=t.state,
        unit_id=t.unit_id,
        assignee_ids=list(t.assignee_ids),
        author_id=t.author_id,
        client_id=t.client_id,
        locked_by=t.locked_by,
        done_by=t.done_by,
        deadline=t.deadline,
        source=t.source if t.source in ("web", "api", "mail") else "web",
        created_at=t.created_at,
        updated_at=t.updated_at,
        sla_plan_id=t.sla_plan_id,
        author_unit_ids=people.units_of_staff.get(t.author_id, []),
        client_group_id=group,
        done_at=t.done_at,
        search_subject=search_text(subject),
        search_body=search_text(body),
        search_comments=search_text(" ".join(c.search for c in comments)),
    )


def comment_row(c: records.Comment, tally: Tally) -> CommentRow:
    body = c.body
    if len(body) > MAX_COMMENT:
        body = body[:MAX_COMMENT]
        tally.change(f"cut to {MAX_COMMENT} characters")
    return CommentRow(
        id=c.id,
        ticket_id=c.ticket_id,
        author_id=c.author_id,
        body=body,
        html=markup.render(body),
        created_at=c.created_at,
        search=body.lower(),
    )


_EDITED = {"edit_subj": "subject", "edit_msg": "body", "edit_prio": "priority"}


class _Replay:
    """The ticket's state and lock as the log moves them, to tell each entry's changes."""

    def __init__(self, comment_at: dict[tuple[int, object], int]) -> None:
        self.state: str | None = None
        self.locked: int | None = None
        self.comment_at = comment_at

    def _move(self, state: str, locked: int | None) -> dict[str, list[object]]:
        changes: dict[str, list[object]] = {"state": [self.state, state]}
        if locked != self.locked:
            changes["locked_by"] = [self.locked, locked]
        self.state, self.locked = state, locked
        return changes

    def step(self, e: records.LogEntry) -> dict[str, list[object]]:
        a = e.action
        if a == "created":
            return self._move("new", None)
        if a == "locked" or a == "reopened":
            return self._move("in_work", e.actor_id if a == "locked" else self.locked)
        if a == "unlocked":
            return self._move("new", None)
        if a == "completed":
            return {**self._move("done", None), "done_by": [None, e.actor_id]}
        if a == "archived":
            return self._move("archived", None)
        if a == "forwarded":
            self._move("new", None)
            return {"unit_id": [None, e.to_unit_id], "assignee_ids": [None, list(e.to_user_ids)]}
        if a == "edited":
            return {_EDITED.get(e.code, "body"): [None, None]}
        found = self.comment_at.get((e.actor_id, e.at))
        return {"comment_id": [None, found]} if found else {}


def history_rows(log: list[records.LogEntry], comments: list[records.Comment]) -> list[HistoryRow]:
    """The log in order, each entry with the changes replaying the log can tell."""
    replay = _Replay({(c.author_id, c.created_at): c.id for c in comments})
    return [
        HistoryRow(
            id=e.id,
            ticket_id=e.ticket_id,
            at=e.at,
            actor_id=e.actor_id,
            action=e.action,
            changes=replay.step(e),
        )
        for e in sorted(log, key=lambda e: (e.at, e.id))
    ]
