"""What retention deletes of notify's rows, and after how long (docs/operations.md § Retention)."""

from __future__ import annotations

from helpdesk_kit.retention import RetentionSettings, Rule, keep_for, messaging_rules
from helpdesk_notify import retention_store
from helpdesk_notify.webhooks import store as webhook_store


def retention_rules(
    settings: RetentionSettings,
    *,
    delivered_days: float,
    read_popups_days: float,
    unread_popups_days: float,
    events_days: float = 7.0,
) -> list[Rule]:
    """The kit's inbox and replayed dead letters; mails and pushes sent long ago with their
    log (dead ones stay until replayed); pop-ups by age, read ones sooner than unread ones;
    the events feed with its webhook deliveries and their log."""
    return [
        *messaging_rules(settings),
        Rule("delivered_notifications", keep_for(days=delivered_days), retention_store.prune_delivered),
        Rule("read_popups", keep_for(days=read_popups_days), retention_store.prune_read_popups),
        Rule("unread_popups", keep_for(days=unread_popups_days), retention_store.prune_unread_popups),
        Rule("feed_events", keep_for(days=events_days), webhook_store.prune_events),
    ]
