"""Settings of the tickets service (environment, prefix HELPDESK_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from helpdesk_kit.config import DatabaseSettings, NatsSettings, ServiceSettings
from helpdesk_kit.retention import RetentionSettings


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


class Settings(ServiceSettings, DatabaseSettings, NatsSettings, StorageSettings, RetentionSettings):
    identity_addr: str
    # How long the list of units is trusted before identity is asked again.
    units_cache_seconds: float = 30.0
    # How often each replica archives due tickets, files due recurring ones and folds the
    # open-ticket count changes (store.open_count_table).
    archive_every_seconds: float = 60.0
    # A create's Idempotency-Key answers a retry with the same ticket this long (0: for ever).
    retention_idempotency_keys_hours: float = Field(default=24.0, ge=0)
    # Tickets archived and done this long ago keep only their first and last history
    # entries (0: the whole history is kept for ever, the default: it is the ticket's record).
    retention_archived_history_days: float = Field(default=0.0, ge=0)


class ImportSettings(DatabaseSettings, StorageSettings):
    """What ``import-zenlix`` needs: the database and the attachment store, no other service."""
