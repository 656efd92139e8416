"""ZENLIX's 19 modes: the fields each needs, the string it answers when one is missing,
the shape of its answer, and the function that runs it. The dispatcher, the OpenAPI
document and docs/zenlix-api.md all follow this table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Response

from helpdesk_gateway.api.zenlix import account, directory, ticket_changes, ticket_reads
from helpdesk_gateway.api.zenlix.context import Ctx
from helpdesk_gateway.api.zenlix.envelope import INPUT_NOT_ALL, NOT_ALL, answer

Run = Callable[[Ctx], Awaitable[list[dict[str, Any]] | dict[str, Any] | Response]]

KEY = "uniq_id"
TICKET = (KEY, "ticket_hash")


@dataclass(frozen=True)
class Mode:
    name: str
    run: Run
    fields: tuple[str, ...]  # required: present and not null (PHP's isset); "" passes
    summary: str
    optional: tuple[str, ...] = ()
    missing: str = NOT_ALL  # the error when a required field is missing
    # How an error looks: "envelope" [{…, status, error_description}], "status_first"
    # (the transitions), "bare" (auth's object), "comments" (with ticket_code null).
    shape: str = "envelope"

    def error(
        self, description: str, payload: dict[str, Any] | None = None
    ) -> list[dict[str, Any]] | dict[str, Any]:
        if self.shape == "bare":
            return account.auth_answer(error=description)
        if self.shape == "status_first":
            return ticket_changes.status_first(payload or ticket_changes.NO_TICKET, description)
        if self.shape == "comments":
            return answer({"ticket_code": None}, status="error", error=description)
        return answer(payload or {}, status="error", error=description)


def _transition(name: str, action: str, summary: str) -> Mode:
    return Mode(name, ticket_changes.transition(action), TICKET, summary, shape="status_first")


MODES: dict[str, Mode] = {
    m.name: m
    for m in (
        Mode(
            "auth",
            account.auth,
            ("login", "pass"),
            "A ZENLIX API key for a login and password (answer: a bare object, uniq_id = the key).",
            optional=("device_token",),
            missing=INPUT_NOT_ALL,
            shape="bare",
        ),
        Mode(
            "reset_token",
            account.reset_token,
            (KEY, "device_token"),
            "Signs a device out: its keys stop working (answer: an empty body).",
            missing=INPUT_NOT_ALL,
        ),
        Mode(
            "ticket_list",
            ticket_reads.ticket_list,
            (KEY, "type"),
            "The caller's tickets: type in | out | arch | client (clients: always their own).",
            missing=INPUT_NOT_ALL,
        ),
        Mode("ticket_view", ticket_reads.ticket_view, TICKET, "One ticket by its hash."),
        _transition("ticket_lock", "lock", "Take the ticket into work."),
        _transition("ticket_unlock", "unlock", "Release it."),
        _transition("ticket_ok", "complete", "Mark it done."),
        _transition("ticket_no_ok", "reopen", "Back in work (done_by cleared)."),
        Mode("get_user_info", directory.user_info, (KEY, "user_hash"), "A user by public hash."),
        Mode("get_unit_info", directory.unit_info, (KEY, "unit_code"), "A unit by id."),
        Mode("get_unit_list", directory.unit_list, (KEY,), "Every unit."),
        Mode("get_subj_list", directory.subject_list, (KEY,), "Every subject."),
        Mode("get_posada_list", directory.position_list, (KEY,), "Every position."),
        Mode(
            "get_users_list",
            directory.users_list,
            (KEY, "find_param"),
            "Up to 10 users matching the text (staff only).",
        ),
        Mode("get_user_by_dep", directory.unit_users, (KEY, "dep_code"), "A unit's staff (staff only)."),
        Mode(
            "get_ticket_comments",
            ticket_reads.ticket_comments,
            TICKET,
            "A ticket's comments, oldest first.",
            shape="comments",
        ),
        Mode(
            "add_ticket_comment",
            ticket_changes.add_comment,
            (*TICKET, "msg"),
            "Comment on a ticket (Markdown).",
        ),
        Mode(
            "refer_ticket",
            ticket_changes.refer,
            (*TICKET, "user_to_id", "unit_id", "msg"),
            'Forward a ticket: user_to_id "0" = the whole unit, else public hashes comma-separated.',
        ),
        Mode(
            "create_ticket",
            ticket_changes.create,
            (KEY, "user_to_id", "subj", "msg", "client_id", "unit_id", "prio"),
            "File a ticket: subj = a subject's id (else free text), prio 0 | 1 | 2.",
        ),
    )
}
