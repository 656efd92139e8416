"""Custom fields (docs/product/tickets.md § Custom fields): admin-defined definitions and the
values a ticket holds.

No framework imports: the rules of a definition and of a value, testable alone.
A ticket stores its values as ``{"<field id>": value}``; a text or textarea value is a
string, a select one of the options, a multiselect a list of distinct options, a date
``YYYY-MM-DD``. Clients may set and see only the fields marked ``client_visible``
(setting another one is a 422 naming it, as if the field did not exist for them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from helpdesk_kit.errors import FieldError
from helpdesk_tickets.errors import InvalidTicket

KINDS = ("text", "textarea", "select", "multiselect", "date")
MAX_NAME = 100
MAX_TEXT = 10_000
MAX_OPTIONS = 200
MAX_OPTION = 200


def field_id(key: str) -> int | None:
    """The field id a ``custom_fields`` key names ("7"), or None for anything else."""
    if not key or len(key) > 18 or not key.isascii() or not key.isdigit():
        return None
    return int(key)


@dataclass(frozen=True)
class CustomField:
    id: int
    name: str
    kind: str
    options: tuple[str, ...] = ()
    required: bool = False
    client_visible: bool = False
    position: int = 0

    def checked(self) -> CustomField:
        """The definition as it will be stored, or InvalidTicket naming every bad field."""
        errors: list[FieldError] = []
        name = self.name.strip()
        if not 1 <= len(name) <= MAX_NAME:
            errors.append(FieldError("name", f"1 to {MAX_NAME} characters"))
        if self.kind not in KINDS:
            errors.append(FieldError("kind", ", ".join(KINDS)))
        options = tuple(o.strip() for o in self.options)
        if self.kind in ("select", "multiselect") and not options:
            errors.append(FieldError("options", "at least one option"))
        if any(not o or len(o) > MAX_OPTION for o in options):
            errors.append(FieldError("options", f"each 1 to {MAX_OPTION} characters"))
        elif len(set(options)) != len(options):
            errors.append(FieldError("options", "listed twice"))
        if len(options) > MAX_OPTIONS:
            errors.append(FieldError("options", f"at most {MAX_OPTIONS}"))
        if not -1_000_000 <= self.position <= 1_000_000:
            errors.append(FieldError("position", "between -1000000 and 1000000"))
        if errors:
            raise InvalidTicket("The custom field is not valid.", errors=errors)
        if self.kind not in ("select", "multiselect"):
            options = ()
        return replace(self, name=name, options=options)


def _value_error(f: CustomField, value: object) -> str | None:  # noqa: C901
    """Why ``value`` does not fit the field, or None when it does."""
    if f.kind in ("text", "textarea"):
        if not isinstance(value, str):
            return "a string"
        if len(value) > MAX_TEXT:
            return f"at most {MAX_TEXT} characters"
        if f.required and not value.strip():
            return "required"
        return None
    if f.kind == "select":
        return None if isinstance(value, str) and value in f.options else "one of the options"
    if f.kind == "multiselect":
        if not isinstance(value, list) or not all(isinstance(v, str) and v in f.options for v in value):
            return "a list of the options"
        if len(set(value)) != len(value):
            return "an option listed twice"
        if f.required and not value:
            return "required"
        return None
    if not isinstance(value, str) or len(value) != 10:
        return "a date, YYYY-MM-DD"
    try:
        date.fromisoformat(value)
    except ValueError:
        return "a date, YYYY-MM-DD"
    return None


def apply_values(
    defs: dict[int, CustomField],
    given: dict[str, object],
    *,
    current: dict[str, object],
    is_client: bool,
    creating: bool,
) -> dict[str, object]:
    """The ticket's values after ``given`` (``null`` clears), or InvalidTicket naming each
    bad ``custom_fields.<id>``. On create every required field the caller may set must be
    there; deleted fields' old values stay in ``current`` untouched."""
    errors: list[FieldError] = []
    out = dict(current)
    for key, value in given.items():
        path = f"custom_fields.{key}"
        f = defs.get(field_id(key) or 0)
        if f is None or (is_client and not f.client_visible):
            errors.append(FieldError(path, "no such field"))
            continue
        if value is None:
            if f.required:
                errors.append(FieldError(path, "required"))
            out.pop(str(f.id), None)
            continue
        problem = _value_error(f, value)
        if problem:
            errors.append(FieldError(path, problem))
        else:
            out[str(f.id)] = value
    if creating:
        for f in defs.values():
            settable = f.client_visible or not is_client
            if f.required and settable and str(f.id) not in out and str(f.id) not in given:
                errors.append(FieldError(f"custom_fields.{f.id}", "required"))
    if errors:
        raise InvalidTicket("The custom fields are not valid.", errors=errors)
    return out


def visible_values(
    defs: dict[int, CustomField], values: dict[str, object], *, is_client: bool
) -> dict[str, object]:
    """What the caller sees: live fields only, and for clients only client-visible ones."""
    out: dict[str, object] = {}
    for key, value in values.items():
        f = defs.get(field_id(key) or 0)
        if f is not None and (f.client_visible or not is_client):
            out[key] = value
    return out


def value_changes(before: dict[str, object], after: dict[str, object]) -> dict[str, list[object]]:
    """``{"custom_fields.<id>": [before, after]}`` for each value that changed."""
    return {
        f"custom_fields.{key}": [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after), key=lambda k: (len(k), k))
        if before.get(key) != after.get(key)
    }
