"""Settings of the tickets service (environment, prefix HELPDESK_)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from helpdesk_kit.config import DatabaseSettings, NatsSettings, ServiceSettings


class StorageSettings(BaseSettings):
    """Where attachments live: a directory outside anything served directly, or an
    S3-compatible bucket (used when s3_bucket is set)."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore", frozen=True)

    files_dir: str = "./var/files"
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"


class Settings(ServiceSettings, DatabaseSettings, NatsSettings, StorageSettings):
    identity_addr: str
    # How long the list of units is trusted before identity is asked again.
    units_cache_seconds: float = 30.0
    # How often each replica archives due tickets and files due recurring ones.
    archive_every_seconds: float = 60.0


class ImportSettings(DatabaseSettings, StorageSettings):
    """What ``import-zenlix`` needs: the database and the attachment store, no other service."""
