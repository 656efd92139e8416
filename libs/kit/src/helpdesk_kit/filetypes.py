"""Judging an uploaded file: its real type is sniffed from the content, not trusted from the name.

A file is accepted only when the sniffed type is one the caller allows and the
file name's extension agrees with it; a ``.php`` or ``.html`` renamed ``.png`` is
refused. Plain text has no magic number: it is accepted as ``text/plain`` only
when it decodes as UTF-8, carries a text extension and does not look like markup.
Every service that takes uploads (tickets, portal) judges them here.
"""

from __future__ import annotations

import mimetypes
import re

import puremagic

from helpdesk_kit.errors import FieldError, InvalidInput

__all__ = ["SNIFF_BYTES", "TEXT_EXTENSIONS", "judge_file", "refusal", "sniff"]

TEXT_EXTENSIONS = {".txt", ".log", ".csv", ".md"}
_MARKUP = re.compile(rb"<\s*(\?php|script|html|svg|!doctype|iframe|body)", re.IGNORECASE)
SAME = {"image/jpg": "image/jpeg", "application/x-pdf": "application/pdf"}
SNIFF_BYTES = 8192


def refusal(message: str, error: type[InvalidInput] = InvalidInput) -> InvalidInput:
    """The error that refuses a file, saying why on the field ``file``."""
    return error("The file is refused.", errors=[FieldError("file", message)])


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


def _plain_text(head: bytes, ext: str, error: type[InvalidInput]) -> str:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the sniff boundary; allow 3 bytes.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            raise refusal("the content type could not be recognised", error) from None
    if ext not in TEXT_EXTENSIONS or _MARKUP.search(head):
        raise refusal("the content does not match the file name", error)
    return "text/plain"


def judge_file(
    filename: str, head: bytes, allowed: list[str], *, error: type[InvalidInput] = InvalidInput
) -> str:
    """The content type to store for this file, or ``error`` (a 422 on the field ``file``)
    saying why not. ``head``: the first ``SNIFF_BYTES`` of the file (or all of it)."""
    name = filename.strip().replace("\\", "/").rsplit("/", 1)[-1]
    if not name or len(name) > 255 or any(ord(c) < 32 for c in name):
        raise refusal("a file name of 1 to 255 characters, without control characters", error)
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    by_name = SAME.get(mimetypes.types_map.get(ext, ""), mimetypes.types_map.get(ext, ""))
    sniffed = sniff(head)
    if sniffed is None:
        sniffed = _plain_text(head, ext, error)
    elif sniffed != by_name:
        raise refusal(f"the content is {sniffed}, not what the name {name!r} says", error)
    if sniffed not in allowed:
        raise refusal(f"{sniffed} files are not allowed", error)
    return sniffed
