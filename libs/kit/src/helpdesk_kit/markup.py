"""Markdown as written → HTML that is safe to put in a page (ticket comments, portal posts).

markdown-it runs with raw HTML disabled (``<script>`` stays text), and nh3
(ammonia) then keeps only an allow-list of tags and attributes, so even a
``javascript:`` link or an ``onerror`` attribute never reaches a browser. One
renderer for every service that stores Markdown, so they all allow the same.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

__all__ = ["render"]

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"style"}, "td": {"style"}}


def render(markdown: str) -> str:
    """Sanitised HTML for ``markdown``."""
    return nh3.clean(
        _md.render(markdown),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
