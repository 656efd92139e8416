"""Errors of the identity service.

AppError (kit)
├── Unauthenticated ── BadCredentials      wrong login or password, or a disabled user
├── NotFound ───────── UnknownUnit, UserNotFound
└── InvalidInput ───── InvalidUser          fields that break the directory's rules
"""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk_kit.errors import InvalidInput, NotFound, Unauthenticated


@dataclass
class BadCredentials(Unauthenticated):
    detail: str = "Wrong login or password."


@dataclass
class UnknownUnit(NotFound):
    pass


@dataclass
class InvalidUser(InvalidInput):
    pass
