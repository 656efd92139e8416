"""The portal's REST shapes: typed answers (in the OpenAPI document) and protobuf → JSON."""

from __future__ import annotations

from typing import Literal

from helpdesk.portal.v1 import portal_pb2 as pb
from pydantic import BaseModel, Field

from helpdesk_gateway.api.shapes import Strict, ts

Kind = Literal["idea", "problem", "question", "thanks"]
Status = Literal[
    "new",
    "under_review",
    "planned",
    "in_progress",
    "done",
    "declined",
    "solved",
    "not_a_problem",
    "answered",
    "closed",
    "acknowledged",
]
Visibility = Literal["public", "clients", "staff"]
FileIds = list[int]


class AuthorOut(BaseModel):
    id: int
    name: str
    is_staff: bool


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    created_at: str | None


class AnswerOut(BaseModel):
    body: str = Field(description="Markdown as written")
    html: str = Field(description="sanitised HTML")
    author: AuthorOut
    answered_at: str | None


class PostOut(BaseModel):
    id: int
    kind: str
    status: str
    title: str
    body: str
    html: str
    author_id: int
    author: AuthorOut
    created_at: str | None
    updated_at: str | None
    likes: int
    dislikes: int
    my_vote: Literal["like", "dislike"] | None = Field(description="the caller's own vote")
    comment_count: int
    is_hidden: bool
    answer: AnswerOut | None = Field(description="the official answer, if any")
    ticket_id: int | None = Field(description="the ticket staff made of the post")
    attachments: list[AttachmentOut]
    attachment_ids: list[int]
    allowed_actions: list[str] = Field(
        description="what the caller may do now: comment, like, edit, answer, set_status, hide, link_ticket"
    )


class PostPage(BaseModel):
    items: list[PostOut]
    next_cursor: str | None


class CommentOut(BaseModel):
    id: int
    post_id: int
    author_id: int
    author: AuthorOut
    body: str
    html: str
    created_at: str | None
    updated_at: str | None
    is_hidden: bool
    attachments: list[AttachmentOut]
    attachment_ids: list[int]
    allowed_actions: list[str]


class CommentPage(BaseModel):
    items: list[CommentOut]
    next_cursor: str | None


class NewsOut(BaseModel):
    id: int
    title: str
    body: str
    html: str
    author: AuthorOut
    published_at: str | None
    updated_at: str | None
    attachments: list[AttachmentOut]


class NewsPage(BaseModel):
    items: list[NewsOut]
    next_cursor: str | None


class CategoryOut(BaseModel):
    id: int
    parent_id: int | None
    name: str
    position: int
    article_count: int = Field(description="articles in it the caller may read")


class CategoryList(BaseModel):
    items: list[CategoryOut]
    next_cursor: None = None


class ArticleOut(BaseModel):
    id: int
    category_id: int
    title: str
    body: str
    html: str
    visibility: str
    unit_ids: list[int]
    author: AuthorOut
    created_at: str | None
    updated_at: str | None
    helpful_yes: int
    helpful_no: int
    my_vote: bool | None = Field(description="the caller's (or this browser's) helpful vote")
    attachments: list[AttachmentOut]
    allowed_actions: list[str]


class ArticlePage(BaseModel):
    items: list[ArticleOut]
    next_cursor: str | None


class PortalOut(BaseModel):
    title: str
    intro: str
    kinds: dict[str, list[str]] = Field(description="each kind's statuses; the first is where a post starts")
    max_file_bytes: int
    allowed_types: list[str]


class PortalSettingsIn(Strict):
    enabled: bool = False
    title: str = Field(default="", max_length=200)
    intro: str = Field(default="", max_length=5000)
    notify_user_ids: list[int] = Field(default_factory=list, max_length=50)
    posts_per_hour: int = Field(default=5, ge=0, le=10_000)
    comments_per_hour: int = Field(default=30, ge=0, le=10_000)
    max_file_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=10 * 1024 * 1024)
    allowed_types: list[str] = Field(
        default_factory=lambda: [
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "application/pdf",
            "text/plain",
        ],
        min_length=1,
        max_length=50,
    )


