"""gRPC handlers of posts, comments and files."""

from __future__ import annotations

from collections.abc import AsyncIterator

from helpdesk.portal.v1 import portal_pb2 as pb

from helpdesk_kit.errors import FieldError
from helpdesk_portal import wire
from helpdesk_portal.domain.posts import NewComment, NewPost, PostChange
from helpdesk_portal.errors import invalid
from helpdesk_portal.rpc.base import Context, Handlers, viewer
from helpdesk_portal.usecases import comments, files, posts

CHUNK = 256 * 1024


class PostsRpc(Handlers):
    async def ListPosts(self, request: pb.ListPostsRequest, context: Context) -> pb.PostList:
        me = viewer()
        found = await posts.list_posts(
            db=self.db,
            viewer=me,
            kind=request.kind,
            status=request.status,
            q=request.q,
            sort=request.sort,
            author_id=request.author_id,
            limit=request.limit,
            cursor=request.cursor,
        )
        return pb.PostList(posts=[wire.post_to_pb(p, me) for p in found.posts], next_cursor=found.next_cursor)

    async def GetPost(self, request: pb.PostRequest, context: Context) -> pb.Post:
        me = viewer()
        return wire.post_to_pb(await posts.get_post(db=self.db, viewer=me, post_id=request.post_id), me)

    async def CreatePost(self, request: pb.CreatePostRequest, context: Context) -> pb.Post:
        me = viewer()
        new = NewPost(request.kind, request.title, request.body, list(request.attachment_ids))
        post = await posts.create_post(db=self.db, directory=self.directory, viewer=me, new=new)
        return wire.post_to_pb(post, me)

    async def UpdatePost(self, request: pb.UpdatePostRequest, context: Context) -> pb.Post:
        me = viewer()
        change = PostChange(
            title=request.title if request.HasField("title") else None,
            body=request.body if request.HasField("body") else None,
            status=request.status if request.HasField("status") else None,
            answer=request.answer if request.HasField("answer") else None,
            is_hidden=request.is_hidden if request.HasField("is_hidden") else None,
        )
        post = await posts.update_post(
            db=self.db, directory=self.directory, viewer=me, post_id=request.post_id, change=change
        )
        return wire.post_to_pb(post, me)

    async def VotePost(self, request: pb.VotePostRequest, context: Context) -> pb.Post:
        me = viewer()
        post = await posts.vote_post(db=self.db, viewer=me, post_id=request.post_id, value=request.value)
        return wire.post_to_pb(post, me)

    async def LinkTicket(self, request: pb.LinkTicketRequest, context: Context) -> pb.Post:
        me = viewer()
        post = await posts.link_ticket(
            db=self.db, viewer=me, post_id=request.post_id, ticket_id=request.ticket_id
        )
        return wire.post_to_pb(post, me)

    async def ListComments(self, request: pb.ListCommentsRequest, context: Context) -> pb.CommentList:
        me = viewer()
        found = await comments.list_comments(
            db=self.db, viewer=me, post_id=request.post_id, limit=request.limit, cursor=request.cursor
        )
        return pb.CommentList(
            comments=[wire.comment_to_pb(c, me) for c in found.comments], next_cursor=found.next_cursor
        )

    async def AddComment(self, request: pb.AddCommentRequest, context: Context) -> pb.Comment:
        me = viewer()
        comment = await comments.add_comment(
            db=self.db,
            directory=self.directory,
            viewer=me,
            post_id=request.post_id,
            new=NewComment(request.body, list(request.attachment_ids)),
        )
        return wire.comment_to_pb(comment, me)

    async def UpdateComment(self, request: pb.UpdateCommentRequest, context: Context) -> pb.Comment:
        me = viewer()
        comment = await comments.update_comment(
            db=self.db,
            viewer=me,
            comment_id=request.comment_id,
            body=request.body if request.HasField("body") else None,
            is_hidden=request.is_hidden if request.HasField("is_hidden") else None,
        )
        return wire.comment_to_pb(comment, me)

    async def UploadAttachment(
        self, request_iterator: AsyncIterator[pb.UploadChunk], context: Context
    ) -> pb.Attachment:
        first = await anext(request_iterator, None)
        if first is None or first.WhichOneof("part") != "header":
            raise invalid([FieldError("file", "the upload must start with its header")])

        async def data() -> AsyncIterator[bytes]:
            async for chunk in request_iterator:
                if chunk.WhichOneof("part") == "data":
                    yield chunk.data

        attachment = await files.upload(
            db=self.db, viewer=viewer(), filename=first.header.filename, chunks=data()
        )
        return wire.attachment_to_pb(attachment)

    async def DownloadAttachment(
        self, request: pb.AttachmentRequest, context: Context
    ) -> AsyncIterator[pb.DownloadChunk]:
        attachment, data = await files.download(
            db=self.db, viewer=viewer(), attachment_id=request.attachment_id
        )
        yield pb.DownloadChunk(attachment=wire.attachment_to_pb(attachment))
        for start in range(0, len(data), CHUNK):
            yield pb.DownloadChunk(data=data[start : start + CHUNK])
