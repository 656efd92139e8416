"""A raw RFC 5322 message as the facts mail intake needs: who, what, which thread, the
text, the files. Pure; any bytes are accepted (broken headers, unknown charsets and
missing parts become defaults, never exceptions).
"""

from __future__ import annotations

import email
import email.header
import email.message
import email.policy
import email.utils
import re
from dataclasses import dataclass, field

from helpdesk_mailin.domain.text import decode, html_to_markdown, tidy

_MSG_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Mail:
    """What a message says about itself. ``headers`` holds every header's decoded text by
    lower-case name (the last one of repeated names; ``received`` counts those)."""

    message_id: str = ""
    sender: str = ""  # the From address, as written
    sender_name: str = ""
    return_path: str | None = None  # None: no Return-Path header; "" for the null sender "<>"
    subject: str = ""
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    received: int = 0
    content_type: str = "text/plain"
    report_type: str = ""  # multipart/report's report-type (delivery-status, ...)
    text: str = ""  # the body as Markdown-ish text, history not yet cut
    text_from_html: bool = False
    html: str = ""  # the HTML part when the text came from it (its quote containers can be cut)
    attachments: tuple[Attachment, ...] = ()
    size: int = 0

    @property
    def sender_key(self) -> str:
        """The address in the form counted and compared: lower case."""
        return self.sender.strip().lower()


def header_text(value: object) -> str:
    """A header's value decoded (RFC 2047 words in any charset) into one line."""
    if value is None:
        return ""
    raw = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        # Raw 8-bit bytes in a header (against the RFC, common all the same): decode them.
        raw = decode(raw.encode("utf-8", "surrogateescape"), None)
    try:
        parts = email.header.decode_header(raw)
    except (ValueError, LookupError, email.errors.HeaderParseError):
        return " ".join(raw.split())
    out: list[str] = []
    for chunk, charset in parts:
        out.append(decode(chunk, charset) if isinstance(chunk, bytes) else chunk)
    # decode_header drops the spaces between an encoded word and plain text it returns apart.
    joined = "".join(out) if len(parts) > 1 and all(isinstance(c, bytes) for c, _ in parts) else " ".join(out)
    return " ".join(joined.split())


def _ids(value: str) -> tuple[str, ...]:
    return tuple(_MSG_ID.findall(value))


def _filename(part: email.message.Message) -> str:
    name = part.get_filename() or part.get_param("name") or ""
    if isinstance(name, tuple):  # RFC 2231 (charset, language, value)
        name = email.utils.collapse_rfc2231_value(name)
    text = header_text(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return text[:200]


def _payload(part: email.message.Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, LookupError, AssertionError):
        return b""
    return data if isinstance(data, bytes) else b""


def _is_attachment(part: email.message.Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or (
        bool(_filename(part)) and part.get_content_maintype() not in ("text", "multipart")
    )


def _walk(msg: email.message.Message) -> tuple[str, str, list[Attachment]]:
    """(first text/plain body, first text/html body, attachments)."""
    plain = html = ""
    files: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype == "message/rfc822" or (part.get_content_maintype() == "message" and _filename(part)):
            files.append(Attachment(_filename(part) or "message.eml", "message/rfc822", part.as_bytes()))
            continue
        if _is_attachment(part):
            files.append(Attachment(_filename(part) or "attachment", ctype, _payload(part)))
        elif ctype == "text/plain" and not plain:
            plain = decode(_payload(part), part.get_content_charset())
        elif ctype == "text/html" and not html:
            html = decode(_payload(part), part.get_content_charset())
    return plain, html, files


def parse(raw: bytes) -> Mail:
    """The facts of a raw message."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    # raw_items: the values as received (8-bit bytes kept), not compat32's lossy Header objects.
    raw_headers = [(k.lower(), v) for k, v in msg.raw_items()]
    headers = {k: header_text(v) for k, v in raw_headers}
    name, address = email.utils.parseaddr(headers.get("from", ""))
    plain, html, files = _walk(msg)
    from_html = not plain.strip() and bool(html.strip())
    body = html_to_markdown(html, cut_quotes=False) if from_html else tidy(plain)
    return_path = headers.get("return-path")
    return Mail(
        message_id=(_ids(headers.get("message-id", "")) or ("",))[0],
        sender=address.strip(),
        sender_name=name.strip(),
        return_path=None if return_path is None else return_path.strip().strip("<>").strip(),
        subject=headers.get("subject", ""),
        in_reply_to=_ids(headers.get("in-reply-to", "")),
        references=_ids(" ".join(str(v) for k, v in raw_headers if k == "references")),
        headers=headers,
        received=sum(1 for k, _ in raw_headers if k == "received"),
        content_type=msg.get_content_type(),
        report_type=str(msg.get_param("report-type") or "").lower(),
        text=body,
        text_from_html=from_html,
        html=html if from_html else "",
        attachments=tuple(files),
        size=len(raw),
    )
