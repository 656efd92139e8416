"""The edge's fields on the way out (``edge.Edge``): the page security headers on what is
not the JSON API, once each, and none on the API's answers nor on a 413 answered before the
app ran."""

from __future__ import annotations

import httpx

from helpdesk_gateway.app import build_app
from helpdesk_gateway.clients import Clients
from helpdesk_gateway.web import SECURITY_HEADERS

NAMES = [name.decode() for name, _ in SECURITY_HEADERS]


def _security(answer: httpx.Response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in answer.headers.multi_items() if k in NAMES]


async def test_pages_get_the_security_headers_once_and_api_answers_none(offline_clients: Clients) -> None:
    app = build_app(offline_clients)
    expected = [(name.decode(), value.decode()) for name, value in SECURITY_HEADERS]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        page = await http.get("/")
        probe = await http.get("/healthz")
        missing = await http.get("/no/such/page")
        document = await http.get("/api/v1/openapi.json")
        refused = await http.post("/api/v1/tickets", json={"unit_id": 1})
        oversized = await http.post(
            "/web/session",
            content=b"{}",
            headers={"content-length": str(10**9), "content-type": "application/json"},
        )
    assert (page.status_code, probe.status_code, missing.status_code) == (200, 200, 404)
    for answer in (page, probe, missing):
        assert _security(answer) == expected, answer.request.url
    assert (document.status_code, refused.status_code, oversized.status_code) == (200, 401, 413)
    for answer in (document, refused, oversized):
        assert _security(answer) == [], answer.request.url
