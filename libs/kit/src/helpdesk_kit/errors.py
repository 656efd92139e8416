"""The error tree every service raises, and its one translation to HTTP and gRPC.

AppError                      (code decides the HTTP / gRPC status)
├── NotFound                  404 / NOT_FOUND          invisible or missing object
├── Conflict                  409 / FAILED_PRECONDITION wrong state for the action
├── Forbidden                 403 / PERMISSION_DENIED  visible, but not the caller's to do
├── Unauthenticated           401 / UNAUTHENTICATED    no or bad credentials
├── InvalidInput              422 / INVALID_ARGUMENT   carries field errors
├── PreconditionFailed        412 / ABORTED            stale ETag
├── RateLimited               429 / RESOURCE_EXHAUSTED carries retry_after
└── Unavailable               503 / UNAVAILABLE        a dependency is down

Besides its status, every error has a stable machine-readable ``key`` (``problem+json``'s
``code``): by default the status's name (``not_found``, ``invalid``, ...), or a more precise
one a service gives (``file.too_large``). Field errors may carry their own ``code`` and the
``params`` a message needs (``{"max_bytes": 10485760}``), so that an interface can say the
same in the user's language; ``message`` stays the English text.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field

import grpc

__all__ = [
    "AppError",
    "Conflict",
    "ErrorCode",
    "FieldError",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PreconditionFailed",
    "RateLimited",
    "Unauthenticated",
    "Unavailable",
    "error_for",
]


class ErrorCode(enum.Enum):
    NOT_FOUND = (404, grpc.StatusCode.NOT_FOUND)
    CONFLICT = (409, grpc.StatusCode.FAILED_PRECONDITION)
    FORBIDDEN = (403, grpc.StatusCode.PERMISSION_DENIED)
    UNAUTHENTICATED = (401, grpc.StatusCode.UNAUTHENTICATED)
    INVALID = (422, grpc.StatusCode.INVALID_ARGUMENT)
    PRECONDITION_FAILED = (412, grpc.StatusCode.ABORTED)
    RATE_LIMITED = (429, grpc.StatusCode.RESOURCE_EXHAUSTED)
    UNAVAILABLE = (503, grpc.StatusCode.UNAVAILABLE)

    @property
    def http_status(self) -> int:
        return self.value[0]

    @property
    def grpc_status(self) -> grpc.StatusCode:
        return self.value[1]

    @classmethod
    def from_grpc(cls, status: grpc.StatusCode) -> ErrorCode | None:
        return next((c for c in cls if c.grpc_status == status), None)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: str = ""  # stable, machine-readable ("too_large"); empty: none more precise than the error's
    # (``dataclasses.field``: the name ``field`` is this class's first attribute)
    params: dict[str, object] = dataclasses.field(default_factory=dict, hash=False, compare=False)

    def as_json(self) -> dict[str, object]:
        """The ``errors`` entry of a problem body (``code`` and ``params`` only when set)."""
        out: dict[str, object] = {"field": self.field, "message": self.message}
        if self.code:
            out["code"] = self.code
        if self.params:
            out["params"] = self.params
        return out


@dataclass
class AppError(Exception):
    """A failure the caller should see, with the reason in ``detail``."""

    detail: str
    errors: list[FieldError] = field(default_factory=list)
    retry_after: int | None = None
    code: ErrorCode = ErrorCode.CONFLICT
    key: str = ""  # the stable code of this error; empty: the status's (``problem_code``)

    def __str__(self) -> str:
        return self.detail

    @property
    def problem_code(self) -> str:
        """The stable code answered as problem+json's ``code``."""
        return self.key or self.code.name.lower()


@dataclass
class NotFound(AppError):
    code: ErrorCode = ErrorCode.NOT_FOUND


@dataclass
class Conflict(AppError):
    code: ErrorCode = ErrorCode.CONFLICT


@dataclass
class Forbidden(AppError):
    code: ErrorCode = ErrorCode.FORBIDDEN


@dataclass
class Unauthenticated(AppError):
    code: ErrorCode = ErrorCode.UNAUTHENTICATED


@dataclass
class InvalidInput(AppError):
    code: ErrorCode = ErrorCode.INVALID


@dataclass
class PreconditionFailed(AppError):
    code: ErrorCode = ErrorCode.PRECONDITION_FAILED


@dataclass
class RateLimited(AppError):
    code: ErrorCode = ErrorCode.RATE_LIMITED


@dataclass
class Unavailable(AppError):
    code: ErrorCode = ErrorCode.UNAVAILABLE


_BY_CODE: dict[ErrorCode, type[AppError]] = {
    ErrorCode.NOT_FOUND: NotFound,
    ErrorCode.CONFLICT: Conflict,
    ErrorCode.FORBIDDEN: Forbidden,
    ErrorCode.UNAUTHENTICATED: Unauthenticated,
    ErrorCode.INVALID: InvalidInput,
    ErrorCode.PRECONDITION_FAILED: PreconditionFailed,
    ErrorCode.RATE_LIMITED: RateLimited,
    ErrorCode.UNAVAILABLE: Unavailable,
}


def error_for(code: ErrorCode, detail: str, **kw: object) -> AppError:
    """Rebuilds the matching AppError subclass, e.g. from a gRPC status."""
    return _BY_CODE[code](detail, **kw)  # type: ignore[arg-type]
