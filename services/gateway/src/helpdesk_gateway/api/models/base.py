"""The pieces every answer shares: the output base, lists with cursors, time stamps, problems."""

from __future__ import annotations

from typing import Annotated, Any, Self, cast

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

# RFC 3339 in UTC as the services write it; a string here (no parsing and re-writing).
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
# "{user id}": full name, for the people an answer mentions.
Names = dict[str, str]


class Out(BaseModel):
    """An answer of the API. ``of`` builds one without validation: for data from our own
    services, which FastAPI then serializes as it is."""

    model_config = ConfigDict(populate_by_name=True)

    @classmethod
    def of(cls, **fields: Any) -> Self:
        """``model_construct`` without its per-field Python loop when every field is given
        (what the builders here do): the instance state pydantic itself would set, at a
        fraction of the cost (bench/response_models.py). Otherwise ``model_construct``."""
        if len(fields) != len(cls.__pydantic_fields__):
            return cast(Self, cls.model_construct(**fields))
        model = cls.__new__(cls)
        state = object.__setattr__
        state(model, "__dict__", fields)
        state(model, "__pydantic_fields_set__", set(fields))
        state(model, "__pydantic_extra__", None)
        state(model, "__pydantic_private__", None)
        return model


class Page(Out):
    """A list: ``next_cursor`` is passed back as ``?cursor=`` for the next page; null = none."""

    next_cursor: str | None = None


class FieldProblem(BaseModel):
    field: str = Field(description="the field, nested ones with dots (custom_fields.7)")
    message: str = Field(description="what is wrong, in English words")
    code: str | None = Field(
        default=None, description="stable code of what is wrong (too_large, blank, string_too_short...)"
    )
    params: dict[str, str | int | float | bool] | None = Field(
        default=None, description="what the message needs (max_bytes, allowed, max...)"
    )


class Problem(BaseModel):
    """Every error (RFC 9457, ``application/problem+json``)."""

    type: str = "about:blank"
    title: str = Field(description="the HTTP status's phrase")
    status: int
    detail: str = Field(description="why, in English words")
    code: str = Field(
        description="stable code of the error, for programs and translations: the status's "
        "name (not_found, invalid, conflict...) or a more precise one (file.refused)"
    )
    errors: list[FieldProblem] | None = Field(default=None, description="validation: each bad field")
    trace_id: str | None = Field(default=None, description="quote it when reporting a 500")


class Accepted(Out):
    status: str
