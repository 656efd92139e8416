"""Judging an uploaded file: its real type is sniffed from the content, not trusted from the name.

A file is accepted only when the sniffed type is one the settings allow and the
file name's extension agrees with it; a ``.php`` or ``.html`` renamed ``.png`` is
refused. Plain text has no magic number: it is accepted as ``text/plain`` only
when it decodes as UTF-8, carries a text extension and does not look like markup.
"""

from __future__ import annotations

import mimetypes
import re

import puremagic

from helpdesk_kit.errors import FieldError
from helpdesk_tickets.errors import InvalidTicket

TEXT_EXTENSIONS = {".txt", ".log", ".csv", ".md"}
_MARKUP = re.compile(rb"<\s*(\?php|script|html|svg|!doctype|iframe|body)", re.IGNORECASE)
SAME = {"image/jpg": "image/jpeg", "application/x-pdf": "application/pdf"}
SNIFF_BYTES = 8192


def _refuse(message: str) -> InvalidTicket:
    return InvalidTicket("The file is refused.", errors=[FieldError("file", message)])


def sniff(head: bytes) -> str | None:
    """The content type the bytes show, or None when nothing matches."""
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return None
    if not matches:
        return None
    mime = str(matches[0].mime_type or "")
    return SAME.get(mime, mime) or None


def judge_file(filename: str, head: bytes, allowed: list[str]) -> str:
    """The content type to store for this file, or InvalidTicket saying why not."""
    name = filename.strip().replace("\\", "/").rsplit("/", 1)[-1]
    if not name or len(name) > 255:
        raise _refuse("a file name of 1 to 255 characters")
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    by_name = SAME.get(mimetypes.types_map.get(ext, ""), mimetypes.types_map.get(ext, ""))
    sniffed = sniff(head)
    if sniffed is None:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            # A multi-byte character may be cut at the sniff boundary; allow 3 bytes.
            try:
                head[:-3].decode("utf-8")
            except UnicodeDecodeError:
                raise _refuse("the content type could not be recognised") from None
        if ext not in TEXT_EXTENSIONS or _MARKUP.search(head):
            raise _refuse("the content does not match the file name")
        sniffed = "text/plain"
    elif sniffed != by_name:
        raise _refuse(f"the content is {sniffed}, not what the name {name!r} says")
    if sniffed not in allowed:
        raise _refuse(f"{sniffed} files are not allowed")
    return sniffed
