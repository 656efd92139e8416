"""Errors of the identity service.

AppError (kit)
├── Unauthenticated ── BadCredentials      wrong login, password or TOTP code, or a disabled user
│                   └─ BadToken            unknown, revoked or expired refresh/API/one-time token
├── NotFound ───────── UserNotFound
├── RateLimited ────── TooManyAttempts     login attempts over the limit (carries retry_after)
└── InvalidInput ───── InvalidUser          fields that break the directory's rules
                    └─ UnknownUnit          a unit, client group or position that does not exist
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk_kit.errors import InvalidInput, NotFound, RateLimited, Unauthenticated


@dataclass
class BadCredentials(Unauthenticated):
    detail: str = "Wrong login or password."


@dataclass
class SecondFactorNeeded(Unauthenticated):
    """The password was right; the one-time code is missing or wrong (``errors`` names
    ``totp`` so a client knows to ask for it). Wrong codes count as failed attempts."""

    detail: str = "Enter the one-time code from your authenticator app."


@dataclass
class BadToken(Unauthenticated):
    detail: str = "The token is unknown, revoked or expired."


@dataclass
class UserNotFound(NotFound):
    detail: str = "No such user."


@dataclass
class TooManyAttempts(RateLimited):
    detail: str = "Too many sign-in attempts; try again later."


@dataclass
class InvalidUser(InvalidInput):
    pass


@dataclass
class UnknownUnit(InvalidInput):
    pass
