"""A reply's own words: the quoted history and the signature cut off.

Recognised (English and Russian, as the common clients write them):

- attribution lines: "On Mon, 3 Jun 2024 at 10:00, Anna <a@x> wrote:" (Gmail, Apple,
  Thunderbird; may be wrapped over two lines), "03.06.2024 10:00, Анна пишет:" and
  "... написал(а):" (Thunderbird, Яндекс, Mail.ru), Gmail's Russian "пн, 3 июн. 2024 г. в
  10:00, Анна <a@x>:";
- separators: "-----Original Message-----", "-----Исходное сообщение-----", Outlook's
  line of underscores, and Outlook's header block ("From:/Sent:/To:/Subject:",
  "От:/Отправлено:/Кому:/Тема:");
- a trailing block of "> " lines;
- the signature after "-- " and "Sent from my ..."/"Отправлено с ..." lines at the end.

Forwarded messages are not cut (their content is what the sender means to send). When
cutting would leave nothing (the sender wrote below the quote), the text is kept whole.
"""

from __future__ import annotations

import re

from helpdesk_mailin.domain.message import Mail
from helpdesk_mailin.domain.text import html_to_markdown

_ATTRIBUTION = [
    re.compile(r"^\s*(On|Le|Am)\s.{4,200}\s(wrote|a écrit|schrieb)\s*:\s*$", re.IGNORECASE),
    re.compile(r"^.{4,200}(пишет|писал|написал|написала|написал\(а\))\s*:\s*$", re.IGNORECASE),
    # Gmail in Russian: "пн, 3 июн. 2024 г. в 10:00, Анна <anna@example.org>:"
    re.compile(r"^.{0,80}\d{4}\s*г\..{0,120}<[^<>@\s]+@[^<>\s]+>\s*:\s*$"),
]
_SEPARATORS = [
    re.compile(
        r"^\s*-{2,}\s*(Original Message|Исходное сообщение|Reply message|Ответное сообщение)\s*-{2,}\s*$",
        re.I,
    ),
    re.compile(r"^\s*_{20,}\s*$"),
]
_HEADER_LINE = re.compile(
    r"^\s*\*?(From|Sent|To|Cc|Subject|Date|От|Отправлено|Дата|Кому|Копия|Тема)\s*:\*?\s", re.IGNORECASE
)
_FROM_LINE = re.compile(r"^\s*\*?(From|От)\s*:", re.IGNORECASE)
_SIGNATURE_DASHES = re.compile(r"^-- ?$")
_SENT_FROM = re.compile(
    r"^\s*(Sent from my |Sent from Mail for |Get Outlook for |Отправлено с |Отправлено из |"
    r"Sent from Yandex|Отправлено из мобильной)",
    re.IGNORECASE,
)


def _attribution_at(lines: list[str], i: int) -> bool:
    line = lines[i]
    if any(p.match(line) for p in _ATTRIBUTION):
        return True
    # Gmail wraps a long attribution over two lines.
    if i + 1 < len(lines) and len(line) < 200:
        joined = f"{line} {lines[i + 1]}"
        return any(p.match(joined) for p in _ATTRIBUTION[:2])
    return False


def _outlook_headers_at(lines: list[str], i: int) -> bool:
    """A "From:" line followed closely by at least two more header lines."""
    if not _FROM_LINE.match(lines[i]):
        return False
    following = [line for line in lines[i + 1 : i + 8] if _HEADER_LINE.match(line)]
    return len(following) >= 2


def _history_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if (
            any(p.match(line) for p in _SEPARATORS)
            or _attribution_at(lines, i)
            or _outlook_headers_at(lines, i)
        ):
            return i
    return None


def _strip_trailing_quote(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and (lines[end - 1].lstrip().startswith(">") or not lines[end - 1].strip()):
        end -= 1
    return lines[:end]


def _strip_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if _SIGNATURE_DASHES.match(line):
            return lines[:i]
    end = len(lines)
    while end and (not lines[end - 1].strip() or _SENT_FROM.match(lines[end - 1])):
        end -= 1
    return lines[:end]


def cut_reply(text: str) -> str:
    """The new words of a reply (``text`` with Unix line ends)."""
    lines = text.split("\n")
    start = _history_start(lines)
    if start is not None:
        lines = lines[:start]
    lines = _strip_signature(_strip_trailing_quote(lines))
    own = "\n".join(lines).strip()
    return own or text.strip()


def reply_body(mail: Mail) -> str:
    """A reply's own words: from an HTML-only mail the clients' quote containers go first."""
    text = html_to_markdown(mail.html, cut_quotes=True) if mail.text_from_html else mail.text
    return cut_reply(text) if text.strip() else cut_reply(mail.text)
