"""The OpenAPI description of ``POST /api`` and ``/api.php``: one operation per path, its
body a ``oneOf`` by ``mode`` built from the mode table, so the document names each mode's
fields and cannot drift from what the dispatcher checks."""

from __future__ import annotations

from typing import Any

from helpdesk_gateway.api.zenlix.modes import MODES

FIELD_DOCS = {
    "uniq_id": "the key: a ZENLIX API key (from auth or the profile) or a personal API token",
    "login": "the user's login",
    "pass": "his password",
    "device_token": "the mobile device's push token: a device's earlier key is revoked",
    "type": "in | out | arch | client",
    "ticket_hash": "the ticket's hash (ref)",
    "user_hash": "a user's public hash",
    "unit_code": "a unit's id",
    "find_param": "text to look for in names, logins, e-mails, phones",
    "dep_code": "a unit's id",
    "msg": "the text (Markdown for comments)",
    "user_to_id": '"0" = the whole unit, else users\' public hashes, comma-separated',
    "unit_id": "a unit's id",
    "subj": "a subject's id (get_subj_list); other text is a free-text subject",
    "client_id": "the public hash of the user the ticket is about",
    "prio": "0 low | 1 normal | 2 high (anything else: normal)",
}

DESCRIPTION = """ZENLIX 2's JSON API, for the clients written for it (docs/zenlix-api.md):
every request names a `mode`; the body is JSON whatever its Content-Type (as ZENLIX read
it), or a form. Answers keep ZENLIX's shapes: an array holding one object with the
mode's fields, `status` (`ok` | `error`) and `error_description` (ZENLIX's strings:
`not all params`, `input values not alls`, `system auth error`, `you have no priviliges`,
`error data in fields`, `mode-param is not valid`); `auth` answers a bare object and
`reset_token` nothing. HTTP 200 for all of them, as ZENLIX; 429 over a rate limit (failed
sign-ins; new tickets and comments, as the REST API's), 503 when a service does not
answer, 413 for a body over 1 MiB, 404 when the installation switched this API off."""


def _schema(name: str, required: tuple[str, ...], optional: tuple[str, ...], summary: str) -> dict[str, Any]:
    props: dict[str, Any] = {"mode": {"type": "string", "const": name}}
    for field in (*required, *optional):
        props[field] = {"type": ["string", "integer"], "description": FIELD_DOCS.get(field, field)}
    return {
        "title": name,
        "description": summary,
        "type": "object",
        "required": ["mode", *required],
        "properties": props,
    }


def _request_body() -> dict[str, Any]:
    schema = {
        "oneOf": [_schema(m.name, m.fields, m.optional, m.summary) for m in MODES.values()],
        "discriminator": {"propertyName": "mode"},
    }
    return {
        "required": True,
        "content": {
            "application/json": {"schema": schema},
            "application/x-www-form-urlencoded": {"schema": schema},
        },
    }


_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_ENVELOPE = {"type": "array", "items": {"type": "object"}, "minItems": 1, "maxItems": 1}

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "ZENLIX's answer, errors included: `[{…, status, error_description}]`; "
        "auth: a bare object; reset_token: an empty body.",
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "array", "items": {"type": "object"}, "minItems": 1, "maxItems": 1},
                        {"type": "object"},
                    ]
                }
            }
        },
    },
    404: {
        "description": "ZENLIX's API is switched off (HELPDESK_ZENLIX_API=false).",
        "content": {"application/problem+json": {"schema": _PROBLEM}},
    },
    413: {
        "description": "The body is larger than 1 MiB.",
        "content": {"application/problem+json": {"schema": _PROBLEM}},
    },
    429: {
        "description": "Too many failed sign-ins (auth), new tickets or comments (the REST API's "
        "limits); Retry-After says when to try again. ZENLIX's envelope with the error.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
        "content": {"application/json": {"schema": _ENVELOPE}},
    },
    503: {
        "description": "A service did not answer in time. ZENLIX's envelope with the error.",
        "content": {"application/json": {"schema": _ENVELOPE}},
    },
}


def _operation(operation_id: str, summary: str) -> dict[str, Any]:
    return {
        "operation_id": operation_id,
        "summary": summary,
        "description": DESCRIPTION,
        "tags": ["zenlix"],
        "responses": _RESPONSES,
        "response_model": None,
        "openapi_extra": {"requestBody": _request_body()},
    }


OPERATION = _operation("zenlix_api", "ZENLIX's JSON API (every mode)")
OPERATION_PHP = _operation("zenlix_api_php", "ZENLIX's JSON API under its file name api.php")
