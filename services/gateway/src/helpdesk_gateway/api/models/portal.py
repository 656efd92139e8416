"""The portal's resources: its front matter, posts with their answers and comments, files,
news, knowledge-base categories and articles, and its settings (docs/product/portal.md).

Names that tickets also uses (comment, attachment) carry the portal's: the OpenAPI
document has one schema per name.
"""

from __future__ import annotations

from typing import Literal

from helpdesk.portal.v1 import portal_pb2 as pb
from pydantic import Field

from helpdesk_gateway.api.models.base import Out, Page, Timestamp
from helpdesk_gateway.api.shapes import ts

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
# The caller's vote on a post as the portal stores it (+1, -1; 0 = none).
VOTE_NAME: dict[int, Literal["like", "dislike"]] = {1: "like", -1: "dislike"}


class PortalAuthor(Out):
    id: int
    name: str
    is_staff: bool

    @classmethod
    def from_pb(cls, a: pb.Author) -> PortalAuthor:
        return cls.of(id=a.id, name=a.name, is_staff=a.is_staff)


class PortalAttachment(Out):
    id: int
    filename: str
    content_type: str
    size: int
    created_at: Timestamp | None

    @classmethod
    def from_pb(cls, a: pb.Attachment) -> PortalAttachment:
        return cls.of(
            id=a.id,
            filename=a.filename,
            content_type=a.content_type,
            size=a.size,
            created_at=ts(a.created_at),
        )


def _files(attachments: list[pb.Attachment]) -> list[PortalAttachment]:
    return [PortalAttachment.from_pb(a) for a in attachments]


class PortalInfo(Out):
    title: str
    intro: str
    kinds: dict[str, list[str]] = Field(description="each kind's statuses; the first is where a post starts")
    max_file_bytes: int
    allowed_types: list[str]

    @classmethod
    def from_pb(cls, info: pb.PortalInfo) -> PortalInfo:
        return cls.of(
            title=info.title,
            intro=info.intro,
            kinds={k.kind: list(k.statuses) for k in info.kinds},
            max_file_bytes=info.max_file_bytes,
            allowed_types=list(info.allowed_types),
        )


class PostAnswer(Out):
    body: str = Field(description="Markdown as written")
    html: str = Field(description="sanitised HTML")
    author: PortalAuthor
    answered_at: Timestamp | None


class Post(Out):
    id: int
    kind: Kind
    status: Status
    title: str
    body: str
    html: str
    author_id: int
    author: PortalAuthor
    created_at: Timestamp | None
    updated_at: Timestamp | None
    likes: int
    dislikes: int
    my_vote: Literal["like", "dislike"] | None = Field(description="the caller's own vote")
    comment_count: int
    is_hidden: bool
    answer: PostAnswer | None = Field(description="the official answer, if any")
    ticket_id: int | None = Field(description="the ticket staff made of the post")
    attachments: list[PortalAttachment]
    attachment_ids: list[int]
    allowed_actions: list[str] = Field(
        description="what the caller may do now: comment, like, edit, answer, set_status, hide, link_ticket"
    )

    @classmethod
    def from_pb(cls, p: pb.Post) -> Post:
        answer = None
        if p.HasField("answer"):
            answer = PostAnswer.of(
                body=p.answer.body,
                html=p.answer.html,
                author=PortalAuthor.from_pb(p.answer.author),
                answered_at=ts(p.answer.answered_at),
            )
        return cls.of(
            id=p.id,
            kind=p.kind,
            status=p.status,
            title=p.title,
            body=p.body,
            html=p.html,
            author_id=p.author.id,
            author=PortalAuthor.from_pb(p.author),
            created_at=ts(p.created_at),
            updated_at=ts(p.updated_at),
            likes=p.likes,
            dislikes=p.dislikes,
            my_vote=VOTE_NAME.get(p.my_vote),
            comment_count=p.comment_count,
            is_hidden=p.is_hidden,
            answer=answer,
            ticket_id=p.ticket_id or None,
            attachments=_files(list(p.attachments)),
            attachment_ids=[a.id for a in p.attachments],
            allowed_actions=list(p.allowed_actions),
        )


class PostList(Page):
    items: list[Post]


