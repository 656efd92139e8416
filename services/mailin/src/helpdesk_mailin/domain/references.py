"""Which ticket a mail answers: the tickets it names, strongest evidence first.

1. Our Message-IDs in In-Reply-To, then References: every ticket mail notify sends has
   ``<ticket-<id>.…@helpdesk>`` as its Message-ID and ``<ticket-<id>@helpdesk>`` as its
   thread root, which mail clients copy into the reply.
2. ``[#N]`` or ``#N`` in the subject ("Re: Ticket #42 — created"); N is the ticket number,
   which is its id.

A named ticket is only a candidate: the sender must be allowed to see it (tickets decides).
"""

from __future__ import annotations

import re

from helpdesk_mailin.domain.message import Mail

_OURS = re.compile(r"^<ticket-(\d{1,18})(?:\.[^<>@\s]*)?@helpdesk>$", re.IGNORECASE)
_SUBJECT = re.compile(r"(?:\[#|(?<![\w&])#)(\d{1,18})\b")
MAX_ID = 2**63 - 1


def ticket_ids(mail: Mail) -> list[int]:
    """Candidate ticket ids, best first, without repeats."""
    found: list[int] = []
    for message_id in (*mail.in_reply_to, *reversed(mail.references)):
        match = _OURS.match(message_id)
        if match:
            found.append(int(match.group(1)))
    found += [int(n) for n in _SUBJECT.findall(mail.subject)]
    return [n for n in dict.fromkeys(found) if 0 < n <= MAX_ID]
