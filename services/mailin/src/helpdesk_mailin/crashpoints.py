"""TEST ONLY: the process kills itself with SIGKILL at a chosen point of filing a mail.

``HELPDESK_MAILIN_TEST_CRASH_AT`` (never set in production) names the point:

- ``after_ticket``: tickets has created the ticket, mailin has not yet recorded the outcome
  nor flagged the mail. The restarted poller must get the same ticket back from tickets
  (its idempotency key), not a second one;
- ``before_flag``: the outcome is committed, the mail not yet flagged. The restarted poller
  must find the outcome and only flag the mail.

A real SIGKILL, not an exception: no ``finally`` runs, no lease is released, no
connection is closed — exactly what the kernel's OOM killer or a lost node leaves behind.
The composition root swaps in these subclasses only when the setting asks for them;
tests/e2e/test_mail_intake.py is their user.
"""

from __future__ import annotations

import os
import signal

from helpdesk_kit.logs import get_logger
from helpdesk_mailin.imap import ImapSession
from helpdesk_mailin.peers import GrpcPeers
from helpdesk_mailin.ports import TicketDraft

log = get_logger(__name__)


def die(point: str) -> None:
    log.warning("mailin.test_crash", point=point)
    os.kill(os.getpid(), signal.SIGKILL)


class PeersCrashingAfterTicket(GrpcPeers):
    async def create_ticket(self, passport: str, draft: TicketDraft, key: str) -> int:
        ticket_id = await super().create_ticket(passport, draft, key)
        die("after_ticket")
        return ticket_id


class SessionCrashingBeforeFlag(ImapSession):
    async def mark_processed(self, uid: int, move_to: str) -> None:
        die("before_flag")
        await super().mark_processed(uid, move_to)
