"""Tickets' use cases: one function each, one transaction each.

Every change takes the ticket's row lock (``SELECT ... FOR UPDATE``) before the
rules are judged, so two members taking one ticket at once queue up: the first
wins, the second finds it in work and gets 409. The change, its history entry and
its event commit together (transactional outbox).

One module per concern: ``tickets`` (file and read one, its history), ``lifecycle``
(take, release, complete, reopen, forward, edit, delete), ``comments``,
``attachments``, ``lists`` (lists and counters), ``subjects``, ``custom_fields``,
``settings``, ``recurring``, ``shortcuts`` (canned responses, saved views), ``bulk`` (one
action on many tickets), ``reports``, ``background`` (archiving, recurring runs, folding the
open-ticket counts, the SLA verdict, retention rules); ``caches``, ``cursors`` and
``guards`` serve them. Callers use this package's names (``usecases.take(...)``).
"""

from __future__ import annotations

from helpdesk_tickets.domain import MAX_COMMENT, MAX_COMMENT_FILES
from helpdesk_tickets.usecases.attachments import list_attachments, open_attachment, upload_attachment
from helpdesk_tickets.usecases.background import (
    archive_due,
    fold_open_counts,
    fold_report_days,
    record_sla_alert,
    record_sla_state,
    retention_rules,
    run_archiver,
)
from helpdesk_tickets.usecases.bulk import BULK_ACTIONS, BulkResult, Refusal, bulk
from helpdesk_tickets.usecases.caches import DEFAULT_SETTINGS, FieldsCache, SettingsCache
from helpdesk_tickets.usecases.comments import add_comment, list_comments, render_description, render_markdown
from helpdesk_tickets.usecases.cursors import decode_cursor, encode_cursor, is_change_cursor
from helpdesk_tickets.usecases.custom_fields import (
    create_custom_field,
    delete_custom_field,
    list_custom_fields,
    update_custom_field,
)
from helpdesk_tickets.usecases.lifecycle import Edit, complete, delete, edit, forward, release, reopen, take
from helpdesk_tickets.usecases.lists import TOTAL_CAP, count_tickets, counters, list_changes, list_tickets
from helpdesk_tickets.usecases.recurring import (
    create_recurring,
    delete_recurring,
    list_recurring,
    run_recurring,
    set_recurring_active,
)
from helpdesk_tickets.usecases.reports import ticket_report
from helpdesk_tickets.usecases.settings import get_settings, public_settings, put_settings
from helpdesk_tickets.usecases.shortcuts import (
    create_canned,
    create_view,
    delete_canned,
    delete_view,
    list_canned,
    list_views,
    update_canned,
)
from helpdesk_tickets.usecases.subjects import create_subject, delete_subject, list_subjects, update_subject
from helpdesk_tickets.usecases.tickets import (
    create_ticket,
    get_ticket,
    get_ticket_by_ref,
    history_page,
    ticket_history,
)

__all__ = [
    "BULK_ACTIONS",
    "DEFAULT_SETTINGS",
    "MAX_COMMENT",
    "MAX_COMMENT_FILES",
    "TOTAL_CAP",
    "BulkResult",
    "Edit",
    "FieldsCache",
    "Refusal",
    "SettingsCache",
    "add_comment",
    "archive_due",
    "bulk",
    "complete",
    "count_tickets",
    "counters",
    "create_canned",
    "create_custom_field",
    "create_recurring",
    "create_subject",
    "create_ticket",
    "create_view",
    "decode_cursor",
    "delete",
    "delete_canned",
    "delete_custom_field",
    "delete_recurring",
    "delete_subject",
    "delete_view",
    "edit",
    "encode_cursor",
    "fold_open_counts",
    "fold_report_days",
    "forward",
    "get_settings",
    "get_ticket",
    "get_ticket_by_ref",
    "history_page",
    "is_change_cursor",
    "list_attachments",
    "list_canned",
    "list_changes",
    "list_comments",
    "list_custom_fields",
    "list_recurring",
    "list_subjects",
    "list_tickets",
    "list_views",
    "open_attachment",
    "public_settings",
    "put_settings",
    "record_sla_alert",
    "record_sla_state",
    "release",
    "render_description",
    "render_markdown",
    "reopen",
    "retention_rules",
    "run_archiver",
    "run_recurring",
    "set_recurring_active",
    "take",
    "ticket_history",
    "ticket_report",
    "update_canned",
    "update_custom_field",
    "update_subject",
    "upload_attachment",
]
