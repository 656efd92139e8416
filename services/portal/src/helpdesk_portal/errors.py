"""Errors of the portal service.

AppError (kit)
├── NotFound ───── PortalOff          the portal is switched off: every route is a 404
│                  PostNotFound, CommentNotFound, NewsNotFound, CategoryNotFound,
│                  ArticleNotFound, AttachmentNotFound   missing, or not for this reader
├── InvalidInput ─ InvalidPortal      fields that break the portal's rules
├── Forbidden ──── NotAllowed         visible, but not the caller's to do
├── Unauthenticated ─ SignInNeeded    an anonymous reader tried to write
├── Conflict ───── PortalConflict     the state does not allow it (a category not empty,
│                                     a post already turned into a ticket)
└── RateLimited ── TooManyPosts       over the per-user posting limit of the settings
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk_kit.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthenticated,
)


@dataclass
class PortalOff(NotFound):
    detail: str = "The portal is switched off."


@dataclass
class PostNotFound(NotFound):
    detail: str = "No such post."


@dataclass
class CommentNotFound(NotFound):
    detail: str = "No such comment."


@dataclass
class NewsNotFound(NotFound):
    detail: str = "No such news item."


@dataclass
class CategoryNotFound(NotFound):
    detail: str = "No such category."


@dataclass
class ArticleNotFound(NotFound):
    detail: str = "No such article."


@dataclass
class AttachmentNotFound(NotFound):
    detail: str = "No such file."


@dataclass
class InvalidPortal(InvalidInput):
    pass


@dataclass
class NotAllowed(Forbidden):
    pass


@dataclass
class SignInNeeded(Unauthenticated):
    detail: str = "Sign in to do this."


@dataclass
class PortalConflict(Conflict):
    pass


@dataclass
class TooManyPosts(RateLimited):
    pass


def invalid(errors: list[FieldError], detail: str = "The input is not valid.") -> InvalidPortal:
    """A 422 naming every offending field."""
    return InvalidPortal(detail, errors=errors)
