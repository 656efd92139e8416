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

__all__ = [
    "REFUSED",
    "SNIFF_BYTES",
    "TEXT_EXTENSIONS",
    "allowed_names",
    "empty",
    "human_size",
    "judge_file",
    "refusal",
    "sniff",
    "too_large",
]

TEXT_EXTENSIONS = {".txt", ".log", ".csv", ".md"}
_MARKUP = re.compile(rb"<\s*(\?php|script|html|svg|!doctype|iframe|body)", re.IGNORECASE)
SAME = {"image/jpg": "image/jpeg", "application/x-pdf": "application/pdf"}
SNIFF_BYTES = 8192


REFUSED = "file.refused"  # the stable code of every refusal (problem+json ``code``)


def refusal(
    message: str, error: type[InvalidInput] = InvalidInput, code: str = "", **params: object
) -> InvalidInput:
    """The error that refuses a file, saying why on the field ``file``; ``code`` and
    ``params`` let an interface say it in the user's language."""
    return error(
        "The file is refused.",
        errors=[FieldError("file", message, code=code, params=dict(params))],
        key=REFUSED,
    )


def human_size(n: int) -> str:
    """Bytes as people read them: ``10 MB``, ``512 KB``, ``1.5 MB`` (binary units)."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} B"


def too_large(max_bytes: int, error: type[InvalidInput] = InvalidInput) -> InvalidInput:
    return refusal(f"larger than {human_size(max_bytes)}", error, "too_large", max_bytes=max_bytes)


def empty(error: type[InvalidInput] = InvalidInput) -> InvalidInput:
    return refusal("empty", error, "empty")


def allowed_names(allowed: list[str]) -> str:
    """The allowed types as extensions people know (``.png, .pdf``), for messages."""
    return ", ".join(mimetypes.guess_extension(t) or t for t in allowed)


def sniff(head: bytes, ext: str = "") -> str | None:
    """The content type the bytes show, or None when nothing matches. Several types share
    a signature (a ZIP archive and an Office document both start ``PK``): among the most
    likely ones, the type the file name says wins, else the first."""
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return None
    best = [m for m in matches if m.mime_type and m.confidence == max(x.confidence for x in matches)]
    if not best:
        return None
    chosen = next((m for m in best if ext and m.extension == ext), best[0])
    mime = str(chosen.mime_type)
    return SAME.get(mime, mime) or None


def _plain_text(head: bytes, ext: str, name: str, allowed: list[str], error: type[InvalidInput]) -> str:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the sniff boundary; allow 3 bytes.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            raise refusal(
                "the content type could not be recognised",
                error,
                "unknown_type",
                allowed=allowed_names(allowed),
            ) from None
    if ext not in TEXT_EXTENSIONS or _MARKUP.search(head):
        raise refusal("the content does not match the file name", error, "type_mismatch", name=name)
    return "text/plain"


def judge_file(
    filename: str, head: bytes, allowed: list[str], *, error: type[InvalidInput] = InvalidInput
) -> str:
    """The content type to store for this file, or ``error`` (a 422 on the field ``file``)
    saying why not. ``head``: the first ``SNIFF_BYTES`` of the file (or all of it)."""
    name = filename.strip().replace("\\", "/").rsplit("/", 1)[-1]
    if not name or len(name) > 255 or any(ord(c) < 32 for c in name):
        raise refusal("a file name of 1 to 255 characters, without control characters", error, "bad_name")
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    by_name = SAME.get(mimetypes.types_map.get(ext, ""), mimetypes.types_map.get(ext, ""))
    sniffed = sniff(head, ext)
    if sniffed is None:
        sniffed = _plain_text(head, ext, name, allowed, error)
    elif sniffed != by_name:
        raise refusal(
            f"the content is {sniffed}, not what the name {name!r} says",
            error,
            "type_mismatch",
            name=name,
            type=sniffed,
        )
    if sniffed not in allowed:
        kinds = allowed_names(allowed)
        raise refusal(
            f"{sniffed} files are not allowed (allowed: {kinds})",
            error,
            "type_not_allowed",
            type=sniffed,
            allowed=kinds,
        )
    return sniffed
