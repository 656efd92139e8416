"""Drains the webhook queue: claims due deliveries, sends them, records each attempt.

Like the mail and push workers (ADR 0005): rows claimed ``FOR UPDATE SKIP LOCKED``,
sent while locked, their outcome and a log row written in the same transaction.
The deliveries of one round go out at once (one receiver slow to answer does not hold
up the others); a ticket's later event waits while an earlier one to the same webhook
is pending (``store.claim_due``). A failure that may pass (5xx, timeout, no connection)
is retried with backoff and jitter for ``RetryPolicy.horizon_seconds`` after the first
attempt, then dead-lettered; any other failure (4xx, 3xx, an address refused) is dead
at once, with its reason in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from prometheus_client import Counter

from helpdesk_kit.db import Database
from helpdesk_kit.logs import get_logger
from helpdesk_notify import domain
from helpdesk_notify.domain import RetryPolicy
from helpdesk_notify.webhooks import sender, store
from helpdesk_notify.webhooks.sender import Attempt, Sender

log = get_logger(__name__)
DELIVERED = Counter("notify_webhook_deliveries_total", "Webhook delivery attempts by outcome", ["outcome"])


class WebhookWorker:
    """``run()`` until ``stop()``."""

    def __init__(
        self,
        *,
        db: Database,
        sender: Sender,
        policy: RetryPolicy | None = None,
        per_transaction: int = 20,
        idle_seconds: float = 0.5,
    ) -> None:
        self._db = db
        self._sender = sender
        self._policy = policy or RetryPolicy()
        self._per_tx = per_transaction
        self._idle = idle_seconds
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                done = await self.run_once()
            # The worker must outlive a bad round (the database restarting): it waits and tries again.
            except Exception as exc:  # noqa: BLE001
                log.warning("notify.webhook_round_failed", error=repr(exc))
                done = 0
            if done < self._per_tx:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self._idle)

    async def run_once(self) -> int:
        """Sends one transaction's worth of due deliveries; how many."""
        async with self._db.unit_of_work() as uow:
            claimed, now = await store.claim_due(uow.conn, self._per_tx)
            attempts = await asyncio.gather(*(self._attempt(d) for d in claimed))
            for d, a in zip(claimed, attempts, strict=True):
                retry_in = self._retry_in(d, a, now)
                outcome = a.outcome if a.outcome != "retry" or retry_in is not None else "dead"
                if outcome != "sent":
                    log.warning(
                        "notify.webhook_failed", delivery_id=d.id, outcome=outcome, error=a.error[:300]
                    )
                await store.record_attempt(
                    uow.conn,
                    d.id,
                    outcome=outcome,
                    retry_in=retry_in,
                    status_code=a.status_code,
                    latency_ms=a.latency_ms,
                    response=a.response,
                    error=a.error,
                )
                DELIVERED.labels(outcome).inc()
            await uow.commit()
        return len(claimed)

    def _retry_in(self, d: store.Due, a: Attempt, now: datetime) -> float | None:
        if a.outcome != "retry":
            return None
        return domain.next_try(
            self._policy, attempts=d.attempts + 1, first_attempt_at=d.first_attempt_at, now=now
        )

    async def _attempt(self, d: store.Due) -> Attempt:
        payload = sender.body(d.event_id, d.type, d.occurred_at.isoformat().replace("+00:00", "Z"), d.data)
        try:
            return await self._sender.send(
                url=d.url, allowed_cidr=d.allowed_cidr, secret=d.secret, payload=payload, event_id=d.event_id
            )
        # An error nobody sorted is this delivery's alone: retried like a passing failure.
        except Exception as exc:
            log.exception("notify.webhook_crashed", delivery_id=d.id)
            return Attempt("retry", error=f"unexpected: {exc!r}")
