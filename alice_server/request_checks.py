"""One rule for every request, checked once before any handler runs: text and
JSON that could reach PostgreSQL hold no NUL character and no non-finite number.

PostgreSQL refuses a NUL (U+0000) in `text` and in `jsonb` (22P05, 22021), and
JSON has no NaN or Infinity, so without this rule such a value became INTERNAL
deep inside a transaction. `problem(request)` walks any protobuf message by
its descriptor (nested messages, repeated fields, maps and their keys,
google.protobuf.Struct / Value / ListValue) and names the first offending
field by its path, e.g. `settings.other['x']: text must not contain NUL
(\\u0000)`. A field added to the proto is covered without editing anything.

Fields of type `bytes` may hold any byte: they are not text.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from google.protobuf import descriptor as d
from google.protobuf.message import Message

NUL = "\x00"
TEXT_NUL = "text must not contain NUL (\\u0000)"
KEY_NUL = "keys must not contain NUL (\\u0000)"
NON_FINITE = "numbers must be finite (no NaN or Infinity)"
MAX_KEY_IN_PATH = 40

STRUCT = "google.protobuf.Struct"
VALUE = "google.protobuf.Value"
LIST_VALUE = "google.protobuf.ListValue"
_STRING = d.FieldDescriptor.TYPE_STRING
_MESSAGE = d.FieldDescriptor.TYPE_MESSAGE
_FLOATS = (d.FieldDescriptor.TYPE_DOUBLE, d.FieldDescriptor.TYPE_FLOAT)


def problem(request: Any) -> str | None:
    """The first value of `request` PostgreSQL could not store, as
    "<field path>: <rule>", or None when there is none."""
    if not isinstance(request, Message):
        return None
    return _message(request, "")


@cache
def _worth_walking(descriptor: d.Descriptor) -> bool:
    """Whether a message of this type can hold text or a floating-point number
    (a Timestamp, for one, cannot)."""
    return _holds_checked(descriptor, set())


def _holds_checked(descriptor: d.Descriptor, seen: set[str]) -> bool:
    if descriptor.full_name in seen:
        return False
    seen.add(descriptor.full_name)
    for field in descriptor.fields:
        if field.type == _STRING or field.type in _FLOATS:
            return True
        nested = field.message_type
        if nested is not None and _holds_checked(nested, seen):
            return True
    return False


def _message(message: Message, path: str) -> str | None:
    descriptor = message.DESCRIPTOR
    name = descriptor.full_name
    if name == STRUCT:
        return _struct(message, path)
    if name == VALUE:
        return _value(message, path)
    if name == LIST_VALUE:
        return _list(message, path)
    if not _worth_walking(descriptor):
        return None
    for field, value in message.ListFields():
        where = f"{path}.{field.name}" if path else field.name
        entry = field.message_type
        if entry is not None and entry.GetOptions().map_entry:
            found = _map(entry.fields_by_name["value"], value, where)
        elif field.is_repeated:
            found = next(
                (f for i, item in enumerate(value) if (f := _single(field, item, f"{where}[{i}]"))),
                None,
            )
        else:
            found = _single(field, value, where)
        if found:
            return found
    return None


def _map(value_field: d.FieldDescriptor, entries: Any, path: str) -> str | None:
    for key, item in entries.items():
        where = f"{path}[{_shown(key)}]"
        if isinstance(key, str) and NUL in key:
            return f"{where}: {KEY_NUL}"
        found = _single(value_field, item, where)
        if found:
            return found
    return None


def _single(field: d.FieldDescriptor, value: Any, path: str) -> str | None:
    if field.type == _STRING:
        return f"{path}: {TEXT_NUL}" if NUL in value else None
    if field.type in _FLOATS:
        return None if math.isfinite(value) else f"{path}: {NON_FINITE}"
    if field.type == _MESSAGE:
        return _message(value, path)
    return None


def _struct(struct: Any, path: str) -> str | None:
    for key, item in struct.fields.items():
        where = f"{path}[{_shown(key)}]"
        if NUL in key:
            return f"{where}: {KEY_NUL}"
        found = _value(item, where)
        if found:
            return found
    return None


def _list(values: Any, path: str) -> str | None:
    for i, item in enumerate(values.values):
        found = _value(item, f"{path}[{i}]")
        if found:
            return found
    return None


def _value(value: Any, path: str) -> str | None:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return f"{path}: {TEXT_NUL}" if NUL in value.string_value else None
    if kind == "number_value":
        return None if math.isfinite(value.number_value) else f"{path}: {NON_FINITE}"
    if kind == "struct_value":
        return _struct(value.struct_value, path)
    if kind == "list_value":
        return _list(value.list_value, path)
    return None


def _shown(key: object) -> str:
    """A map key in a path: quoted and escaped, long keys cut short."""
    if not isinstance(key, str):
        return str(key)
    if len(key) > MAX_KEY_IN_PATH:
        key = key[:MAX_KEY_IN_PATH] + "..."
    return repr(key)
