"""Who is who: the rules a user record must keep. No framework imports."""

from __future__ import annotations

import enum
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field, replace

from email_validator import EmailNotValidError, validate_email

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
_DEVICE_IDEN = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def has_control(value: str) -> bool:
    """Whether ``value`` holds a control character (CR, LF, tab...) or a line/paragraph
    separator: a name goes into mail headers, where none of them may stand."""
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value)


def clean_name(value: str) -> str:
    """A name from elsewhere (the directory) made fit: control characters become spaces."""
    return " ".join("".join(" " if has_control(ch) else ch for ch in value).split())


def email_problem(value: str) -> str | None:
    """Why ``value`` is not an address mail can be sent to (ASCII, one address), or None."""
    try:
        validate_email(
            value,
            check_deliverability=False,  # no DNS at input; the mail server has the last word
            allow_smtputf8=False,  # not every relay speaks SMTPUTF8
            globally_deliverable=False,  # intranet names without a dot are fine
            test_environment=True,  # so are *.test names
        )
    except EmailNotValidError as exc:
        return str(exc)
    return None


def pushbullet_problem(value: str) -> str | None:
    """A Pushbullet address is an e-mail address or a device iden (letters and digits)."""
    if "@" in value:
        return None if email_problem(value) is None else "not an e-mail address"
    if not _DEVICE_IDEN.match(value):
        return "an e-mail address or a device iden (ASCII letters, digits, - or _)"
    return None


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
    pushbullet: str = ""
    time_zone: str = ""
    ldap: bool = False
    public_hash: str = ""  # how ZENLIX's JSON API names the user (set by the database)

    def as_new(self) -> NewUser:
        """The record as creation input, to re-check every rule after a change."""
        return NewUser(
            login=self.login,
            full_name=self.full_name,
            kind=self.kind,
            role=self.role,
            unit_ids=list(self.unit_ids),
            email=self.email,
            phone=self.phone,
            is_admin=self.is_admin,
            language=self.language,
            client_group_id=self.client_group_id,
            is_client_group_lead=self.is_client_group_lead,
            position_id=self.position_id,
            pushbullet=self.pushbullet,
            time_zone=self.time_zone,
            ldap=self.ldap,
        )


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
    client_group_id: int | None = None
    is_client_group_lead: bool = False
    position_id: int | None = None
    pushbullet: str = ""
    time_zone: str = ""
    ldap: bool = False

    def with_changes(self, **changes: object) -> NewUser:
        return replace(self, **changes)  # type: ignore[arg-type]

    def validate(self) -> None:
        errors = self._account_errors() + self._sendable_errors() + self._kind_errors()
        if errors:
            raise InvalidUser("The user is not valid.", errors=errors)

    def _sendable_errors(self) -> list[FieldError]:
        """The name and addresses go into mails and pushes: each must be sendable."""
        errors: list[FieldError] = []
        if not self.full_name.strip():
            errors.append(FieldError("full_name", "must not be empty"))
        elif has_control(self.full_name):
            errors.append(FieldError("full_name", "no control characters or line breaks"))
        if self.email and (problem := email_problem(self.email)):
            errors.append(FieldError("email", f"is not an e-mail address: {problem}"))
        if len(self.pushbullet) > 200:
            errors.append(FieldError("pushbullet", "at most 200 characters"))
        elif self.pushbullet and (problem := pushbullet_problem(self.pushbullet)):
            errors.append(FieldError("pushbullet", problem))
        return errors

    def _account_errors(self) -> list[FieldError]:
        errors: list[FieldError] = []
        if not _LOGIN.match(self.login):
            errors.append(FieldError("login", "2-64 letters, digits or . _ @ -, starting alphanumeric"))
        errors += self._one_line_errors()
        if self.password is not None and len(self.password) < 8:
            errors.append(FieldError("password", "at least 8 characters"))
        if self.language not in ("en", "ru"):
            errors.append(FieldError("language", "en or ru"))
        if self.time_zone and not _known_time_zone(self.time_zone):
            errors.append(FieldError("time_zone", "is not an IANA time zone"))
        if self.ldap and self.password is not None:
            errors.append(FieldError("password", "an LDAP user signs in with the directory password"))
        return errors

    def _one_line_errors(self) -> list[FieldError]:
        """The phone and time zone are one line too (the name and addresses are checked as
        sendable above): they end up in mails and page titles."""
        fields = ("phone", "time_zone")
        return [
            FieldError(name, "must not contain control characters or line breaks")
            for name in fields
            if not str(getattr(self, name)).isprintable()
        ]

    def _kind_errors(self) -> list[FieldError]:
        """Clients have no role, no unit and no admin flag; staff need a role."""
        errors: list[FieldError] = []
        if self.kind is Kind.STAFF:
            if self.role is None:
                errors.append(FieldError("role", "staff need a role"))
            if self.client_group_id is not None or self.is_client_group_lead:
                errors.append(FieldError("client_group_id", "only clients belong to a client group"))
            return errors
        if self.is_client_group_lead and self.client_group_id is None:
            errors.append(FieldError("is_client_group_lead", "a lead belongs to the client group"))
        if self.role is not None:
            errors.append(FieldError("role", "a client has no staff role"))
        if self.unit_ids:
            errors.append(FieldError("unit_ids", "a client never belongs to a unit"))
        if self.is_admin:
            errors.append(FieldError("is_admin", "only staff can be administrators"))
        return errors


