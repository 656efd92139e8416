"""REST for custom field definitions, the dashboard's counters and the Markdown preview.

HTTP ⇄ gRPC only: tickets checks who may do what (admins define fields; clients see
only client-visible ones) and validates every definition and value.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Request
from helpdesk.tickets.v1 import tickets_pb2 as t_pb
from pydantic import Field

from helpdesk_gateway.api.models.tickets import Counters, CustomField, CustomFieldList, Html
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.values import LINE, IdPath, line, text
from helpdesk_gateway.auth import CallerDep

router = api_router()

Kind = Literal["text", "textarea", "select", "multiselect", "date"]
Options = list[Annotated[str, Field(min_length=1, max_length=200, pattern=LINE)]]


class FieldIn(Strict):
    name: str = line(100, min_length=1)
    kind: Kind
    options: Options = Field(default_factory=list, max_length=200)
    required: bool = False
    client_visible: bool = False
    position: int = Field(default=0, ge=-1_000_000, le=1_000_000)


class FieldPatch(Strict):
    name: str | None = line(100, min_length=1, default=None)
    kind: Kind | None = None
    options: Options | None = Field(default=None, max_length=200)
    required: bool | None = None
    client_visible: bool | None = None
    position: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)


class MarkdownIn(Strict):
    text: str = text(50_000)


@router.get("/custom-fields")
async def list_fields(caller: CallerDep, request: Request) -> CustomFieldList:
    resp = await clients(request).tickets.ListCustomFields(t_pb.ListCustomFieldsRequest())
    return CustomFieldList.of(items=[CustomField.from_pb(f) for f in resp.fields])


@router.post("/custom-fields", status_code=201)
async def create_field(body: FieldIn, caller: CallerDep, request: Request) -> CustomField:
    f = await clients(request).tickets.CreateCustomField(t_pb.CreateCustomFieldRequest(**body.model_dump()))
    return CustomField.from_pb(f)


@router.patch("/custom-fields/{field_id}")
async def update_field(
    field_id: IdPath, body: FieldPatch, caller: CallerDep, request: Request
) -> CustomField:
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
    return CustomField.from_pb(f)


@router.delete("/custom-fields/{field_id}", status_code=204)
async def delete_field(field_id: IdPath, caller: CallerDep, request: Request) -> None:
    await clients(request).tickets.DeleteCustomField(t_pb.CustomFieldRequest(id=field_id))


@router.get("/tickets/counters")
async def counters(caller: CallerDep, request: Request) -> Counters:
    c = await clients(request).tickets.GetCounters(t_pb.CountersRequest())
    return Counters.of(
        new=c.new, in_work=c.in_work, mine=c.mine, sla_warning=c.sla_warning, sla_breached=c.sla_breached
    )


@router.post("/markdown")
async def markdown(body: MarkdownIn, caller: CallerDep, request: Request) -> Html:
    resp = await clients(request).tickets.RenderMarkdown(t_pb.RenderMarkdownRequest(text=body.text))
    return Html.of(html=resp.html)
