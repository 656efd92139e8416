"""The WebSocket on the gateway's origin (filled in by the realtime issue)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import ORJSONResponse

router = APIRouter(prefix="/api/v1", default_response_class=ORJSONResponse)
