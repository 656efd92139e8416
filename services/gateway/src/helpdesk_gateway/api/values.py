"""The constrained input types of the REST API, shared by every router.

Bad input must be a 422 naming the field, never a failure further in: so every id is a
positive 64-bit integer (what the services' fields hold), every string has a bound and
no control characters (one-line names none at all; texts keep tab and line breaks), and
every list has a bound. Each constraint shows in the OpenAPI document, so a client — or
a fuzzer — knows the rules before it sends anything.

Use them in request models (``name: str = line(200, min_length=1)``,
``unit_id: Id``) and for path and query parameters (``ticket_id: IdPath``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import Field
from pydantic_core import PydanticUndefined

MAX_ID = 2**63 - 1
# One line: no C0 control characters, no DEL.
LINE = r"^[^\x00-\x1f\x7f]*$"
# Text: tab, line feed and carriage return allowed, other control characters not.
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Id = Annotated[int, Field(gt=0, le=MAX_ID)]
# 0 (or null where the field allows it) = none.
IdOrZero = Annotated[int, Field(ge=0, le=MAX_ID)]
IdPath = Annotated[int, Path(gt=0, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(gt=0, le=MAX_ID)]
# A list filter: repeated (?state=new&state=done) or comma-separated (?state=new,done).
FilterValues = Annotated[list[Annotated[str, Query(max_length=100)]] | None, Query(max_length=100)]


def split_values(values: list[str] | None) -> list[str]:
    """A list filter's values, whichever way they were sent."""
    return [v for value in values or [] for v in value.split(",") if v]


def line(max_length: int, *, min_length: int = 0, default: Any = PydanticUndefined, **kw: Any) -> Any:
    """A one-line string field (names, logins, addresses, tokens)."""
    return Field(default, min_length=min_length, max_length=max_length, pattern=LINE, **kw)


def text(max_length: int, *, min_length: int = 0, default: Any = PydanticUndefined, **kw: Any) -> Any:
    """A multi-line string field (bodies, notes, certificates)."""
    return Field(default, min_length=min_length, max_length=max_length, pattern=TEXT, **kw)
