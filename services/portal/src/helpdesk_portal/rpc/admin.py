"""gRPC handlers of what the portal is (title, kinds, limits) and its settings."""

from __future__ import annotations

from helpdesk.portal.v1 import portal_pb2 as pb

from helpdesk_portal import wire
from helpdesk_portal.rpc.base import Context, Handlers, viewer
from helpdesk_portal.usecases import settings


class AdminRpc(Handlers):
    async def GetPortal(self, request: pb.GetPortalRequest, context: Context) -> pb.PortalInfo:
        info = await settings.portal_info(db=self.db)
        return pb.PortalInfo(
            title=info.title,
            intro=info.intro,
            kinds=[pb.KindStatuses(kind=k, statuses=list(s)) for k, s in info.kinds.items()],
            max_file_bytes=info.max_file_bytes,
            allowed_types=list(info.allowed_types),
        )

    async def GetSettings(self, request: pb.GetSettingsRequest, context: Context) -> pb.Settings:
        return wire.settings_to_pb(await settings.get_settings(db=self.db, viewer=viewer()))

    async def PutSettings(self, request: pb.PutSettingsRequest, context: Context) -> pb.Settings:
        saved = await settings.put_settings(
            db=self.db, directory=self.directory, viewer=viewer(), new=wire.settings_from_pb(request.settings)
        )
        return wire.settings_to_pb(saved)
