"""Text out of mail: bytes in any declared (or wrongly declared) charset to str, and HTML
to safe Markdown. Pure functions; never raise on bad input.

Charsets: the declared one when Python knows it (utf-8, windows-1251, koi8-r, ...); an
unknown or missing label is guessed by charset-normalizer; undecodable bytes become
U+FFFD. HTML: script, style, head and quoted history are removed, the rest becomes
Markdown with markdownify (links kept, images reduced to their alt text); tickets
renders and sanitises that Markdown like any comment.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer
from bs4 import BeautifulSoup
from markdownify import MarkdownConverter

# Elements that are never text; removed with their content.
_INVISIBLE = ("script", "style", "head", "title", "meta", "link", "noscript", "template", "object", "iframe")
# Containers the common mail clients wrap quoted history in (Gmail, Outlook, Thunderbird, Apple).
_QUOTE_CONTAINERS = (
    "div.gmail_quote",
    "blockquote.gmail_quote",
    "div#divRplyFwdMsg",
    "div#appendonsend",
    "div.moz-cite-prefix",
    "blockquote[type=cite]",
    "div.yahoo_quoted",
)
_BLANK_RUNS = re.compile(r"\n{3,}")


def decode(data: bytes, charset: str | None) -> str:
    """``data`` as text: the declared charset if Python knows it, else a guess, else UTF-8;
    bytes that do not fit become U+FFFD."""
    name = (charset or "").strip().strip('"').lower()
    if name in ("", "us-ascii", "ascii") and data.isascii():
        return data.decode("ascii")
    if name:
        try:
            codecs.lookup(name)
        except LookupError:
            name = ""
    if not name or name in ("us-ascii", "ascii"):
        best = charset_normalizer.from_bytes(data).best()
        name = best.encoding if best is not None else "utf-8"
    return data.decode(name, errors="replace")


class _Converter(MarkdownConverter):
    """Images become their alt text: a mail's remote images are trackers or decoration."""

    def convert_img(self, el: object, text: str, parent_tags: set[str]) -> str:
        alt = getattr(el, "attrs", {}).get("alt") or ""
        return str(alt)


def html_to_markdown(html: str, *, cut_quotes: bool = True) -> str:
    """Readable Markdown of a mail's HTML part; quoted history removed when ``cut_quotes``."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_INVISIBLE):
        tag.decompose()
    if cut_quotes:
        for selector in _QUOTE_CONTAINERS:
            for tag in soup.select(selector):
                tag.decompose()
    body = soup.body or soup
    text = _Converter(heading_style="ATX", bullets="-", escape_misc=False).convert_soup(body)
    return tidy(str(text))


def tidy(text: str) -> str:
    """Unix line ends, no trailing blanks, at most one empty line in a row, no NULs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
