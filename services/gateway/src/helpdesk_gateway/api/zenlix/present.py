"""How ZENLIX wrote things, as pure functions: state strings, action lists, short names,
dates, cut texts, numbers as text.

ZENLIX's answers carry numbers read from its database as JSON strings (``"prio": "1"``,
``"id_ticket": "42"``) and relative state strings (``lock_by_me``); these functions
make ours look the same.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp
from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_kit.timestamps import from_timestamp, is_set

# ZENLIX's default picture; we keep no avatars, so everyone has it.
AVATAR = "img/avatar5.png"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
CUT = 150  # ZENLIX cut subjects and bodies in lists to this many characters, at a word

PRIO_TEXT = {t_pb.PRIORITY_LOW: "0", t_pb.PRIORITY_NORMAL: "1", t_pb.PRIORITY_HIGH: "2"}
PRIO_IN = {"0": t_pb.PRIORITY_LOW, "1": t_pb.PRIORITY_NORMAL, "2": t_pb.PRIORITY_HIGH}
# ZENLIX's priv: 2 = department head, 0 = unit head, 1 = unit member (and every client).
PRIV = {id_pb.ROLE_DEPARTMENT_HEAD: "2", id_pb.ROLE_UNIT_HEAD: "0", id_pb.ROLE_UNIT_MEMBER: "1"}
# Our allowed actions → ZENLIX's access_priv words, in ZENLIX's order.
WORK_ACTIONS = (("lock", "lock"), ("unlock", "unlock"), ("complete", "ok"), ("reopen", "un_ok"))

_THREE_WORDS = re.compile(r"(\w+) (\w)\w+ (\w)\w+", re.UNICODE)


def state(t: t_pb.Ticket, me: int) -> str:
    """ZENLIX's state string, relative to the caller: archived → done → locked → free."""
    if t.state == t_pb.STATE_ARCHIVED:
        return "arch"
    if t.state == t_pb.STATE_DONE:
        return "ok_by_me" if t.done_by == me else "ok_by_other"
    if t.state == t_pb.STATE_IN_WORK:
        return "lock_by_me" if t.locked_by == me else "lock_by_other"
    return "free"


def access_priv(t: t_pb.Ticket, *, is_client: bool) -> str:
    """ZENLIX's ``access_priv``: the work actions this caller may take now, comma-joined;
    ``no_priv`` when none (staff); ``""`` for clients, who take no part in the work."""
    allowed = set(t.allowed_actions)
    words = [word for action, word in WORK_ACTIONS if action in allowed]
    if words:
        return ",".join(words)
    return "" if is_client else "no_priv"


def short_name(full_name: str) -> str:
    """ZENLIX's ``nameshort``: "Surname Name Patronymic" → "Surname N.P." (other shapes stay)."""
    return _THREE_WORDS.sub(lambda m: f"{m[1]} {m[2]}.{m[3]}.", full_name)


def given_name(full_name: str) -> str | None:
    """ZENLIX's ``name_only``: the second word of the full name, None without one."""
    words = full_name.split(" ")
    return words[1] if len(words) > 1 else None


def date(stamp: Timestamp, zone: ZoneInfo) -> str | None:
    """``YYYY-MM-DD HH:MM:SS`` in ``zone`` (ZENLIX's naive local time); None when unset."""
    if not is_set(stamp):
        return None
    return from_timestamp(stamp).astimezone(zone).strftime(DATE_FORMAT)


def now_text(zone: ZoneInfo) -> str:
    return datetime.now(UTC).astimezone(zone).strftime(DATE_FORMAT)


def cut(text: str, width: int = CUT) -> str:
    """The first line PHP's ``wordwrap(text, width, cut=true)`` makes: up to ``width``
    characters, broken after the last whole word (a longer word is cut). A line break
    ends it too (ZENLIX's bodies broke lines with ``<br>``, which ended its first line)."""
    first = text.split("\n", 1)[0].rstrip("\r")
    if len(first) <= width:
        return first
    head = first[: width + 1]
    space = head.rfind(" ")
    return first[:space] if space > 0 else first[:width]


def csv(values: list[str]) -> str | None:
    """ZENLIX's comma-joined lists; None for an empty one (its "0", nobody)."""
    return ",".join(values) if values else None
