"""Posts and their comments: kinds, the statuses of each kind, limits, and who may do what.

| kind     | statuses (the first is where a post starts)                        |
|----------|--------------------------------------------------------------------|
| idea     | new, under_review, planned, in_progress, done, declined            |
| problem  | new, under_review, in_progress, solved, not_a_problem              |
| question | new, answered, closed                                              |
| thanks   | new, acknowledged                                                  |

Sorting by status puts open posts first: each status has a rank (new 0 … closed 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from helpdesk_kit.errors import FieldError
from helpdesk_portal.domain.viewer import Viewer

STATUSES: dict[str, tuple[str, ...]] = {
    "idea": ("new", "under_review", "planned", "in_progress", "done", "declined"),
    "problem": ("new", "under_review", "in_progress", "solved", "not_a_problem"),
    "question": ("new", "answered", "closed"),
    "thanks": ("new", "acknowledged"),
}
KINDS = tuple(STATUSES)
STATUS_RANK = {
    "new": 0,
    "under_review": 1,
    "planned": 2,
    "in_progress": 3,
    "answered": 4,
    "done": 5,
    "solved": 5,
    "acknowledged": 5,
    "declined": 6,
    "not_a_problem": 6,
    "closed": 6,
}
SORTS = ("new", "popular", "status")

MAX_TITLE = 200
MAX_BODY = 20_000
MAX_COMMENT = 10_000
MAX_ANSWER = 20_000
MAX_FILES = 10

# What a caller may do with a post / a comment (``allowed_actions``).
COMMENT, LIKE, EDIT, ANSWER, SET_STATUS, HIDE, LINK_TICKET = (
    "comment",
    "like",
    "edit",
    "answer",
    "set_status",
    "hide",
    "link_ticket",
)


@dataclass(frozen=True)
class Author:
    id: int
    name: str
    is_staff: bool


@dataclass(frozen=True)
class Attachment:
    id: int
    filename: str
    content_type: str
    size: int
    created_at: datetime


@dataclass(frozen=True)
class Answer:
    body: str
    html: str
    author: Author
    answered_at: datetime


@dataclass(frozen=True)
class Post:
    id: int
    kind: str
    status: str
    title: str
    body: str
    html: str
    author: Author
    created_at: datetime
    updated_at: datetime
    likes: int = 0
    dislikes: int = 0
    my_vote: int = 0
    comment_count: int = 0
    is_hidden: bool = False
    answer: Answer | None = None
    ticket_id: int | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Comment:
    id: int
    post_id: int
    author: Author
    body: str
    html: str
    created_at: datetime
    updated_at: datetime
    is_hidden: bool = False
    attachments: tuple[Attachment, ...] = ()


def _text(errors: list[FieldError], name: str, value: str, limit: int, *, required: bool) -> str:
    value = value.strip() if required else value
    if required and not value:
        errors.append(FieldError(name, "must not be empty"))
    if len(value) > limit:
        errors.append(FieldError(name, f"at most {limit} characters"))
    if "\x00" in value:
        errors.append(FieldError(name, "must not contain NUL characters"))
    return value


def _files(errors: list[FieldError], ids: list[int]) -> list[int]:
    unique = list(dict.fromkeys(ids))
    if len(unique) > MAX_FILES:
        errors.append(FieldError("attachment_ids", f"at most {MAX_FILES} files"))
    if any(i <= 0 for i in unique):
        errors.append(FieldError("attachment_ids", "ids are positive"))
    return unique


@dataclass(frozen=True)
class NewPost:
    kind: str
    title: str
    body: str
    attachment_ids: list[int] = field(default_factory=list)

    def checked(self) -> tuple[NewPost, list[FieldError]]:
        errors: list[FieldError] = []
        if self.kind not in STATUSES:
            errors.append(FieldError("kind", f"one of {', '.join(KINDS)}"))
        title = _text(errors, "title", self.title, MAX_TITLE, required=True)
        body = _text(errors, "body", self.body, MAX_BODY, required=False)
        files = _files(errors, self.attachment_ids)
        return NewPost(self.kind, title, body, files), errors


@dataclass(frozen=True)
class PostChange:
    """A change of a post; ``None`` = unchanged. ``answer`` "" removes the answer."""

    title: str | None = None
    body: str | None = None
    status: str | None = None
    answer: str | None = None
    is_hidden: bool | None = None

    def checked(self, post: Post) -> tuple[PostChange, list[FieldError]]:
        errors: list[FieldError] = []
        title = None if self.title is None else _text(errors, "title", self.title, MAX_TITLE, required=True)
        body = None if self.body is None else _text(errors, "body", self.body, MAX_BODY, required=False)
        answer = None
        if self.answer is not None:
            answer = _text(errors, "answer", self.answer, MAX_ANSWER, required=False).strip()
        if self.status is not None and self.status not in STATUSES[post.kind]:
            errors.append(FieldError("status", f"for a {post.kind}: one of {', '.join(STATUSES[post.kind])}"))
        return PostChange(title, body, self.status, answer, self.is_hidden), errors

    def needs(self, post: Post) -> set[str]:
        """The rights this change asks for (an unchanged value asks for nothing)."""
        wanted: set[str] = set()
        if (self.title is not None and self.title != post.title) or (
            self.body is not None and self.body != post.body
        ):
            wanted.add(EDIT)
        if self.status is not None and self.status != post.status:
            wanted.add(SET_STATUS)
        if self.answer is not None and self.answer != (post.answer.body if post.answer else ""):
            wanted.add(ANSWER)
        if self.is_hidden is not None and self.is_hidden != post.is_hidden:
            wanted.add(HIDE)
        return wanted


def status_after_answer(post: Post, answered: bool) -> str:
    """An official answer to a new question marks it answered (staff may change it later)."""
    if answered and post.kind == "question" and post.status == "new":
        return "answered"
    return post.status


def can_read_post(viewer: Viewer, post: Post) -> bool:
    """Hidden posts are moderated away: only staff still read them."""
    return not post.is_hidden or viewer.is_staff


def post_actions(viewer: Viewer, post: Post) -> list[str]:
    """What ``viewer`` may do with ``post`` now (he can read it)."""
    if not viewer.is_signed_in:
        return []
    actions = [COMMENT, LIKE]
    if viewer.is_staff or viewer.user_id == post.author.id:
        actions.append(EDIT)
    if viewer.is_staff:
        actions += [ANSWER, SET_STATUS, HIDE]
        if post.ticket_id is None:
            actions.append(LINK_TICKET)
    return actions


def can_read_comment(viewer: Viewer, comment: Comment) -> bool:
    return not comment.is_hidden or viewer.is_staff


def comment_actions(viewer: Viewer, comment: Comment) -> list[str]:
    actions: list[str] = []
    if viewer.is_staff or (viewer.is_signed_in and viewer.user_id == comment.author.id):
        actions.append(EDIT)
    if viewer.is_staff:
        actions.append(HIDE)
    return actions


@dataclass(frozen=True)
class NewComment:
    body: str
    attachment_ids: list[int] = field(default_factory=list)

    def checked(self) -> tuple[NewComment, list[FieldError]]:
        errors: list[FieldError] = []
        body = _text(errors, "body", self.body, MAX_COMMENT, required=False)
        files = _files(errors, self.attachment_ids)
        if not body.strip() and not files:
            errors.append(FieldError("body", "write something or attach a file"))
        return NewComment(body, files), errors


def checked_comment_body(body: str) -> tuple[str, list[FieldError]]:
    errors: list[FieldError] = []
    value = _text(errors, "body", body, MAX_COMMENT, required=True)
    return value, errors


def vote_value(value: int) -> list[FieldError]:
    return [] if value in (-1, 0, 1) else [FieldError("value", "1 (like), -1 (dislike) or 0 (none)")]
