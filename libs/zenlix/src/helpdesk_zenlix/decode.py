"""ZENLIX 2's encodings, decoded once: pure functions from raw column values to plain values.

ZENLIX stores lists as comma-separated strings, roles and flags as magic numbers,
naive local datetimes (with ``0000-00-00 00:00:00`` for "none"), and text whose
bytes do not always match the charset the table declares. Every such rule lives
here, so the reader and the importers never see the raw forms.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# -- text ---------------------------------------------------------------------------------

# MySQL's "latin1" is Windows-1252 with the five undefined bytes mapped to U+0081 etc.
_CP1252_HIGH = bytes(range(0x80, 0xA0)).decode("cp1252", errors="replace")
_FROM_CP1252 = {ch: 0x80 + i for i, ch in enumerate(_CP1252_HIGH) if ch != "\ufffd"}


def _latin1_bytes(text: str) -> bytes | None:
    """The bytes a latin1 (cp1252) column would hold for ``text``; None if it cannot."""
    out = bytearray()
    for ch in text:
        code = ord(ch)
        if code < 0x100:
            out.append(code)
        elif ch in _FROM_CP1252:
            out.append(_FROM_CP1252[ch])
        else:
            return None
    return bytes(out)


def text(raw: bytes | str | None) -> str:
    """A text column as stored, whatever ZENLIX did to it.

    The reader asks MySQL for the stored bytes (no conversion). They are UTF-8 in a
    healthy install and also in the common broken one, where a latin1-declared table
    holds UTF-8 bytes. Double-encoded text (UTF-8 read as latin1 and written back as
    UTF-8, so that "При" reads "ÐŸÑ€Ð¸") is repaired; bytes that are not UTF-8 at all
    are genuine latin1 (cp1252).
    """
    if raw is None:
        return ""
    if isinstance(raw, str):
        value = raw
    else:
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")
    return _undo_double_encoding(value).replace("\x00", "")


def _undo_double_encoding(value: str) -> str:
    if value.isascii():
        return value
    again = _latin1_bytes(value)
    if again is None:
        return value
    try:
        repaired = again.decode("utf-8")
    except UnicodeDecodeError:
        return value
    return repaired if repaired != value else value


_BR = re.compile(r"<\s*br\s*/?\s*>", re.IGNORECASE)
_BLOCK_END = re.compile(r"<\s*/\s*(p|div|li|tr|h[1-6])\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(value: str) -> str:
    """A ticket body (HTML-ish: ``<br>``, ``<p>``, entities) as the plain text we store."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _BR.sub("\n", value)
    value = _BLOCK_END.sub("\n", value)
    value = html.unescape(_TAG.sub("", value))
    lines = [line.rstrip() for line in value.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


_FILE_MARKER = re.compile(r"\[file:([^\]]*)\]")


def comment_text(value: str) -> tuple[str, tuple[str, ...]]:
    """A comment's Markdown without its ``[file:<hash>,<hash>]`` markers, and those hashes.

    ZENLIX appends ``<br>[file:…]`` to a comment with files; the ``<br>`` it puts before
    the marker becomes a line break, and any other ``<br>`` too (Markdown has no tag for it).
    """
    hashes: list[str] = []
    for found in _FILE_MARKER.findall(value):
        hashes.extend(h.strip() for h in found.split(",") if h.strip())
    body = _FILE_MARKER.sub("", value)
    body = _BR.sub("\n", body.replace("\r\n", "\n"))
    return body.strip(), tuple(dict.fromkeys(hashes))


# -- numbers and lists --------------------------------------------------------------------


def int_or_none(raw: object) -> int | None:
    """An integer column or a number in a text column; None for NULL, '' or garbage."""
    if raw is None:
        return None
    if isinstance(raw, int):
        return raw
    value = text(raw) if isinstance(raw, bytes) else str(raw)
    value = value.strip()
    return int(value) if value.lstrip("-").isdigit() else None


def id_list(raw: object) -> tuple[list[int], list[str]]:
    """A CSV of ids (``"1,2,3"``): the positive ids in order without repeats, and the parts
    that are not ids. ``"0"`` and ``""`` are the empty list."""
    value = text(raw) if isinstance(raw, bytes) else ("" if raw is None else str(raw))
    ids: list[int] = []
    bad: list[str] = []
    for part in value.split(","):
        part = part.strip()
        if not part or part == "0":
            continue
        if part.isdigit() and int(part) > 0:
            if int(part) not in ids:
                ids.append(int(part))
        else:
            bad.append(part)
    return ids, bad


def csv_words(raw: object) -> list[str]:
    """A CSV of words (event types): stripped, without empty parts or repeats."""
    value = text(raw) if isinstance(raw, bytes) else ("" if raw is None else str(raw))
    return list(dict.fromkeys(w.strip() for w in value.split(",") if w.strip()))


# -- roles, flags, states -----------------------------------------------------------------

ADMIN_FLAG = 8
_ROLES = {2: "department_head", 0: "unit_head", 1: "unit_member"}


def role(priv: int | None, is_client: bool) -> str | None:
    """``priv`` as our staff role (2 department head, 0 unit head, 1 unit member); clients
    have none (ZENLIX stores them with priv 1). None also for an unknown number."""
    if is_client:
        return None
    return _ROLES.get(priv if priv is not None else 1)


def is_admin(flag: int | None) -> bool:
    """ZENLIX's administrator is ``is_admin == 8``; any other number is not."""
    return flag == ADMIN_FLAG


USER_STATUS = {1: "active", 0: "disabled", 2: "deleted"}


def ticket_state(*, status: int | None, arch: int | None, lock_by: int | None) -> str:
    """The state from ZENLIX's columns, in its own precedence: archived, done, in work, new."""
    if arch == 1:
        return "archived"
    if status == 1:
        return "done"
    if lock_by:
        return "in_work"
    return "new"


PRIORITIES = {0: "low", 1: "normal", 2: "high"}

# ticket_log.msg → our history action.
LOG_ACTIONS = {
    "create": "created",
    "refer": "forwarded",
    "lock": "locked",
    "unlock": "unlocked",
    "ok": "completed",
    "no_ok": "reopened",
    "comment": "commented",
    "edit_subj": "edited",
    "edit_msg": "edited",
    "edit_prio": "edited",
    "arch": "archived",
}
# users_notify.mail event types → our notify events.
NOTIFY_EVENTS = {
    "ticket_create": "ticket.created",
    "ticket_refer": "ticket.forwarded",
    "ticket_comment": "ticket.commented",
    "ticket_lock": "ticket.taken",
    "ticket_unlock": "ticket.released",
    "ticket_ok": "ticket.completed",
    "ticket_no_ok": "ticket.reopened",
}
LANGUAGES = {"en": "en", "ru": "ru", "ua": "ru"}

_MD5 = re.compile(r"^[0-9a-f]{32}$")


def md5_hash(raw: object) -> str | None:
    """The password column when it is an MD5 hex digest (lower-cased), else None."""
    value = text(raw) if isinstance(raw, bytes) else ("" if raw is None else str(raw))
    value = value.strip().lower()
    return value if _MD5.match(value) else None


# -- dates --------------------------------------------------------------------------------


def local_time(raw: object, zone: ZoneInfo) -> datetime | None:
    """A naive local DATETIME of ZENLIX (in ``perf.time_zone``) as an aware UTC datetime;
    None for NULL and zero dates (``0000-00-00 00:00:00``, which the driver leaves a string)."""
    if not isinstance(raw, datetime):
        return None
    if raw.year < 1971:
        return None
    return raw.replace(tzinfo=zone).astimezone(UTC)
