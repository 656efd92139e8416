"""gRPC ⇄ use cases for helpdesk.portal.v1.Portal: one mix-in per area (``posts``,
``knowledge``, ``admin``), put together here. Handlers only convert; the acting user
comes from the call's passport (``viewer``), an anonymous reader when it has none."""

from __future__ import annotations

from helpdesk.portal.v1 import portal_pb2_grpc as pb_grpc

from helpdesk_kit.db import Database
from helpdesk_portal.directory import Directory
from helpdesk_portal.rpc.admin import AdminRpc
from helpdesk_portal.rpc.knowledge import KnowledgeRpc
from helpdesk_portal.rpc.posts import PostsRpc


class PortalService(PostsRpc, KnowledgeRpc, AdminRpc, pb_grpc.PortalServicer):
    def __init__(self, *, db: Database, directory: Directory) -> None:
        self.db = db
        self.directory = directory


__all__ = ["PortalService"]
