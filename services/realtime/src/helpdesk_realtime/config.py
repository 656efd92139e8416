"""Settings of the realtime service (environment, prefix HELPDESK_)."""

from __future__ import annotations

from pydantic import Field

from helpdesk_kit.config import NatsSettings, ServiceSettings


class Settings(ServiceSettings, NatsSettings):
    identity_addr: str
    # Events waiting for one slow socket; past this it is told to resync instead.
    socket_queue_size: int = Field(default=256, ge=1)
