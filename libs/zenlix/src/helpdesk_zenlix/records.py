"""ZENLIX 2's rows as typed records, already decoded (see ``decode``): what the importers get."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Department:
    """``deps``: a staff department, our unit."""

    id: int
    name: str
    visible: bool


@dataclass(frozen=True)
class ClientGroup:
    """``units``: a client organisation, our client group; ``lead_id`` is ``main_user``."""

    id: int
    name: str
    active: bool
    lead_id: int | None


@dataclass(frozen=True)
class Named:
    """``posada`` (position) or ``subj`` (subject): an id and a name."""

    id: int
    name: str


@dataclass(frozen=True)
class Limits:
    """One priority's SLA limits in seconds; None where ZENLIX has 0 ("not set")."""

    reaction: int | None
    work: int | None
    deadline: int | None


@dataclass(frozen=True)
class SlaPlan:
    id: int
    name: str
    limits: dict[str, Limits]  # "low" | "normal" | "high"


@dataclass(frozen=True)
class User:
    """``users``: staff and clients. ``role`` is None for clients (and for an unknown priv)."""

    id: int
    login: str
    full_name: str
    md5: str | None  # the unsalted MD5 of the password, when the column holds one
    status: str  # active | disabled | deleted
    is_client: bool
    role: str | None
    is_admin: bool
    unit_ids: tuple[int, ...]
    email: str
    phone: str
    language: str  # as stored: en, ru, ua, de, fr, pl or ""
    pushbullet: str
    client_group_id: int | None  # clients: ``unit_desc`` when it is a client group's id
    position_name: str  # ``users.posada`` is free text
    ldap: bool
    bad_unit_parts: tuple[str, ...] = ()
    public_hash: str = ""  # ``uniq_id``: how ZENLIX's URLs and JSON API name the user


@dataclass(frozen=True)
class NotifyPrefs:
    """``users_notify``: e-mail event types (None = every type, ZENLIX's empty list) and SMS types."""

    user_id: int
    mail_events: tuple[str, ...] | None
    sms_events: tuple[str, ...]


@dataclass(frozen=True)
class File:
    """``files``: an attachment stored as ``<upload dir>/<file_hash>.<ext>``."""

    id: int
    ticket_hash: str
    original_name: str
    file_hash: str
    mime: str
    size: int
    ext: str
    bound: bool  # obj_type 1; 0 is an upload never bound to a ticket

    @property
    def disk_name(self) -> str:
        return f"{self.file_hash}.{self.ext}" if self.ext else self.file_hash


@dataclass(frozen=True)
class Ticket:
    """``tickets``, decoded: state from its columns, assignees from the CSV ("0" = whole unit)."""

    id: int
    ref: str
    subject: str
    body: str  # plain text (ZENLIX's HTML-ish body, tags stripped)
    priority: str
    state: str  # new | in_work | done | archived
    locked_by: int | None
    done_by: int | None
    done_at: datetime | None
    unit_id: int
    assignee_ids: tuple[int, ...]
    author_id: int
    client_id: int | None
    created_at: datetime
    updated_at: datetime
    deadline: datetime | None
    sla_plan_id: int | None
    source: str
    notes: tuple[str, ...] = ()  # what was changed to fit (each counted in the report)


@dataclass(frozen=True)
class Comment:
    id: int
    ticket_id: int
    author_id: int
    body: str  # Markdown, file markers removed
    file_hashes: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class LogEntry:
    """``ticket_log``: ``action`` is ours (created, locked, ...), ``actor_id`` 0 = the system."""

    id: int
    ticket_id: int
    at: datetime
    actor_id: int
    action: str
    code: str  # ZENLIX's own code: create, refer, lock, ..., edit_prio, arch
    to_user_ids: tuple[int, ...]
    to_unit_id: int | None


@dataclass
class Bundle:
    """One ticket with its comments, history and files, or why it cannot be imported."""

    id: int
    ticket: Ticket | None
    problem: str | None = None
    comments: list[Comment] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)
    files: list[File] = field(default_factory=list)
    # Rows of this ticket that cannot be imported: (kind, id, reason).
    rejected: list[tuple[str, int, str]] = field(default_factory=list)
