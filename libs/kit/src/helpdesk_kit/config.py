"""Typed settings shared by every service; each service's config.py extends them.

Settings come only from the environment (prefix ``HELPDESK_``) and are read once,
in the service's ``__main__``; a missing required setting fails start-up with its name.
"""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "DatabaseSettings",
    "NatsSettings",
    "OriginSettings",
    "RedisSettings",
    "SealingSettings",
    "ServiceSettings",
    "StreamSettings",
]


class ServiceSettings(BaseSettings):
    """What every service process needs, whatever it does."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore", frozen=True)

    http_port: int = Field(default=8000, ge=0, le=65535)
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    # /healthz, /readyz and /metrics on a port of their own, which the cluster reaches and
    # an ingress does not (the chart: 9000). Unset = on the HTTP port, beside the API.
    ops_port: int | None = Field(default=None, ge=0, le=65535)
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|console)$")
    otlp_endpoint: str | None = None
    # How long a call to another service may take before it is abandoned.
    rpc_deadline_seconds: float = Field(default=5.0, gt=0)
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    # Mutual TLS between services: a folder holding ca.crt, tls.crt and tls.key (the
    # layout of a Kubernetes TLS Secret); the certificate's common name is the service.
    tls_dir: str = ""
    # Plain-text gRPC where the caller merely names itself: for tests only.
    grpc_insecure: bool = False
    # The address the process listens on: 127.0.0.1 on one machine, 0.0.0.0 in a pod.
    bind_host: str = "127.0.0.1"
    # Proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed: the client is the right-most address not among
    # them. Empty = nobody's: the peer is the client (and the headers are ignored).
    trusted_proxies: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in (v.strip() for v in value.split(",")):
            if item:
                ipaddress.ip_network(item, strict=False)  # a ValueError names the bad entry
        return value


class DatabaseSettings(BaseSettings):
    """For services that keep data in PostgreSQL."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore", frozen=True)

    database_url: str
    database_pool_size: int = Field(default=10, ge=1)


class NatsSettings(BaseSettings):
    """For services that publish or consume facts."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore", frozen=True)

    nats_url: str
    # After this many failed deliveries a poison event (a bug, a refusal) is parked.
    consumer_max_deliveries: int = Field(default=5, ge=1)
    # A transient failure (the database, NATS or another service away) is retried this
    # long after the consumer first saw the event fail, and only then parked.
    consumer_retry_horizon_seconds: float = Field(default=24 * 3600.0, gt=0)
    # The longest pause between two tries of a transiently failing event (they double up to it):
    # how late, at worst, events arrive once the missing dependency is back.
    consumer_retry_cap_seconds: float = Field(default=300.0, gt=0)


class StreamSettings(BaseSettings):
    """How a publishing service declares its JetStream stream (see ``streams.ensure_stream``)."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore", frozen=True)

    # Copies of each stream in a NATS cluster: 1 on a single server, 3 on a three-node
    # cluster (a stream then survives the loss of one node). A change applies to an
    # existing stream the next time the service declares it.
    nats_stream_replicas: int = Field(default=1, ge=1, le=5)


class RedisSettings(BaseSettings):
    """For services that keep ephemeral state in Redis."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore", frozen=True)

    redis_url: str


class OriginSettings(BaseSettings):
    """For services that open WebSockets to browsers (see ``helpdesk_kit.origins``)."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore", frozen=True)

    # The address users open; its origin (scheme, host, port) may open the WebSocket.
    public_url: str = "http://localhost:8080"
    # Further origins allowed to, comma-separated ("https://desk.example,https://intra.example").
    ws_allowed_origins: str = ""


class SealingSettings(BaseSettings):
    """For services that keep secrets they must read back (see ``helpdesk_kit.sealing``)."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore", frozen=True)

    # "<key id>:<base64 of 32 bytes>[,<older key>...]": the first key seals, all open.
    secret_keys: str = Field(repr=False)
