"""The API document is the contract: every answer the end-to-end suite receives from
``/api/v1`` is checked against the OpenAPI document the gateway serves.

``ContractChecker.check`` is an httpx response hook (the ``api`` fixture's client has
it): it finds the operation of the request in the document and validates the answer —
its status is documented, its content type is, and its body matches the schema
(openapi-core). What does not match is collected; the session fails at its end with
the list (conftest.py's ``contract`` fixture), so a route added or changed without
its model and documentation is caught by whichever test first calls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import orjson
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathError
from werkzeug.datastructures import Headers, ImmutableMultiDict

# Not part of the document: the document itself, and what the web shell serves.
UNCHECKED = ("/api/v1/openapi.json",)


class _Request:
    """An httpx request as openapi-core reads one."""

    def __init__(self, request: httpx.Request) -> None:
        self.host_url = f"{request.url.scheme}://{request.url.netloc.decode()}"
        self.path = request.url.path
        self.method = request.method.lower()
        self.body: bytes | None = None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(request.url.query.decode())),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict({}),
        )


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.data = response.content
        self.content_type = response.headers.get("content-type", "").split(";")[0]
        self.headers = Headers(dict(response.headers))


@dataclass
class ContractChecker:
    """Validates answers against the document; keeps what did not match."""

    document: dict[str, Any]
    failures: list[str] = field(default_factory=list)
    checked: int = 0

    def __post_init__(self) -> None:
        # Problems are JSON too; openapi-core knows only application/json by itself.
        config = Config(extra_media_type_deserializers={"application/problem+json": orjson.loads})
        self._openapi = OpenAPI.from_dict(self.document, config=config)

    def check(self, response: httpx.Response) -> None:
        request = response.request
        path = request.url.path
        if not path.startswith("/api/v1/") or path in UNCHECKED:
            return
        response.read()
        self.checked += 1
        result = self._openapi.unmarshal_response(_Request(request), _Response(response))
        # A path the document does not know is no operation of ours (an unknown path's 404
        # is checked by the kit's tests; the route table test keeps document and routes equal).
        errors = [e for e in result.errors if not isinstance(e, PathError)]
        if errors:
            reasons = "; ".join(_reason(e) for e in errors)
            self.failures.append(f"{request.method} {path} → {response.status_code}: {reasons}")


def _reason(error: BaseException) -> str:
    causes = [str(error)]
    inner = getattr(error, "schema_errors", None) or getattr(error.__cause__, "schema_errors", None)
    for e in inner or ():
        causes.append(f"{list(e.path)}: {e.message}"[:300])
    return " | ".join(causes)[:1000]
