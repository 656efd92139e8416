"""The signature a webhook receiver checks: ``Helpdesk-Signature: t=<unix>,v1=<hex>``.

``v1`` is HMAC-SHA256 with the webhook's secret over ``"<t>.<body>"``; the time
stamp inside the signed text lets a receiver refuse a captured request replayed later
(docs/webhooks.md: five minutes). examples/webhook_receiver.py verifies it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "Helpdesk-Signature"
REPLAY_WINDOW_SECONDS = 300


def new_secret() -> str:
    """A secret for a webhook created without one (shown once)."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"
