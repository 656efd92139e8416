"""REST for sla (filled in by the sla issue)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import ORJSONResponse

router = APIRouter(prefix="/api/v1", default_response_class=ORJSONResponse)
