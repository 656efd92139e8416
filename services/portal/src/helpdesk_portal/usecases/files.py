"""Uploads and downloads: an upload is judged (size, type sniffed from its bytes) and kept
unattached until its uploader writes the post, comment, news item or article it belongs
to; a download is allowed to whoever may read that (an unattached file: its uploader)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from helpdesk_kit import filetypes
from helpdesk_kit.db import Database
from helpdesk_portal.domain import knowledge
from helpdesk_portal.domain import posts as rules
from helpdesk_portal.domain.posts import Attachment
from helpdesk_portal.domain.viewer import Viewer
from helpdesk_portal.errors import AttachmentNotFound, InvalidPortal
from helpdesk_portal.store import comment_table, file_table, kb_tables, post_table
from helpdesk_portal.usecases.guards import portal_on, signed_in

CHUNK = 256 * 1024


async def upload(*, db: Database, viewer: Viewer, filename: str, chunks: AsyncIterator[bytes]) -> Attachment:
    """Reads the file (at most the settings' ``max_file_bytes``, 10 MiB at the very most)
    and keeps it if its sniffed type is allowed and agrees with its name."""
    signed_in(viewer)
    async with db.unit_of_work() as uow:
        settings = await portal_on(uow.conn)
    limit = settings.max_file_bytes
    data = bytearray()
    async for chunk in chunks:
        data += chunk
        if len(data) > limit:
            raise filetypes.too_large(limit, InvalidPortal)
    if not data:
        raise filetypes.empty(InvalidPortal)
    content_type = filetypes.judge_file(
        filename, bytes(data[: filetypes.SNIFF_BYTES]), list(settings.allowed_types), error=InvalidPortal
    )
    name = filename.strip().replace("\\", "/").rsplit("/", 1)[-1]
    async with db.unit_of_work() as uow:
        await file_table.sweep_unattached(uow.conn)
        attachment = await file_table.insert(
            uow.conn, uploader_id=viewer.user_id, filename=name, content_type=content_type, data=bytes(data)
        )
        await uow.commit()
    return attachment


async def _may_read(conn: asyncpg.Connection, viewer: Viewer, row: asyncpg.Record) -> bool:
    if row["post_id"] is not None:
        post = await post_table.get(conn, row["post_id"], viewer.user_id)
        return post is not None and rules.can_read_post(viewer, post)
    if row["comment_id"] is not None:
        comment = await comment_table.get(conn, row["comment_id"])
        if comment is None or not rules.can_read_comment(viewer, comment):
            return False
        post = await post_table.get(conn, comment.post_id, viewer.user_id)
        return post is not None and rules.can_read_post(viewer, post)
    if row["news_id"] is not None:
        return True
    if row["article_id"] is not None:
        article = await kb_tables.article(conn, row["article_id"], "")
        return article is not None and knowledge.can_read_article(viewer, article)
    return viewer.is_signed_in and viewer.user_id == row["uploader_id"]


async def download(*, db: Database, viewer: Viewer, attachment_id: int) -> tuple[Attachment, bytes]:
    async with db.unit_of_work() as uow:
        await portal_on(uow.conn)
        row = await file_table.meta(uow.conn, attachment_id)
        if row is None or not await _may_read(uow.conn, viewer, row):
            raise AttachmentNotFound()
        return file_table.attachment_of(row), await file_table.data(uow.conn, attachment_id)