def rights_changed(before: User, after: User) -> bool:
    """Whether what a passport says of the user (kind, role, units, admin flag, client group,
    lead flag) or whether he may sign in at all differs between the two records."""

    def rights(u: User) -> tuple[object, ...]:
        return (
            u.kind,
            u.role,
            sorted(u.unit_ids),
            u.is_admin,
            u.client_group_id,
            u.is_client_group_lead,
            u.is_active,
        )

    return rights(before) != rights(after)


def _known_time_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def search_pattern(q: str) -> str:
    """A LIKE pattern matching ``q`` anywhere, with LIKE's wildcards taken literally."""
    escaped = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_ROLE_RANK = {Role.UNIT_MEMBER: 0, Role.UNIT_HEAD: 1, Role.DEPARTMENT_HEAD: 2}


@dataclass(frozen=True)
class GroupMapping:
    """Members of the LDAP group ``group_dn`` join ``unit_id`` (if any) with at least ``role``."""

    group_dn: str
    unit_id: int | None
    role: Role


@dataclass(frozen=True)
class LdapConfig:
    """Where the directory is and how its entries become users. The bind password is a secret."""

    enabled: bool = False
    url: str = ""  # ldaps://host:636 or ldap://host:389 (then StartTLS)
    start_tls: bool = True
    ca_pem: str = ""  # trusted CA for the server certificate; "" = the system's
    base_dn: str = ""
    bind_dn: str = ""
    bind_password: str = ""
    user_filter: str = "(objectClass=inetOrgPerson)"
    # How a user binds: "" = the DN found by searching; else a template such as
    # "{login}@corp.example" (AD UPN) or "uid={login},ou=people,dc=example,dc=org".
    bind_template: str = ""
    attr_login: str = "uid"
    attr_full_name: str = "cn"
    attr_email: str = "mail"
    attr_phone: str = "telephoneNumber"
    default_role: Role = Role.UNIT_MEMBER
    groups: tuple[GroupMapping, ...] = ()

    def validate(self) -> None:
        errors: list[FieldError] = []
        if self.enabled:
            if not re.match(r"^ldaps?://[^/\s]+$", self.url):
                errors.append(FieldError("url", "ldaps://host[:port] or ldap://host[:port]"))
            if self.url.startswith("ldap://") and not self.start_tls:
                errors.append(FieldError("start_tls", "a plain ldap:// URL needs StartTLS"))
            if not self.base_dn:
                errors.append(FieldError("base_dn", "must not be empty"))
            if not self.attr_login:
                errors.append(FieldError("attr_login", "must not be empty"))
            if "{login}" not in self.bind_template and self.bind_template:
                errors.append(FieldError("bind_template", "must contain {login}"))
        if errors:
            raise InvalidUser("The LDAP settings are not valid.", errors=errors)

    def role_and_units(self, member_of: set[str]) -> tuple[Role, list[int]]:
        """The highest mapped role and the mapped units of a user in these groups."""
        matched = [g for g in self.groups if g.group_dn.lower() in member_of]
        role = max((g.role for g in matched), key=_ROLE_RANK.__getitem__, default=self.default_role)
        role = max(role, self.default_role, key=_ROLE_RANK.__getitem__)
        units = sorted({g.unit_id for g in matched if g.unit_id is not None})
        return role, units


@dataclass(frozen=True)
class LdapEntry:
    dn: str
    login: str
    full_name: str
    email: str
    phone: str
    member_of: frozenset[str]
