"""Shapes shared by the REST routers: strict request bodies and time stamps."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict

from helpdesk_gateway.clients import Clients
from helpdesk_kit.timestamps import to_rfc3339


class Strict(BaseModel):
    """Unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def ts(value: Timestamp) -> str | None:
    """A protobuf Timestamp as RFC 3339, or None when unset."""
    return to_rfc3339(value)


def clients(request: Request) -> Clients:
    c: Clients = request.app.state.clients
    return c


def page(items: list[dict[str, Any]], next_cursor: str | None = None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}
