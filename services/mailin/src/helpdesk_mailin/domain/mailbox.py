"""A mailbox's settings and the rules they must keep; who a sender is, by the policy."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from helpdesk_kit.errors import FieldError

SECURITY = ("tls", "starttls", "none")
PRIORITIES = ("low", "normal", "high")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "none": 143}
MAX_ASSIGNEES = 50
#: The processed mail's keyword (flag mode): the mailbox shows what the helpdesk took.
PROCESSED_KEYWORD = "$Helpdesk"


class UnknownSenders(enum.StrEnum):
    """What a mail from an address no account holds becomes."""

    REFUSE = "refuse"  # a polite automatic reply; nothing is filed
    CREATE_CLIENT = "create_client"  # a new active client, then his ticket
    ANONYMOUS = "anonymous"  # a ticket of the shared anonymous sender account


#: The account anonymous mail is filed under (docs/product/mail-intake.md § Anonymous).
ANONYMOUS_ADDRESS = "anonymous@mailin.invalid"
ANONYMOUS_NAME = "Anonymous e-mail sender"


@dataclass(frozen=True)
class MailboxSettings:
    name: str
    host: str
    port: int
    security: str = "tls"
    allow_plain: bool = False
    login: str = ""
    folder: str = "INBOX"
    processed_folder: str = ""
    quarantine_folder: str = "Quarantine"
    unit_id: int = 0
    assignee_ids: tuple[int, ...] = ()
    priority: str = "normal"
    subject_id: int = 0
    unknown_senders: str = UnknownSenders.REFUSE.value
    enabled: bool = True

    def errors(self) -> list[FieldError]:
        """Every rule the settings break (an empty list: they are fine)."""
        return self._connection_errors() + self._folder_errors() + self._routing_errors()

    def _connection_errors(self) -> list[FieldError]:
        errors: list[FieldError] = []
        if not self.name.strip() or len(self.name) > 100:
            errors.append(FieldError("name", "1 to 100 characters"))
        if not self.host.strip() or len(self.host) > 255 or any(c.isspace() for c in self.host):
            errors.append(FieldError("host", "a host name or address"))
        if not 1 <= self.port <= 65535:
            errors.append(FieldError("port", "between 1 and 65535"))
        if self.security not in SECURITY:
            errors.append(FieldError("security", "tls, starttls or none"))
        elif self.security == "none" and not self.allow_plain:
            errors.append(
                FieldError("security", "plain text only with allow_plain (the password travels in clear)")
            )
        if not self.login.strip() or len(self.login) > 320:
            errors.append(FieldError("login", "1 to 320 characters"))
        return errors

    def _folder_errors(self) -> list[FieldError]:
        errors: list[FieldError] = []
        for name in ("folder", "quarantine_folder", "processed_folder"):
            value: str = getattr(self, name)
            required = name != "processed_folder"
            if (required and not value.strip()) or len(value) > 200 or any(c in value for c in "\r\n\x00*%"):
                errors.append(FieldError(name, "a folder name" if required else "a folder name or empty"))
        if self.folder in (self.quarantine_folder, self.processed_folder):
            errors.append(FieldError("quarantine_folder", "the other folders must differ from the one read"))
        return errors

    def _routing_errors(self) -> list[FieldError]:
        errors: list[FieldError] = []
        if self.unit_id <= 0:
            errors.append(FieldError("unit_id", "the unit new tickets go to"))
        if len(self.assignee_ids) > MAX_ASSIGNEES or len(set(self.assignee_ids)) != len(self.assignee_ids):
            errors.append(FieldError("assignee_ids", f"at most {MAX_ASSIGNEES}, none twice"))
        if self.priority not in PRIORITIES:
            errors.append(FieldError("priority", "low, normal or high"))
        if self.unknown_senders not in {u.value for u in UnknownSenders}:
            errors.append(FieldError("unknown_senders", "refuse, create_client or anonymous"))
        return errors


@dataclass(frozen=True)
class Account:
    """An account holding a sender's address, as identity describes it."""

    user_id: int
    is_active: bool
    is_client: bool
    email: str = ""


class SenderKind(enum.StrEnum):
    KNOWN = "known"  # an active account: file as him
    DISABLED = "disabled"  # only disabled accounts hold the address: refuse
    AMBIGUOUS = "ambiguous"  # several active accounts: an administrator decides (quarantine)
    UNKNOWN = "unknown"  # nobody: the mailbox's policy decides


@dataclass(frozen=True)
class Sender:
    kind: SenderKind
    account: Account | None = None
    others: tuple[Account, ...] = field(default_factory=tuple)


def identify(accounts: list[Account]) -> Sender:
    """Who sent a mail, from the accounts holding its From address."""
    active = [a for a in accounts if a.is_active]
    if len(active) == 1:
        return Sender(SenderKind.KNOWN, active[0])
    if len(active) > 1:
        return Sender(SenderKind.AMBIGUOUS, None, tuple(active))
    if accounts:
        return Sender(SenderKind.DISABLED, accounts[0])
    return Sender(SenderKind.UNKNOWN)