class PostComment(Out):
    id: int
    post_id: int
    author_id: int
    author: PortalAuthor
    body: str
    html: str
    created_at: Timestamp | None
    updated_at: Timestamp | None
    is_hidden: bool
    attachments: list[PortalAttachment]
    attachment_ids: list[int]
    allowed_actions: list[str]

    @classmethod
    def from_pb(cls, c: pb.Comment) -> PostComment:
        return cls.of(
            id=c.id,
            post_id=c.post_id,
            author_id=c.author.id,
            author=PortalAuthor.from_pb(c.author),
            body=c.body,
            html=c.html,
            created_at=ts(c.created_at),
            updated_at=ts(c.updated_at),
            is_hidden=c.is_hidden,
            attachments=_files(list(c.attachments)),
            attachment_ids=[a.id for a in c.attachments],
            allowed_actions=list(c.allowed_actions),
        )


class PostCommentList(Page):
    items: list[PostComment]


class TicketOfPost(Out):
    """A ticket made of a post, and the post now naming it."""

    ticket_id: int
    ticket_number: int
    post: Post


class NewsItem(Out):
    id: int
    title: str
    body: str
    html: str
    author: PortalAuthor
    published_at: Timestamp | None
    updated_at: Timestamp | None
    attachments: list[PortalAttachment]

    @classmethod
    def from_pb(cls, n: pb.News) -> NewsItem:
        return cls.of(
            id=n.id,
            title=n.title,
            body=n.body,
            html=n.html,
            author=PortalAuthor.from_pb(n.author),
            published_at=ts(n.published_at),
            updated_at=ts(n.updated_at),
            attachments=_files(list(n.attachments)),
        )


class NewsList(Page):
    items: list[NewsItem]


class KbCategory(Out):
    id: int
    parent_id: int | None
    name: str
    position: int
    article_count: int = Field(description="articles in it the caller may read")

    @classmethod
    def from_pb(cls, c: pb.Category) -> KbCategory:
        return cls.of(
            id=c.id,
            parent_id=c.parent_id or None,
            name=c.name,
            position=c.position,
            article_count=c.article_count,
        )


class KbCategoryList(Page):
    items: list[KbCategory]


class KbArticle(Out):
    id: int
    category_id: int
    title: str
    body: str
    html: str
    visibility: Visibility
    unit_ids: list[int]
    author: PortalAuthor
    created_at: Timestamp | None
    updated_at: Timestamp | None
    helpful_yes: int
    helpful_no: int
    my_vote: bool | None = Field(description="the caller's (or this browser's) helpful vote")
    attachments: list[PortalAttachment]
    allowed_actions: list[str]

    @classmethod
    def from_pb(cls, a: pb.Article) -> KbArticle:
        return cls.of(
            id=a.id,
            category_id=a.category_id,
            title=a.title,
            body=a.body,
            html=a.html,
            visibility=a.visibility,
            unit_ids=list(a.unit_ids),
            author=PortalAuthor.from_pb(a.author),
            created_at=ts(a.created_at),
            updated_at=ts(a.updated_at),
            helpful_yes=a.helpful_yes,
            helpful_no=a.helpful_no,
            my_vote=None if a.my_vote == 0 else a.my_vote > 0,
            attachments=_files(list(a.attachments)),
            allowed_actions=list(a.allowed_actions),
        )


class KbArticleList(Page):
    items: list[KbArticle]


class PortalSettings(Out):
    enabled: bool
    title: str
    intro: str
    notify_user_ids: list[int]
    posts_per_hour: int = Field(description="new posts per user and hour (0: no limit)")
    comments_per_hour: int = Field(description="comments per user and hour (0: no limit)")
    max_file_bytes: int
    allowed_types: list[str]

    @classmethod
    def from_pb(cls, s: pb.Settings) -> PortalSettings:
        return cls.of(
            enabled=s.enabled,
            title=s.title,
            intro=s.intro,
            notify_user_ids=list(s.notify_user_ids),
            posts_per_hour=s.posts_per_hour,
            comments_per_hour=s.comments_per_hour,
            max_file_bytes=s.max_file_bytes,
            allowed_types=list(s.allowed_types),
        )
