"""Who is who: the rules a user record must keep. No framework imports."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from helpdesk_identity.errors import InvalidUser
from helpdesk_kit.errors import FieldError


class Kind(enum.StrEnum):
    STAFF = "staff"
    CLIENT = "client"


class Role(enum.StrEnum):
    DEPARTMENT_HEAD = "department_head"
    UNIT_HEAD = "unit_head"
    UNIT_MEMBER = "unit_member"


_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class User:
    id: int
    login: str
    full_name: str
    kind: Kind
    role: Role | None
    unit_ids: list[int] = field(default_factory=list)
    email: str = ""
    phone: str = ""
    is_admin: bool = False
    language: str = "en"
    is_active: bool = True
    client_group_id: int | None = None
    is_client_group_lead: bool = False
    position_id: int | None = None


@dataclass(frozen=True)
class NewUser:
    login: str
    full_name: str
    kind: Kind
    role: Role | None
    unit_ids: list[int]
    email: str = ""
    phone: str = ""
    is_admin: bool = False
    language: str = "en"
    password: str | None = None

    def validate(self) -> None:
        errors = self._contact_errors() + self._kind_errors()
        if errors:
            raise InvalidUser("The user is not valid.", errors=errors)

    def _contact_errors(self) -> list[FieldError]:
        errors: list[FieldError] = []
        if not _LOGIN.match(self.login):
            errors.append(FieldError("login", "2-64 letters, digits or . _ @ -, starting alphanumeric"))
        if not self.full_name.strip():
            errors.append(FieldError("full_name", "must not be empty"))
        if self.email and not _EMAIL.match(self.email):
            errors.append(FieldError("email", "is not an e-mail address"))
        if self.password is not None and len(self.password) < 8:
            errors.append(FieldError("password", "at least 8 characters"))
        if self.language not in ("en", "ru"):
            errors.append(FieldError("language", "en or ru"))
        return errors

    def _kind_errors(self) -> list[FieldError]:
        """Clients have no role, no unit and no admin flag; staff need a role."""
        if self.kind is Kind.STAFF:
            return [] if self.role is not None else [FieldError("role", "staff need a role")]
        errors: list[FieldError] = []
        if self.role is not None:
            errors.append(FieldError("role", "a client has no staff role"))
        if self.unit_ids:
            errors.append(FieldError("unit_ids", "a client never belongs to a unit"))
        if self.is_admin:
            errors.append(FieldError("is_admin", "only staff can be administrators"))
        return errors
