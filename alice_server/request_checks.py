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


def problem(request: Any, data: bytes | None = None) -> str | None:
    """The first value of `request` PostgreSQL could not store, as
    "<field path>: <rule>", or None when there is none.

    `data`, the request's bytes, makes the common case cheap: without a zero
    byte no string can hold a NUL (UTF-8 writes U+0000 as that byte), so only
    floating-point numbers are looked at, and only in messages that hold some."""
    if not isinstance(request, Message):
        return None
    texts = data is None or b"\x00" in data
    found = _message(request, texts)
    if found is None:
        return None
    rule, segments = found
    return "".join(reversed(segments)).lstrip(".") + ": " + rule


# A problem found: the rule, and the path's segments from the leaf upwards
# (built only on the way back from a problem, never for a valid request).
Found = tuple[str, list[str]]


@cache
def _worth_walking(descriptor: d.Descriptor, texts: bool) -> bool:
    """Whether a message of this type can hold text (when `texts`) or a
    floating-point number (a Timestamp, for one, holds neither)."""
    return _holds_checked(descriptor, texts, set())


def _holds_checked(descriptor: d.Descriptor, texts: bool, seen: set[str]) -> bool:
    if descriptor.full_name in (STRUCT, VALUE, LIST_VALUE):
        return True
    if descriptor.full_name in seen:
        return False
    seen.add(descriptor.full_name)
    for field in descriptor.fields:
        if (texts and field.type == _STRING) or field.type in _FLOATS:
            return True
        nested = field.message_type
        if nested is not None and _holds_checked(nested, texts, seen):
            return True
    return False


def _message(message: Message, texts: bool) -> Found | None:
    descriptor = message.DESCRIPTOR
    name = descriptor.full_name
    if name == STRUCT:
        return _struct(message, texts)
    if name == VALUE:
        return _value(message, texts)
    if name == LIST_VALUE:
        return _list(message, texts)
    if not _worth_walking(descriptor, texts):
        return None
    for field, value in message.ListFields():
        entry = field.message_type
        if entry is not None and entry.GetOptions().map_entry:
            found = _map(entry.fields_by_name["value"], value, texts)
        elif field.is_repeated:
            found = None
            for i, item in enumerate(value):
                found = _single(field, item, texts)
                if found:
                    found[1].append(f"[{i}]")
                    break
        else:
            found = _single(field, value, texts)
        if found:
            found[1].append("." + field.name)
            return found
    return None


def _map(value_field: d.FieldDescriptor, entries: Any, texts: bool) -> Found | None:
    for key, item in entries.items():
        found: Found | None
        if texts and isinstance(key, str) and NUL in key:
            found = (KEY_NUL, [])
        else:
            found = _single(value_field, item, texts)
        if found:
            found[1].append(f"[{_shown(key)}]")
            return found
    return None


def _single(field: d.FieldDescriptor, value: Any, texts: bool) -> Found | None:
    kind = field.type
    if kind == _STRING:
        return (TEXT_NUL, []) if texts and NUL in value else None
    if kind in _FLOATS:
        return None if math.isfinite(value) else (NON_FINITE, [])
    if kind == _MESSAGE:
        return _message(value, texts)
    return None


def _struct(struct: Any, texts: bool) -> Found | None:
    for key, item in struct.fields.items():
        found = (KEY_NUL, []) if texts and NUL in key else _value(item, texts)
        if found:
            found[1].append(f"[{_shown(key)}]")
            return found
    return None


def _list(values: Any, texts: bool) -> Found | None:
    for i, item in enumerate(values.values):
        found = _value(item, texts)
        if found:
            found[1].append(f"[{i}]")
            return found
    return None


def _value(value: Any, texts: bool) -> Found | None:
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        return None if math.isfinite(value.number_value) else (NON_FINITE, [])
    if kind == "string_value":
        return (TEXT_NUL, []) if texts and NUL in value.string_value else None
    if kind == "struct_value":
        return _struct(value.struct_value, texts)
    if kind == "list_value":
        return _list(value.list_value, texts)
    return None


def _shown(key: object) -> str:
    """A map key in a path: quoted and escaped, long keys cut short."""
    if not isinstance(key, str):
        return str(key)
    if len(key) > MAX_KEY_IN_PATH:
        key = key[:MAX_KEY_IN_PATH] + "..."
    return repr(key)
