"""Domain → protobuf: what the gRPC answers carry (with what this caller may do)."""

from __future__ import annotations

from helpdesk.portal.v1 import portal_pb2 as pb

from helpdesk_kit.timestamps import to_timestamp
from helpdesk_portal.domain import knowledge
from helpdesk_portal.domain import posts as rules
from helpdesk_portal.domain.knowledge import Article, Category, News
from helpdesk_portal.domain.posts import Attachment, Author, Comment, Post
from helpdesk_portal.domain.settings import PortalSettings
from helpdesk_portal.domain.viewer import Viewer


def author_to_pb(a: Author) -> pb.Author:
    return pb.Author(id=a.id, name=a.name, is_staff=a.is_staff)


def attachment_to_pb(a: Attachment) -> pb.Attachment:
    return pb.Attachment(
        id=a.id,
        filename=a.filename,
        content_type=a.content_type,
        size=a.size,
        created_at=to_timestamp(a.created_at),
    )


def post_to_pb(p: Post, viewer: Viewer) -> pb.Post:
    msg = pb.Post(
        id=p.id,
        kind=p.kind,
        status=p.status,
        title=p.title,
        body=p.body,
        html=p.html,
        author=author_to_pb(p.author),
        created_at=to_timestamp(p.created_at),
        updated_at=to_timestamp(p.updated_at),
        likes=p.likes,
        dislikes=p.dislikes,
        my_vote=p.my_vote,
        comment_count=p.comment_count,
        is_hidden=p.is_hidden,
        ticket_id=p.ticket_id or 0,
        attachments=[attachment_to_pb(a) for a in p.attachments],
        allowed_actions=rules.post_actions(viewer, p),
    )
    if p.answer is not None:
        msg.answer.CopyFrom(
            pb.OfficialAnswer(
                body=p.answer.body,
                html=p.answer.html,
                author=author_to_pb(p.answer.author),
                answered_at=to_timestamp(p.answer.answered_at),
            )
        )
    return msg


def comment_to_pb(c: Comment, viewer: Viewer) -> pb.Comment:
    return pb.Comment(
        id=c.id,
        post_id=c.post_id,
        author=author_to_pb(c.author),
        body=c.body,
        html=c.html,
        created_at=to_timestamp(c.created_at),
        updated_at=to_timestamp(c.updated_at),
        is_hidden=c.is_hidden,
        attachments=[attachment_to_pb(a) for a in c.attachments],
        allowed_actions=rules.comment_actions(viewer, c),
    )


def news_to_pb(n: News) -> pb.News:
    return pb.News(
        id=n.id,
        title=n.title,
        body=n.body,
        html=n.html,
        author=author_to_pb(n.author),
        published_at=to_timestamp(n.published_at),
        updated_at=to_timestamp(n.updated_at),
        attachments=[attachment_to_pb(a) for a in n.attachments],
    )


def category_to_pb(c: Category) -> pb.Category:
    return pb.Category(
        id=c.id, parent_id=c.parent_id or 0, name=c.name, position=c.position, article_count=c.article_count
    )


def article_to_pb(a: Article, viewer: Viewer) -> pb.Article:
    return pb.Article(
        id=a.id,
        category_id=a.category_id,
        title=a.title,
        body=a.body,
        html=a.html,
        visibility=a.visibility,
        unit_ids=list(a.unit_ids),
        author=author_to_pb(a.author),
        created_at=to_timestamp(a.created_at),
        updated_at=to_timestamp(a.updated_at),
        helpful_yes=a.helpful_yes,
        helpful_no=a.helpful_no,
        my_vote=a.my_vote,
        attachments=[attachment_to_pb(x) for x in a.attachments],
        allowed_actions=knowledge.article_actions(viewer, a),
    )


def settings_to_pb(s: PortalSettings) -> pb.Settings:
    return pb.Settings(
        enabled=s.enabled,
        title=s.title,
        intro=s.intro,
        notify_user_ids=list(s.notify_user_ids),
        posts_per_hour=s.posts_per_hour,
        comments_per_hour=s.comments_per_hour,
        max_file_bytes=s.max_file_bytes,
        allowed_types=list(s.allowed_types),
    )


def settings_from_pb(m: pb.Settings) -> PortalSettings:
    return PortalSettings(
        enabled=m.enabled,
        title=m.title,
        intro=m.intro,
        notify_user_ids=tuple(m.notify_user_ids),
        posts_per_hour=m.posts_per_hour,
        comments_per_hour=m.comments_per_hour,
        max_file_bytes=m.max_file_bytes,
        allowed_types=tuple(m.allowed_types),
    )
