"""Settings of the identity service (environment, prefix HELPDESK_)."""

from __future__ import annotations

from pydantic import Field

from helpdesk_kit.config import DatabaseSettings, SealingSettings, ServiceSettings


class Settings(ServiceSettings, DatabaseSettings, SealingSettings):
    admin_password: str | None = None
    access_token_ttl_seconds: int = Field(default=900, ge=30)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    # How long a passport (the token for internal calls) lives. The gateway and realtime
    # renew theirs every few seconds; a stolen one is worth at most this long.
    passport_ttl_seconds: int = Field(default=15, ge=2, le=300)
    # Login rate limits need Redis; without it (tools) there are none.
    redis_url: str | None = None
    login_failures_per_account: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=30, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    # Wrong second-factor codes per user (sign-in, confirm, disable) before 429.
    totp_failures_per_account: int = Field(default=5, ge=1)
    totp_failure_window_seconds: int = Field(default=900, ge=1)
    # Registration and password-reset requests per e-mail / login asked for (each one mails).
    mail_requests_per_account: int = Field(default=3, ge=1)
    mail_request_window_seconds: int = Field(default=3600, ge=1)
    # A new password (own change, reset link, or set by an admin) revokes the user's personal
    # API tokens too: whoever knew the old one may have made some. False keeps them.
    password_change_ends_api_tokens: bool = True
    # Registration and recovery publish to NATS (notify mails the links).
    nats_url: str | None = None
    public_url: str = "http://localhost:8080"
    registration_enabled: bool = False
    password_reset_enabled: bool = True
    one_time_token_ttl_seconds: int = Field(default=3600, ge=60)
    # How often the LDAP directory is imported (when LDAP is enabled in the admin settings).
    ldap_sync_interval_seconds: float = Field(default=3600, gt=0)
