"""Full text: what goes into the search vectors and how a query is read.

The ``russian`` configuration stems Cyrillic words with the Russian stemmer and Latin
ones with the English stemmer, so one index serves both languages. Text is lower-cased
here, in Python: PostgreSQL under the C locale would not fold Cyrillic.
"""

from __future__ import annotations

MAX_SEARCH_CHARS = 20_000

# Title weighs more than body, body more than the official answer.
POST_VECTOR = (
    "setweight(to_tsvector('russian', {t}::text), 'A')"
    " || setweight(to_tsvector('russian', {b}::text), 'B')"
    " || setweight(to_tsvector('russian', {a}::text), 'C')"
)
ARTICLE_VECTOR = (
    "setweight(to_tsvector('russian', {t}::text), 'A') || setweight(to_tsvector('russian', {b}::text), 'B')"
)


def search_text(text: str) -> str:
    """Bounded (a huge body cannot bloat the vector) and lower-cased."""
    return text[:MAX_SEARCH_CHARS].lower()


def matches(column: str, param: str) -> str:
    """The WHERE clause of a search (websearch syntax: words, "phrases", -not, or)."""
    return f"{column} @@ websearch_to_tsquery('russian', {param})"
