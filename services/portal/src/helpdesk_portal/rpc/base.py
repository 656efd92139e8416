"""What every handler of the portal needs: its dependencies and the acting viewer."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc

from helpdesk_kit.db import Database
from helpdesk_kit.trust import current_principal
from helpdesk_portal.directory import Directory
from helpdesk_portal.domain.viewer import ANONYMOUS, Viewer

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"


def viewer() -> Viewer:
    """The user the call acts for (from its verified passport), or an anonymous reader."""
    user = current_principal().user
    if user is None:
        return ANONYMOUS
    return Viewer(
        user_id=user.user_id,
        kind=user.kind,
        role=user.role,
        unit_ids=user.unit_ids,
        is_admin=user.is_admin,
        name=user.login,
    )


class Handlers:
    db: Database
    directory: Directory
