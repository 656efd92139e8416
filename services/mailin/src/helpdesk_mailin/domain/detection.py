"""Mail that must not become a ticket or a comment: automatic replies, bounces, loops.

``drop_reason`` answers with the reason to record, or None. Recognised:

- the null sender (``Return-Path: <>``) and mailer daemons (bounces);
- delivery status notifications (``multipart/report; report-type=delivery-status``) and
  read receipts (``disposition-notification``);
- ``Auto-Submitted`` other than ``no`` (RFC 3834), ``Precedence: bulk|junk|list|auto_reply``,
  ``X-Autoreply``/``X-Autorespond``, ``X-Auto-Response-Suppress`` naming All, OOF or
  AutoReply (Exchange's out-of-office replies carry it);
- our own messages coming back (a Message-ID of ours, ``@helpdesk>``) and messages that
  went through too many hops (``Received`` over ``MAX_HOPS``): loops.

The per-sender rate limit is ``over_rate``: more than ``limit`` mails in the window.
"""

from __future__ import annotations

from helpdesk_mailin.domain.message import Mail

OUR_MESSAGE_ID_SUFFIX = "@helpdesk>"
MAX_HOPS = 30
_DAEMONS = ("mailer-daemon@", "postmaster@", "mail-daemon@", "noreply-dmarc-support@")
_BULK = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_SUPPRESS = {"all", "oof", "autoreply"}


def drop_reason(mail: Mail) -> str | None:
    """Why this mail is dropped, or None when it is a person's message."""
    h = mail.headers
    if mail.return_path == "" or not mail.sender or mail.sender_key.startswith(_DAEMONS):
        return "bounce: null or daemon sender"
    if mail.content_type == "multipart/report":
        if mail.report_type == "disposition-notification":
            return "read receipt"
        return "bounce: delivery status notification"
    auto = h.get("auto-submitted", "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"automatic reply: Auto-Submitted {auto}"
    if h.get("precedence", "").strip().lower() in _BULK:
        return f"automatic or bulk mail: Precedence {h['precedence'].strip().lower()}"
    if "x-autoreply" in h or "x-autorespond" in h:
        return "automatic reply: X-Autoreply"
    suppress = {p.strip().lower() for p in h.get("x-auto-response-suppress", "").split(",")}
    if suppress & _SUPPRESS:
        return "automatic reply: X-Auto-Response-Suppress"
    if mail.message_id.lower().endswith(OUR_MESSAGE_ID_SUFFIX):
        return "mail loop: one of our own messages"
    if mail.received > MAX_HOPS:
        return f"mail loop: {mail.received} hops"
    return None


def over_rate(recent: int, limit: int) -> bool:
    """``recent`` mails of this sender already in the window; ``limit`` 0 = no limit."""
    return limit > 0 and recent >= limit
