"""Mail intake's polite refusals: one automatic reply per refused mail, queued like any mail."""

from __future__ import annotations

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_notify import store, templates
from helpdesk_notify.domain import EMAIL
from helpdesk_notify.errors import InvalidSettings

REFUSAL_REASONS = ("unknown_sender", "disabled_sender")


async def queue_auto_reply(
    *,
    db: Database,
    key: str,
    to_address: str,
    to_name: str,
    in_reply_to: str,
    subject: str,
    reason: str,
    public_url: str,
) -> bool:
    """Queues mail intake's refusal of a mail (one delivery to a person who is no user:
    ``user_id`` 0); the same key queues nothing twice. True when it was queued now."""
    errors: list[FieldError] = []
    if not key or len(key) > 200:
        errors.append(FieldError("key", "1 to 200 characters"))
    if "@" not in to_address or len(to_address) > 320 or any(c in to_address for c in "\r\n"):
        errors.append(FieldError("to_address", "an e-mail address"))
    if reason not in REFUSAL_REASONS:
        errors.append(FieldError("reason", f"one of {', '.join(REFUSAL_REASONS)}"))
    if errors:
        raise InvalidSettings("Invalid auto-reply.", errors=errors)
    # Only a bracketed Message-ID goes into the headers: anything else could smuggle a header.
    safe_reply_to = in_reply_to if in_reply_to.startswith("<") and "\n" not in in_reply_to else ""
    rendered = templates.refusal(
        reason=reason, subject=subject, in_reply_to=safe_reply_to, key=key, public_url=public_url
    )
    delivery = store.NewDelivery(
        source_event_id=f"mailin:{key}",
        user_id=0,
        channel=EMAIL,
        event="mailin.refused",
        address=to_address,
        payload={
            "subject": rendered.title,
            "text": rendered.text,
            "html": rendered.html,
            "headers": rendered.headers,
            "name": " ".join(to_name.split())[:200],
        },
    )
    async with db.unit_of_work() as uow:
        queued = await store.enqueue(uow.conn, [delivery])
        await uow.commit()
    return queued == 1
