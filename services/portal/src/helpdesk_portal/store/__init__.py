"""The portal's SQL, and only here: one module per table or group of tables.

``settings_table`` (one JSON row), ``people_table`` (names shown), ``post_table`` (posts,
the list query, votes), ``comment_table``, ``file_table`` (uploads, bytes included),
``news_table``, ``kb_tables`` (categories, articles, helpful votes), ``search`` (the
full-text vectors and queries).
"""

from helpdesk_portal.store import (
    comment_table,
    file_table,
    kb_tables,
    news_table,
    people_table,
    post_table,
    search,
    settings_table,
)

__all__ = [
    "comment_table",
    "file_table",
    "kb_tables",
    "news_table",
    "people_table",
    "post_table",
    "search",
    "settings_table",
]
