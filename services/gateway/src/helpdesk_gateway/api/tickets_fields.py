"""REST for custom field definitions, the dashboard's counters and the Markdown preview.

HTTP ⇄ gRPC only: tickets checks who may do what (admins define fields; clients see
only client-visible ones) and validates every definition and value.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import ORJSONResponse
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import Field

from helpdesk_gateway.api.shapes import Strict, clients
from helpdesk_gateway.auth import CallerDep

router = APIRouter(default_response_class=ORJSONResponse)

Kind = Literal["text", "textarea", "select", "multiselect", "date"]
Options = list[str]


class FieldIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    kind: Kind
    options: Options = Field(default_factory=list, max_length=200)
    required: bool = False
    client_visible: bool = False
    position: int = Field(default=0, ge=-1_000_000, le=1_000_000)


class FieldPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: Kind | None = None
    options: Options | None = Field(default=None, max_length=200)
    required: bool | None = None
    client_visible: bool | None = None
    position: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)


class MarkdownIn(Strict):
    text: str = Field(max_length=50_000)


def field_out(f: t_pb.CustomField) -> dict[str, Any]:
    return {
        "id": f.id,
        "name": f.name,
        "kind": f.kind,
        "options": list(f.options),
        "required": f.required,
        "client_visible": f.client_visible,
        "position": f.position,
    }


@router.get("/custom-fields", response_model=None)
async def list_fields(caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).tickets.ListCustomFields(t_pb.ListCustomFieldsRequest())
    return {"items": [field_out(f) for f in resp.fields]}


@router.post("/custom-fields", response_model=None, status_code=201)
async def create_field(body: FieldIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    f = await clients(request).tickets.CreateCustomField(t_pb.CreateCustomFieldRequest(**body.model_dump()))
    return field_out(f)


@router.patch("/custom-fields/{field_id}", response_model=None)
async def update_field(
    field_id: int, body: FieldPatch, caller: CallerDep, request: Request
) -> dict[str, Any]:
    given = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    options = given.pop("options", None)
    f = await clients(request).tickets.UpdateCustomField(
        t_pb.UpdateCustomFieldRequest(
            id=field_id,
            set_options=options is not None,
            options=options or [],
            **given,
        )
    )
    return field_out(f)


@router.delete("/custom-fields/{field_id}", response_model=None, status_code=204)
async def delete_field(field_id: int, caller: CallerDep, request: Request) -> Response:
    await clients(request).tickets.DeleteCustomField(t_pb.CustomFieldRequest(id=field_id))
    return Response(status_code=204)


@router.get("/tickets/counters", response_model=None)
async def counters(caller: CallerDep, request: Request) -> dict[str, Any]:
    c = await clients(request).tickets.GetCounters(t_pb.CountersRequest())
    return {
        "new": c.new,
        "in_work": c.in_work,
        "mine": c.mine,
        "sla_warning": c.sla_warning,
        "sla_breached": c.sla_breached,
    }


@router.post("/markdown", response_model=None)
async def markdown(body: MarkdownIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    resp = await clients(request).tickets.RenderMarkdown(t_pb.RenderMarkdownRequest(text=body.text))
    return {"html": resp.html}
