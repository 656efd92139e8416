"""REST for the portal (docs/api-conventions.md § Portal): HTTP ⇄ gRPC, nothing more; the
rules live in the portal service. Reads are public: without a bearer token the gateway
asks the portal for nobody (no passport), and the portal shows what anyone may see.
While the portal is switched off every route here answers 404 — to everyone, before the
caller or the body is looked at (``portal_switched_on``, asked of the portal at most every
2 s per gateway; the portal refuses every call itself too).

Making a ticket of a post is orchestrated here, with the staff member's passport:
tickets.CreateTicket (idempotent per post), then portal.LinkTicket.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response
from helpdesk.portal.v1 import portal_pb2 as pb
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import Field

from helpdesk_gateway.api import portal_files, portal_kb
from helpdesk_gateway.api.models.portal import (
    Kind,
    PortalInfo,
    Post,
    PostComment,
    PostCommentList,
    PostList,
    Status,
    TicketOfPost,
)
from helpdesk_gateway.api.models.tickets import PRIORITY_PB, Priority
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.values import LINE, Id, IdPath, IdQuery, line, text
from helpdesk_gateway.auth import CallerDep, ViewerDep
from helpdesk_kit.errors import Conflict, Forbidden, NotFound


async def portal_switched_on(request: Request) -> None:
    """404 for every portal route while the portal is off (anonymous writers and bad bodies
    included: this runs before the caller and the body are read)."""
    c = clients(request)
    on = c.portal_switch.get("on")
    if on is None:
        try:
            await c.portal.GetPortal(pb.GetPortalRequest())
            on = True
        except NotFound:
            on = False
        c.portal_switch.put("on", on)
    if not on:
        raise NotFound("The portal is switched off.")


router = api_router(prefix="/api/v1", dependencies=[Depends(portal_switched_on)])
router.include_router(portal_kb.router)
router.include_router(portal_files.router)

FileIds = Annotated[list[Id], Field(max_length=10, description="your uploads (POST /portal/attachments)")]
Cursor = Annotated[str | None, Query(max_length=500, pattern=LINE)]
Limit = Annotated[int, Query(ge=1, le=200)]
VOTES = {"like": 1, "dislike": -1, "none": 0}


class PostIn(Strict):
    kind: Kind
    title: str = line(200, min_length=1)
    body: str = text(20_000, default="", description="Markdown")
    attachment_ids: FileIds = []


class PostPatch(Strict):
    title: str | None = line(200, min_length=1, default=None)
    body: str | None = text(20_000, default=None)
    status: Status | None = Field(default=None, description="staff; one of the kind's statuses")
    answer: str | None = text(20_000, default=None, description='staff; the official answer, "" removes it')
    is_hidden: bool | None = Field(default=None, description="staff; hidden posts are read by staff only")


class CommentIn(Strict):
    body: str = text(10_000, default="", description="Markdown; may be empty with files")
    attachment_ids: FileIds = []


class CommentPatch(Strict):
    body: str | None = text(10_000, min_length=1, default=None)
    is_hidden: bool | None = None


class LikeIn(Strict):
    value: Literal["like", "dislike", "none"] = Field(
        default="like", description='"none" takes the vote back'
    )


class TicketIn(Strict):
    unit_id: Id
    priority: Priority = "normal"


@router.get("/portal")
async def portal_info(viewer: ViewerDep, request: Request) -> PortalInfo:
    c = clients(request)
    try:
        info = await c.portal.GetPortal(pb.GetPortalRequest())
    except NotFound:
        # Switched off since the switch was last asked: every route here says so from now on.
        c.portal_switch.put("on", False)
        raise
    return PortalInfo.from_pb(info)


@router.get("/portal/posts")
async def list_posts(
    viewer: ViewerDep,
    request: Request,
    kind: Kind | None = None,
    status: Status | None = None,
    q: Annotated[str | None, Query(max_length=500, pattern=LINE)] = None,
    sort: Literal["new", "popular", "status"] = "new",
    author_id: IdQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> PostList:
    resp = await clients(request).portal.ListPosts(
        pb.ListPostsRequest(
            kind=kind or "",
            status=status or "",
            q=q or "",
            sort=sort,
            author_id=author_id or 0,
            limit=limit,
            cursor=cursor or "",
        )
    )
    return PostList.of(items=[Post.from_pb(p) for p in resp.posts], next_cursor=resp.next_cursor or None)


@router.post("/portal/posts", status_code=201)
async def create_post(body: PostIn, caller: CallerDep, request: Request, response: Response) -> Post:
    post = await clients(request).portal.CreatePost(
        pb.CreatePostRequest(
            kind=body.kind, title=body.title, body=body.body, attachment_ids=body.attachment_ids
        )
    )
    response.headers["Location"] = f"/api/v1/portal/posts/{post.id}"
    return Post.from_pb(post)


@router.get("/portal/posts/{post_id}")
async def get_post(post_id: IdPath, viewer: ViewerDep, request: Request) -> Post:
    return Post.from_pb(await clients(request).portal.GetPost(pb.PostRequest(post_id=post_id)))


@router.patch("/portal/posts/{post_id}")
async def update_post(post_id: IdPath, body: PostPatch, caller: CallerDep, request: Request) -> Post:
    post = await clients(request).portal.UpdatePost(
        pb.UpdatePostRequest(
            post_id=post_id,
            title=body.title,
            body=body.body,
            status=body.status,
            answer=body.answer,
            is_hidden=body.is_hidden,
        )
    )
    return Post.from_pb(post)


@router.post("/portal/posts/{post_id}/like")
async def like(post_id: IdPath, caller: CallerDep, request: Request, body: LikeIn | None = None) -> Post:
    value = VOTES[(body or LikeIn()).value]
    return Post.from_pb(
        await clients(request).portal.VotePost(pb.VotePostRequest(post_id=post_id, value=value))
    )


@router.get("/portal/posts/{post_id}/comments")
async def list_comments(
    post_id: IdPath, viewer: ViewerDep, request: Request, limit: Limit = 50, cursor: Cursor = None
) -> PostCommentList:
    resp = await clients(request).portal.ListComments(
        pb.ListCommentsRequest(post_id=post_id, limit=limit, cursor=cursor or "")
    )
    return PostCommentList.of(
        items=[PostComment.from_pb(c) for c in resp.comments], next_cursor=resp.next_cursor or None
    )


@router.post("/portal/posts/{post_id}/comments", status_code=201)
async def add_comment(post_id: IdPath, body: CommentIn, caller: CallerDep, request: Request) -> PostComment:
    comment = await clients(request).portal.AddComment(
        pb.AddCommentRequest(post_id=post_id, body=body.body, attachment_ids=body.attachment_ids)
    )
    return PostComment.from_pb(comment)


@router.patch("/portal/comments/{comment_id}")
async def update_comment(
    comment_id: IdPath, body: CommentPatch, caller: CallerDep, request: Request
) -> PostComment:
    comment = await clients(request).portal.UpdateComment(
        pb.UpdateCommentRequest(comment_id=comment_id, body=body.body, is_hidden=body.is_hidden)
    )
    return PostComment.from_pb(comment)


@router.post("/portal/posts/{post_id}/ticket", status_code=201)
async def make_ticket(post_id: IdPath, body: TicketIn, caller: CallerDep, request: Request) -> TicketOfPost:
    """A ticket of the post, for staff: the ticket says where it came from (a link to the
    post), the post names the ticket. A post becomes one ticket: a second call is a 409.
    The ticket's idempotency key is the post's, so a call that failed between the two
    steps, made again, links the ticket the first one made."""
    if caller.is_client:
        raise Forbidden("Only staff turn posts into tickets.")
    c = clients(request)
    post = await c.portal.GetPost(pb.PostRequest(post_id=post_id))
    if post.ticket_id:
        raise Conflict(f"The post is already ticket {post.ticket_id}.")
    link = f"{c.settings.public_url.rstrip('/')}/portal/posts/{post.id}"
    ticket = await c.tickets.CreateTicket(
        t_pb.CreateTicketRequest(
            subject=post.title[:255],
            body=f"{post.body}\n\n---\n{link}".strip(),
            priority=PRIORITY_PB[body.priority],
            unit_id=body.unit_id,
            client_id=0 if post.author.is_staff else post.author.id,
            idempotency_key=f"portal-post-{post.id}",
            source="portal",
        )
    )
    linked = await c.portal.LinkTicket(pb.LinkTicketRequest(post_id=post.id, ticket_id=ticket.id))
    return TicketOfPost.of(ticket_id=ticket.id, ticket_number=ticket.number, post=Post.from_pb(linked))
