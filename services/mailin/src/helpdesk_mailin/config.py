"""Settings of the mailin service (environment, prefix HELPDESK_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from helpdesk_kit.config import DatabaseSettings, SealingSettings, ServiceSettings
from helpdesk_kit.retention import RetentionSettings


class Settings(ServiceSettings, DatabaseSettings, SealingSettings, RetentionSettings):
    identity_addr: str
    tickets_addr: str
    notify_addr: str
    #: Without IMAP IDLE, a mailbox is looked at this often; with IDLE this is the longest
    #: wait before a look anyway.
    mailin_poll_seconds: float = Field(default=60.0, gt=0)
    #: Every IMAP command's socket timeout.
    mailin_imap_timeout_seconds: float = Field(default=30.0, gt=0)
    #: A mailbox is owned by one replica for this long, renewed at a third of it.
    mailin_lease_seconds: float = Field(default=90.0, ge=3)
    #: Reconnecting after a failure waits 2^n seconds from this, up to the cap, with jitter.
    mailin_backoff_base_seconds: float = Field(default=2.0, gt=0)
    mailin_backoff_cap_seconds: float = Field(default=300.0, gt=0)
    #: Mails one sender may send in an hour (more are dropped); 0 = no limit.
    mailin_per_sender_per_hour: int = Field(default=30, ge=0)
    #: Files larger than this are listed as refused without being sent to tickets.
    mailin_max_file_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    #: Quarantined mail up to this size is kept in the database for the retry.
    mailin_keep_bytes: int = Field(default=30 * 1024 * 1024, ge=0)
    #: The record of a mail filed, dropped or refused is kept this long (0: for ever);
    #: quarantined mail and the first mail of an anonymous ticket stay.
    retention_mail_log_days: float = Field(default=90.0, ge=0)
    #: A PEM file of further certificate authorities trusted for IMAP servers (a company's
    #: own CA); the system's are trusted anyway. "" = only the system's.
    mailin_ca_file: str = ""
    #: TEST ONLY — never set in production. The process kills itself with SIGKILL at this
    #: point of filing a mail (``crashpoints``): ``after_ticket`` right after tickets created
    #: the ticket, ``before_flag`` right before the mail is flagged. The end-to-end tests use
    #: it to prove that a poller killed there files the mail once when it starts again.
    mailin_test_crash_at: Literal["", "after_ticket", "before_flag"] = ""
