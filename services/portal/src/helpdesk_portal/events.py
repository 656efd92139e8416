"""The facts the portal publishes (stream PORTAL, subjects ``portal.<Event>``).

Each function builds one event's subject and payload; the use cases record it in the
outbox in the same transaction as the change. notify tells people (new post → the
staff the settings name; comment → the author and earlier commenters; status and
official answer → the author).
"""

from __future__ import annotations

from datetime import UTC, datetime

from helpdesk.portal.v1 import events_pb2

from helpdesk_kit.streams import subject
from helpdesk_kit.timestamps import to_timestamp
from helpdesk_portal.domain.posts import Post

SERVICE = "portal"
MAX_EXCERPT = 2000


def _facts(post: Post) -> events_pb2.PostFacts:
    return events_pb2.PostFacts(
        id=post.id, kind=post.kind, title=post.title, status=post.status, author_id=post.author.id
    )


def _now() -> datetime:
    return datetime.now(UTC)


def post_created(post: Post, notify_user_ids: tuple[int, ...]) -> tuple[str, events_pb2.PostCreated]:
    return subject(SERVICE, "PostCreated"), events_pb2.PostCreated(
        actor_id=post.author.id,
        occurred_at=to_timestamp(post.created_at),
        post=_facts(post),
        notify_user_ids=sorted(set(notify_user_ids)),
    )


def post_commented(
    post: Post, *, actor_id: int, comment_id: int, body: str, earlier: list[int]
) -> tuple[str, events_pb2.PostCommented]:
    return subject(SERVICE, "PostCommented"), events_pb2.PostCommented(
        actor_id=actor_id,
        occurred_at=to_timestamp(_now()),
        post=_facts(post),
        comment_id=comment_id,
        comment_body=body[:MAX_EXCERPT],
        previous_commenter_ids=earlier,
    )


def post_status_changed(
    post: Post, *, actor_id: int, before: str
) -> tuple[str, events_pb2.PostStatusChanged]:
    return subject(SERVICE, "PostStatusChanged"), events_pb2.PostStatusChanged(
        actor_id=actor_id, occurred_at=to_timestamp(_now()), post=_facts(post), previous_status=before
    )


def post_answered(post: Post, *, actor_id: int) -> tuple[str, events_pb2.PostAnswered]:
    answer = post.answer.body if post.answer else ""
    return subject(SERVICE, "PostAnswered"), events_pb2.PostAnswered(
        actor_id=actor_id, occurred_at=to_timestamp(_now()), post=_facts(post), answer=answer[:MAX_EXCERPT]
    )
