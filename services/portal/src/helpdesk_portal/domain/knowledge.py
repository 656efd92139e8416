"""News and the knowledge base: articles in a category tree, who reads and who writes them.

An article is meant for one audience:

| visibility | who reads it                                                          |
|------------|-----------------------------------------------------------------------|
| public     | everyone, signed in or not                                            |
| clients    | every signed-in user (clients and staff)                              |
| staff      | staff of the chosen units (none chosen: all staff)                    |

Admins and department heads read every article; an author reads his own. Staff
write articles; the author, department heads and admins edit and delete them.
News is written by admins and read by everyone. Categories (admins) are names in a
tree at most ``MAX_DEPTH`` deep; a category with articles or sub-categories stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from helpdesk_kit.errors import FieldError
from helpdesk_portal.domain.posts import MAX_FILES, Attachment, Author
from helpdesk_portal.domain.viewer import Viewer

VISIBILITIES = ("public", "clients", "staff")
MAX_TITLE = 200
MAX_NEWS_BODY = 50_000
MAX_ARTICLE_BODY = 100_000
MAX_CATEGORY_NAME = 100
MAX_DEPTH = 5
MAX_UNITS = 100
MAX_VISITOR = 100
EDIT, DELETE = "edit", "delete"


@dataclass(frozen=True)
class News:
    id: int
    title: str
    body: str
    html: str
    author: Author
    published_at: datetime
    updated_at: datetime
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Category:
    id: int
    parent_id: int | None
    name: str
    position: int
    article_count: int = 0


@dataclass(frozen=True)
class Article:
    id: int
    category_id: int
    title: str
    body: str
    html: str
    visibility: str
    unit_ids: tuple[int, ...]
    author: Author
    created_at: datetime
    updated_at: datetime
    helpful_yes: int = 0
    helpful_no: int = 0
    my_vote: int = 0
    attachments: tuple[Attachment, ...] = ()


def can_read_article(viewer: Viewer, article: Article) -> bool:
    if article.visibility == "public":
        return True
    if not viewer.is_signed_in:
        return False
    if article.visibility == "clients" or viewer.sees_every_article:
        return True
    if viewer.user_id == article.author.id:
        return True
    return viewer.is_staff and (not article.unit_ids or bool(set(article.unit_ids) & set(viewer.unit_ids)))


def can_write_articles(viewer: Viewer) -> bool:
    return viewer.is_staff


def article_actions(viewer: Viewer, article: Article) -> list[str]:
    mine = viewer.is_signed_in and viewer.user_id == article.author.id
    if viewer.is_staff and (mine or viewer.is_admin or viewer.role == "department_head"):
        return [EDIT, DELETE]
    return []


def can_manage(viewer: Viewer) -> bool:
    """News, categories and the settings are the admins'."""
    return viewer.is_staff and viewer.is_admin


def _text(errors: list[FieldError], name: str, value: str, limit: int, *, required: bool) -> str:
    value = value.strip() if required else value
    if required and not value:
        errors.append(FieldError(name, "must not be empty"))
    if len(value) > limit:
        errors.append(FieldError(name, f"at most {limit} characters"))
    if "\x00" in value:
        errors.append(FieldError(name, "must not contain NUL characters"))
    return value


def checked_title(value: str, errors: list[FieldError]) -> str:
    return _text(errors, "title", value, MAX_TITLE, required=True)


def checked_news_body(value: str, errors: list[FieldError]) -> str:
    return _text(errors, "body", value, MAX_NEWS_BODY, required=True)


def checked_article_body(value: str, errors: list[FieldError]) -> str:
    return _text(errors, "body", value, MAX_ARTICLE_BODY, required=True)


def checked_category_name(value: str, errors: list[FieldError]) -> str:
    return _text(errors, "name", value, MAX_CATEGORY_NAME, required=True)


def checked_files(ids: list[int], errors: list[FieldError]) -> list[int]:
    unique = list(dict.fromkeys(ids))
    if len(unique) > MAX_FILES or any(i <= 0 for i in unique):
        errors.append(FieldError("attachment_ids", f"at most {MAX_FILES} positive ids"))
    return unique


def checked_audience(visibility: str, unit_ids: list[int], errors: list[FieldError]) -> tuple[int, ...]:
    if visibility not in VISIBILITIES:
        errors.append(FieldError("visibility", f"one of {', '.join(VISIBILITIES)}"))
    units = tuple(sorted(set(unit_ids)))
    if units and visibility != "staff":
        errors.append(FieldError("unit_ids", "only articles for staff are narrowed to units"))
    if len(units) > MAX_UNITS or any(u <= 0 for u in units):
        errors.append(FieldError("unit_ids", f"at most {MAX_UNITS} positive unit ids"))
    return units


def checked_visitor(visitor: str) -> list[FieldError]:
    if not visitor or len(visitor) > MAX_VISITOR or not visitor.isascii():
        return [FieldError("visitor", "an anonymous vote needs the visitor cookie")]
    return []


def depth_below(parents: dict[int, int | None], parent_id: int | None, moving: int | None = None) -> int:
    """How deep a category under ``parent_id`` would sit (1 = top level); -1 when the
    chain comes back to ``moving`` (a category put under its own descendant)."""
    depth, current, seen = 1, parent_id, set()
    while current is not None:
        if current == moving or current in seen:
            return -1
        seen.add(current)
        depth += 1
        current = parents.get(current)
    return depth


@dataclass(frozen=True)
class NewArticle:
    category_id: int
    title: str
    body: str
    visibility: str
    unit_ids: list[int] = field(default_factory=list)
    attachment_ids: list[int] = field(default_factory=list)
