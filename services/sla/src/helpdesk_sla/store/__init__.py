"""The sla schema's queries: the only package of the service with SQL.

``config_tables`` (plans, calendars), ``ticket_table`` (tickets and their facts),
``clock_table`` (clocks and timers), ``report_queries``. Callers use this
package's names (``store.upsert_clocks(...)``).
"""

from __future__ import annotations

from helpdesk_sla.store.clock_table import (
    TIMERS_CHANNEL,
    DueClock,
    calendars_of_tickets,
    claim_due,
    clocks_of,
    next_fire_at,
    set_clock_states,
    upsert_clocks,
    wake_timers,
    worst_candidates,
)
from helpdesk_sla.store.config_tables import (
    StoredCalendar,
    get_calendar,
    get_plan,
    insert_calendar,
    insert_plan,
    list_calendars,
    list_plans,
    tickets_of_plan,
    update_calendar,
    update_plan,
)
from helpdesk_sla.store.report_queries import report
from helpdesk_sla.store.ticket_table import (
    TicketRow,
    facts_of,
    insert_fact,
    lock_ticket,
    mark_deleted,
    set_worst_state,
    update_ticket,
)

__all__ = [
    "TIMERS_CHANNEL",
    "DueClock",
    "StoredCalendar",
    "TicketRow",
    "calendars_of_tickets",
    "claim_due",
    "clocks_of",
    "facts_of",
    "get_calendar",
    "get_plan",
    "insert_calendar",
    "insert_fact",
    "insert_plan",
    "list_calendars",
    "list_plans",
    "lock_ticket",
    "mark_deleted",
    "next_fire_at",
    "report",
    "set_clock_states",
    "set_worst_state",
    "tickets_of_plan",
    "update_calendar",
    "update_plan",
    "update_ticket",
    "upsert_clocks",
    "wake_timers",
    "worst_candidates",
]
