"""Settings of the identity service (environment, prefix HELPDESK_)."""

from __future__ import annotations

from pydantic import Field

from helpdesk_kit.config import DatabaseSettings, ServiceSettings


class Settings(ServiceSettings, DatabaseSettings):
    admin_password: str | None = None
    access_token_ttl_seconds: int = Field(default=900, ge=30)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)
