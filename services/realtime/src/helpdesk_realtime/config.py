"""Settings of the realtime service (environment, prefix HELPDESK_)."""

from __future__ import annotations

from limits import parse
from pydantic import Field, field_validator

from helpdesk_kit.config import NatsSettings, OriginSettings, RedisSettings, ServiceSettings


class Settings(ServiceSettings, NatsSettings, RedisSettings, OriginSettings):
    identity_addr: str
    # Asked whether a user may see a ticket before he is shown as viewing it.
    tickets_addr: str
    # Events waiting for one slow socket; past this it is told to resync instead.
    socket_queue_size: int = Field(default=256, ge=1)
    # A reconnecting socket gets what it missed in this window, else a resync.
    resume_window_seconds: float = Field(default=600.0, gt=0)
    # The shared journal keeps about this many events (all users together).
    journal_max_entries: int = Field(default=100_000, ge=100)
    # Redis connections of this replica at most (a burst of sockets waits for one).
    redis_max_connections: int = Field(default=32, ge=1)
    # Online / viewing entries live this long without a heartbeat.
    presence_ttl_seconds: float = Field(default=30.0, gt=0)
    # How often open sockets' users and sessions are checked against identity
    # (a disabled user, a signed-out or revoked session → the socket is closed).
    user_check_seconds: float = Field(default=10.0, gt=0)
    # Messages a client may send: per socket ("<count>/<period>"), and per user over all his
    # sockets on every replica. Over either, a message is dropped and the client told.
    rate_socket_frames: str = "20/10 seconds"
    rate_socket_frames_per_user: str = "120/minute"

    @field_validator("rate_socket_frames", "rate_socket_frames_per_user")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        parse(value)  # ValueError names the bad string: the start-up fails with it
        return value
