"""The tickets schema's queries: the only package of the service with SQL.

One module per table or concern: ``ticket_table`` (a ticket's own row, history,
archiving), ``list_queries`` (lists and counters, visibility in SQL), ``open_count_table`` (the
counts of open tickets the database keeps, migration 0011), ``change_queries`` (the
change feed of ``updated_since``),
``comment_table``, ``attachment_table``, ``subject_table``, ``field_table`` (custom
fields), ``settings_table``, ``recurring_table``, ``shortcut_tables`` (canned responses,
saved views), ``report_queries`` (the ticket report), ``retention_queries`` (what retention
deletes); ``rows`` holds a ticket row's
columns and mapping. (The ``_table`` names keep modules apart from the functions
the package exports, such as ``store.comments``.) Callers use this package's
names (``store.ticket_by_id(...)``); the ZENLIX import's bulk inserts are the module
``store.zenlix``.
"""

from __future__ import annotations

from helpdesk_tickets.store.attachment_table import (
    attachment_by_id,
    attachment_by_key,
    attachments,
    attachments_for_update,
    insert_attachment,
    link_attachments,
)
from helpdesk_tickets.store.change_queries import LAST_ID, change_horizon, feed_start, list_changes
from helpdesk_tickets.store.comment_table import (
    claim_comment_key,
    commenter_ids,
    comments,
    insert_comment,
    internal_comment_ids,
    save_comment_key,
)
from helpdesk_tickets.store.field_table import (
    custom_field_for_update,
    custom_fields,
    delete_custom_field,
    insert_custom_field,
    save_custom_field,
)
from helpdesk_tickets.store.list_queries import SORTS, count_tickets, counters, list_tickets
from helpdesk_tickets.store.open_count_table import fold_open_counts
from helpdesk_tickets.store.recurring_table import (
    delete_recurring,
    due_recurring,
    insert_recurring,
    recurring_for_update,
    recurring_list,
    set_next_run,
    set_recurring_active,
)
from helpdesk_tickets.store.report_queries import busiest_subjects as report_busiest_subjects
from helpdesk_tickets.store.report_queries import count_day, fold_report_days
from helpdesk_tickets.store.report_queries import done_per_person as report_done_per_person
from helpdesk_tickets.store.report_queries import open_now_and_after as report_open_now_and_after
from helpdesk_tickets.store.report_queries import per_day as report_per_day
from helpdesk_tickets.store.retention_queries import (
    prune_archived_history,
    prune_comment_idempotency_keys,
    prune_idempotency_keys,
)
from helpdesk_tickets.store.rows import MAX_SEARCH_CHARS, search_text
from helpdesk_tickets.store.settings_table import save_settings_section, settings_section
from helpdesk_tickets.store.shortcut_tables import (
    canned_by_id,
    canned_responses,
    delete_canned,
    delete_view,
    insert_canned,
    insert_view,
    saved_views,
    update_canned,
    view_by_id,
)
from helpdesk_tickets.store.subject_table import (
    delete_subject,
    insert_subject,
    subject_by_id,
    subject_by_name,
    subjects,
    update_subject,
)
from helpdesk_tickets.store.ticket_table import (
    NewRow,
    Reserved,
    add_history,
    archive_due,
    backdate_done,
    claim_idempotency_key,
    delete_ticket,
    done_at,
    history,
    insert_ticket,
    insert_ticket_with_event,
    new_ticket,
    reserve_ticket,
    save_idempotency_key,
    save_ticket,
    set_sla_state,
    ticket_by_id,
    ticket_by_ref,
    ticket_exists,
    ticket_for_update,
)

__all__ = [
    "LAST_ID",
    "MAX_SEARCH_CHARS",
    "SORTS",
    "NewRow",
    "Reserved",
    "add_history",
    "archive_due",
    "attachment_by_id",
    "attachment_by_key",
    "attachments",
    "attachments_for_update",
    "backdate_done",
    "canned_by_id",
    "canned_responses",
    "change_horizon",
    "claim_comment_key",
    "claim_idempotency_key",
    "commenter_ids",
    "comments",
    "count_day",
    "count_tickets",
    "counters",
    "custom_field_for_update",
    "custom_fields",
    "delete_canned",
    "delete_custom_field",
    "delete_recurring",
    "delete_subject",
    "delete_ticket",
    "delete_view",
    "done_at",
    "due_recurring",
    "feed_start",
    "fold_open_counts",
    "fold_report_days",
    "history",
    "insert_attachment",
    "insert_canned",
    "insert_comment",
    "insert_custom_field",
    "insert_recurring",
    "insert_subject",
    "insert_ticket",
    "insert_ticket_with_event",
    "insert_view",
    "internal_comment_ids",
    "link_attachments",
    "list_changes",
    "list_tickets",
    "new_ticket",
    "prune_archived_history",
    "prune_comment_idempotency_keys",
    "prune_idempotency_keys",
    "recurring_for_update",
    "recurring_list",
    "report_busiest_subjects",
    "report_done_per_person",
    "report_open_now_and_after",
    "report_per_day",
    "reserve_ticket",
    "save_comment_key",
    "save_custom_field",
    "save_idempotency_key",
    "save_settings_section",
    "save_ticket",
    "saved_views",
    "search_text",
    "set_next_run",
    "set_recurring_active",
    "set_sla_state",
    "settings_section",
    "subject_by_id",
    "subject_by_name",
    "subjects",
    "ticket_by_id",
    "ticket_by_ref",
    "ticket_exists",
    "ticket_for_update",
    "update_canned",
    "update_subject",
    "view_by_id",
]