class PortalSettingsOut(BaseModel):
    enabled: bool
    title: str
    intro: str
    notify_user_ids: list[int]
    posts_per_hour: int
    comments_per_hour: int
    max_file_bytes: int
    allowed_types: list[str]


def author_out(a: pb.Author) -> AuthorOut:
    return AuthorOut(id=a.id, name=a.name, is_staff=a.is_staff)


def attachment_out(a: pb.Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=a.id, filename=a.filename, content_type=a.content_type, size=a.size, created_at=ts(a.created_at)
    )


VOTE = {1: "like", -1: "dislike"}


def post_out(p: pb.Post) -> PostOut:
    answer = None
    if p.HasField("answer"):
        answer = AnswerOut(
            body=p.answer.body,
            html=p.answer.html,
            author=author_out(p.answer.author),
            answered_at=ts(p.answer.answered_at),
        )
    return PostOut(
        id=p.id,
        kind=p.kind,
        status=p.status,
        title=p.title,
        body=p.body,
        html=p.html,
        author_id=p.author.id,
        author=author_out(p.author),
        created_at=ts(p.created_at),
        updated_at=ts(p.updated_at),
        likes=p.likes,
        dislikes=p.dislikes,
        my_vote=VOTE.get(p.my_vote),
        comment_count=p.comment_count,
        is_hidden=p.is_hidden,
        answer=answer,
        ticket_id=p.ticket_id or None,
        attachments=[attachment_out(a) for a in p.attachments],
        attachment_ids=[a.id for a in p.attachments],
        allowed_actions=list(p.allowed_actions),
    )


def comment_out(c: pb.Comment) -> CommentOut:
    return CommentOut(
        id=c.id,
        post_id=c.post_id,
        author_id=c.author.id,
        author=author_out(c.author),
        body=c.body,
        html=c.html,
        created_at=ts(c.created_at),
        updated_at=ts(c.updated_at),
        is_hidden=c.is_hidden,
        attachments=[attachment_out(a) for a in c.attachments],
        attachment_ids=[a.id for a in c.attachments],
        allowed_actions=list(c.allowed_actions),
    )


def news_out(n: pb.News) -> NewsOut:
    return NewsOut(
        id=n.id,
        title=n.title,
        body=n.body,
        html=n.html,
        author=author_out(n.author),
        published_at=ts(n.published_at),
        updated_at=ts(n.updated_at),
        attachments=[attachment_out(a) for a in n.attachments],
    )


def category_out(c: pb.Category) -> CategoryOut:
    return CategoryOut(
        id=c.id,
        parent_id=c.parent_id or None,
        name=c.name,
        position=c.position,
        article_count=c.article_count,
    )


def article_out(a: pb.Article) -> ArticleOut:
    return ArticleOut(
        id=a.id,
        category_id=a.category_id,
        title=a.title,
        body=a.body,
        html=a.html,
        visibility=a.visibility,
        unit_ids=list(a.unit_ids),
        author=author_out(a.author),
        created_at=ts(a.created_at),
        updated_at=ts(a.updated_at),
        helpful_yes=a.helpful_yes,
        helpful_no=a.helpful_no,
        my_vote=None if a.my_vote == 0 else a.my_vote > 0,
        attachments=[attachment_out(x) for x in a.attachments],
        allowed_actions=list(a.allowed_actions),
    )


def settings_out(s: pb.Settings) -> PortalSettingsOut:
    return PortalSettingsOut(
        enabled=s.enabled,
        title=s.title,
        intro=s.intro,
        notify_user_ids=list(s.notify_user_ids),
        posts_per_hour=s.posts_per_hour,
        comments_per_hour=s.comments_per_hour,
        max_file_bytes=s.max_file_bytes,
        allowed_types=list(s.allowed_types),
    )
