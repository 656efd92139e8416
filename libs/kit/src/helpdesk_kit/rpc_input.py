"""Text no service can keep: NUL characters in the strings of a request.

PostgreSQL's ``text`` cannot hold U+0000, so such a string would fail deep inside a
query and the caller would see a server fault. The kit's gRPC server refuses it at
the door instead (INVALID_ARGUMENT naming the field), for every method of every
service, before the handler runs.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

__all__ = ["fields_with_nul"]

_STRING = FieldDescriptor.TYPE_STRING
_MESSAGE = FieldDescriptor.TYPE_MESSAGE


def fields_with_nul(message: Message, prefix: str = "") -> list[str]:
    """Dotted names of the string fields (nested, repeated and map ones too) holding a NUL."""
    found: list[str] = []
    for field, value in message.ListFields():
        name = prefix + field.name
        if field.type == _STRING:
            values = value if field.is_repeated else (value,)
            if any("\x00" in v for v in values):
                found.append(name)
        elif field.type == _MESSAGE:
            found += _nested(field, value, name)
    return found


def _nested(field: FieldDescriptor, value: Any, name: str) -> list[str]:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        found = [name for key in value if isinstance(key, str) and "\x00" in key]
        for key, item in value.items():
            if isinstance(item, str) and "\x00" in item:
                found.append(f"{name}.{key}")
            elif isinstance(item, Message):
                found += fields_with_nul(item, f"{name}.{key}.")
        return found
    if field.is_repeated:
        return [f for i, item in enumerate(value) for f in fields_with_nul(item, f"{name}.{i}.")]
    return fields_with_nul(value, name + ".")
