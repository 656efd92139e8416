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

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import ORJSONResponse
from helpdesk.portal.v1 import portal_pb2 as pb
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import BaseModel, Field

from helpdesk_gateway.api import portal_files, portal_kb
from helpdesk_gateway.api.portal_shapes import (
    CommentOut,
    CommentPage,
    Kind,
    PortalOut,
    PostOut,
    PostPage,
    Status,
    comment_out,
    post_out,
)
from helpdesk_gateway.api.shapes import Strict, clients
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


router = APIRouter(
    prefix="/api/v1", default_response_class=ORJSONResponse, dependencies=[Depends(portal_switched_on)]
)
router.include_router(portal_kb.router)
router.include_router(portal_files.router)

Ids = list[Annotated[int, Field(gt=0, lt=2**63)]]
Cursor = Annotated[str | None, Query(max_length=500)]
Limit = Annotated[int, Query(ge=1, le=200)]
VOTES = {"like": 1, "dislike": -1, "none": 0}


class PostIn(Strict):
    kind: Kind
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=20_000, description="Markdown")
    attachment_ids: Ids = Field(
        default_factory=list, max_length=10, description="your uploads (POST /portal/attachments)"
    )


class PostPatch(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=20_000)
    status: Status | None = Field(default=None, description="staff; one of the kind's statuses")
    answer: str | None = Field(
        default=None, max_length=20_000, description='staff; the official answer, "" removes it'
    )
    is_hidden: bool | None = Field(default=None, description="staff; hidden posts are read by staff only")


class CommentIn(Strict):
    body: str = Field(default="", max_length=10_000, description="Markdown; may be empty with files")
    attachment_ids: Ids = Field(default_factory=list, max_length=10)


class CommentPatch(Strict):
    body: str | None = Field(default=None, min_length=1, max_length=10_000)
    is_hidden: bool | None = None


class LikeIn(Strict):
    value: Literal["like", "dislike", "none"] = Field(
        default="like", description='"none" takes the vote back'
    )


class TicketIn(Strict):
    unit_id: int = Field(gt=0, lt=2**63)
    priority: Literal["low", "normal", "high"] = "normal"


class TicketMade(BaseModel):
    ticket_id: int
    ticket_number: int
    post: PostOut


@router.get("/portal", response_model=PortalOut)
async def portal_info(viewer: ViewerDep, request: Request) -> PortalOut:
    info = await clients(request).portal.GetPortal(pb.GetPortalRequest())
    return PortalOut(
        title=info.title,
        intro=info.intro,
        kinds={k.kind: list(k.statuses) for k in info.kinds},
        max_file_bytes=info.max_file_bytes,
        allowed_types=list(info.allowed_types),
    )


@router.get("/portal/posts", response_model=PostPage)
async def list_posts(
    viewer: ViewerDep,
    request: Request,
    kind: Kind | None = None,
    status: Status | None = None,
    q: Annotated[str | None, Query(max_length=500)] = None,
    sort: Literal["new", "popular", "status"] = "new",
    author_id: Annotated[int | None, Query(gt=0, lt=2**63)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> PostPage:
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
    return PostPage(items=[post_out(p) for p in resp.posts], next_cursor=resp.next_cursor or None)


@router.post("/portal/posts", response_model=PostOut, status_code=201)
async def create_post(body: PostIn, caller: CallerDep, request: Request, response: Response) -> PostOut:
    post = await clients(request).portal.CreatePost(
        pb.CreatePostRequest(
            kind=body.kind, title=body.title, body=body.body, attachment_ids=body.attachment_ids
        )
    )
    response.headers["Location"] = f"/api/v1/portal/posts/{post.id}"
    return post_out(post)


@router.get("/portal/posts/{post_id}", response_model=PostOut)
async def get_post(post_id: int, viewer: ViewerDep, request: Request) -> PostOut:
    return post_out(await clients(request).portal.GetPost(pb.PostRequest(post_id=post_id)))


@router.patch("/portal/posts/{post_id}", response_model=PostOut)
async def update_post(post_id: int, body: PostPatch, caller: CallerDep, request: Request) -> PostOut:
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
    return post_out(post)


@router.post("/portal/posts/{post_id}/like", response_model=PostOut)
async def like(post_id: int, caller: CallerDep, request: Request, body: LikeIn | None = None) -> PostOut:
    value = VOTES[(body or LikeIn()).value]
    return post_out(await clients(request).portal.VotePost(pb.VotePostRequest(post_id=post_id, value=value)))


@router.get("/portal/posts/{post_id}/comments", response_model=CommentPage)
async def list_comments(
    post_id: int, viewer: ViewerDep, request: Request, limit: Limit = 50, cursor: Cursor = None
) -> CommentPage:
    resp = await clients(request).portal.ListComments(
        pb.ListCommentsRequest(post_id=post_id, limit=limit, cursor=cursor or "")
    )
    return CommentPage(items=[comment_out(c) for c in resp.comments], next_cursor=resp.next_cursor or None)


@router.post("/portal/posts/{post_id}/comments", response_model=CommentOut, status_code=201)
async def add_comment(post_id: int, body: CommentIn, caller: CallerDep, request: Request) -> CommentOut:
    comment = await clients(request).portal.AddComment(
        pb.AddCommentRequest(post_id=post_id, body=body.body, attachment_ids=body.attachment_ids)
    )
    return comment_out(comment)


@router.patch("/portal/comments/{comment_id}", response_model=CommentOut)
async def update_comment(
    comment_id: int, body: CommentPatch, caller: CallerDep, request: Request
) -> CommentOut:
    comment = await clients(request).portal.UpdateComment(
        pb.UpdateCommentRequest(comment_id=comment_id, body=body.body, is_hidden=body.is_hidden)
    )
    return comment_out(comment)


PRIORITY = {"low": t_pb.PRIORITY_LOW, "normal": t_pb.PRIORITY_NORMAL, "high": t_pb.PRIORITY_HIGH}


@router.post("/portal/posts/{post_id}/ticket", response_model=TicketMade, status_code=201)
async def make_ticket(post_id: int, body: TicketIn, caller: CallerDep, request: Request) -> TicketMade:
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
            priority=PRIORITY[body.priority],
            unit_id=body.unit_id,
            client_id=0 if post.author.is_staff else post.author.id,
            idempotency_key=f"portal-post-{post.id}",
            source="portal",
        )
    )
    linked = await c.portal.LinkTicket(pb.LinkTicketRequest(post_id=post.id, ticket_id=ticket.id))
    return TicketMade(ticket_id=ticket.id, ticket_number=ticket.number, post=post_out(linked))
