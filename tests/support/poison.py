"""Requests with one field poisoned, generated from the protobuf descriptors.

`leaves(descriptor)` lists every field a request type holds, at any depth
(nested messages, the first item of a repeated message, a map's entry), each
with the path the server names it by and a function that writes a value there.
`sites(descriptor)` are the leaves that can hold what PostgreSQL cannot store:
each string field, map key, Struct / Value / ListValue and floating-point
field, with the poison (a NUL, a NaN) already chosen. A field added to a proto
is covered without editing the tests that use this.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor as d
from google.protobuf import message_factory
from google.protobuf.message import Message

from alice_server.server import SERVICES

NUL_TEXT = "a\x00b"
NUL_KEY = "k\x00"
MAX_DEPTH = 4
STRUCT = "google.protobuf.Struct"
VALUE = "google.protobuf.Value"
LIST_VALUE = "google.protobuf.ListValue"
TIMESTAMP = "google.protobuf.Timestamp"

Poison = Callable[[Message], None]


@dataclass(frozen=True)
class Method:
    path: str  # /package.Service/Method
    request: type[Message]
    streaming: bool

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[1]


def methods() -> list[Method]:
    """Every RPC of every service Alice serves."""
    return [
        Method(
            f"/{service.full_name}/{method.name}",
            message_factory.GetMessageClass(method.input_type),
            method.server_streaming,
        )
        for service in SERVICES
        for method in service.methods
    ]


@dataclass(frozen=True)
class Leaf:
    """One place of a request: `kind` is the field type's name ("string",
    "int32", "double", "enum", ...), or "struct", "value", "list", "timestamp",
    or "map_key" (a new key of a map whose keys are text)."""

    path: str
    kind: str
    write: Callable[[Message, Any], None]


@dataclass(frozen=True)
class Site:
    path: str  # as the server names it: "settings.other['k']"
    rule: str  # "NUL" or "finite"
    poison: Poison


KINDS = {
    value: name.removeprefix("TYPE_").lower()
    for name, value in vars(d.FieldDescriptor).items()
    if name.startswith("TYPE_")
}


def leaves(descriptor: d.Descriptor) -> list[Leaf]:
    return [Leaf(path.lstrip("."), kind, write) for path, kind, write in _leaves(descriptor, 0)]


def sites(descriptor: d.Descriptor) -> list[Site]:
    """Each leaf that can hold a NUL or a non-finite number, with that poison."""
    found = []
    for leaf in leaves(descriptor):
        for path, rule, value in _poisons(leaf):
            found.append(Site(path, rule, _writer(leaf, value)))
    return found


def poisoned(cls: type[Message], site: Site, base: Message | None = None) -> Message:
    message = cls()
    if base is not None:
        message.CopyFrom(base)
    site.poison(message)
    return message


def _writer(leaf: Leaf, value: Any) -> Poison:
    return lambda message: leaf.write(message, value)


def _poisons(leaf: Leaf) -> list[tuple[str, str, Any]]:
    if leaf.kind == "string":
        return [(leaf.path, "NUL", NUL_TEXT)]
    if leaf.kind == "map_key":
        return [(f"{leaf.path}[{NUL_KEY!r}]", "NUL", NUL_KEY)]
    if leaf.kind in ("double", "float"):
        return [(leaf.path, "finite", math.nan), (leaf.path, "finite", -math.inf)]
    if leaf.kind == "struct":
        return [
            (f"{leaf.path}[{NUL_KEY!r}]", "NUL", {NUL_KEY: 1}),
            (f"{leaf.path}['k']", "NUL", {"k": NUL_TEXT}),
            (f"{leaf.path}['k']", "finite", {"k": math.nan}),
            (f"{leaf.path}['k'][1]", "finite", {"k": [1, math.inf]}),
            (f"{leaf.path}['k']['j']", "NUL", {"k": {"j": NUL_TEXT}}),
        ]
    if leaf.kind == "value":
        return [(leaf.path, "NUL", NUL_TEXT), (leaf.path, "finite", math.nan)]
    if leaf.kind == "list":
        return [(f"{leaf.path}[0]", "finite", [math.inf])]
    return []


def _is_map(field: d.FieldDescriptor) -> bool:
    return (
        field.type == d.FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry
    )


Navigate = Callable[[Message], Message]


def _leaves(descriptor: d.Descriptor, depth: int) -> Iterator[tuple[str, str, Any]]:
    special = {STRUCT: "struct", VALUE: "value", LIST_VALUE: "list", TIMESTAMP: "timestamp"}
    if descriptor.full_name in special:
        yield "", special[descriptor.full_name], write_special
        return
    if depth > MAX_DEPTH:
        return
    for field in descriptor.fields:
        yield from _field_leaves(field, depth)


def _field_leaves(field: d.FieldDescriptor, depth: int) -> Iterator[tuple[str, str, Any]]:
    name = field.name
    if _is_map(field):
        key, value = (field.message_type.fields_by_name[n] for n in ("key", "value"))
        textual = key.type == d.FieldDescriptor.TYPE_STRING
        if textual:
            default = value.default_value if value.type != d.FieldDescriptor.TYPE_MESSAGE else None
            yield f".{name}", "map_key", _map_key_writer(name, default)
        entry, entry_key = ("'k'", "k") if textual else ("1", 1)
        if value.type == d.FieldDescriptor.TYPE_MESSAGE:
            for sub, kind, write in _leaves(value.message_type, depth + 1):
                yield (
                    f".{name}[{entry}]{sub}",
                    kind,
                    _through(lambda m: getattr(m, name)[entry_key], write),
                )
        else:
            yield f".{name}[{entry}]", KINDS[value.type], _map_value_writer(name, entry_key)
        return
    if field.type == d.FieldDescriptor.TYPE_MESSAGE:
        navigate: Navigate = _first_item(name) if field.is_repeated else _present(name)
        suffix = "[0]" if field.is_repeated else ""
        for sub, kind, write in _leaves(field.message_type, depth + 1):
            yield f".{name}{suffix}{sub}", kind, _through(navigate, write)
        return
    if field.is_repeated:
        yield f".{name}[0]", KINDS[field.type], _first_scalar_writer(name)
    else:
        yield f".{name}", KINDS[field.type], _scalar_writer(name)


def write_special(message: Message, value: Any) -> None:
    """Writes a Python value into a Struct (a dict), a Value, a ListValue (a
    list) or a Timestamp (a (seconds, nanos) pair)."""
    name = message.DESCRIPTOR.full_name
    if name == STRUCT:
        message.Clear()
        message.update(value)  # type: ignore[attr-defined]
    elif name == LIST_VALUE:
        message.Clear()
        message.extend(value)  # type: ignore[attr-defined]
    elif name == TIMESTAMP:
        message.seconds, message.nanos = value  # type: ignore[attr-defined]
    elif isinstance(value, str):
        message.string_value = value  # type: ignore[attr-defined]
    elif isinstance(value, bool):
        message.bool_value = value  # type: ignore[attr-defined]
    elif isinstance(value, int | float):
        message.number_value = value  # type: ignore[attr-defined]
    elif isinstance(value, dict):
        write_special(message.struct_value, value)  # type: ignore[attr-defined]
    elif isinstance(value, list):
        write_special(message.list_value, value)  # type: ignore[attr-defined]
    else:
        message.null_value = 0  # type: ignore[attr-defined]


def _through(navigate: Navigate, write: Callable[[Message, Any], None]) -> Any:
    return lambda message, value: write(navigate(message), value)


def _present(name: str) -> Navigate:
    def navigate(message: Message) -> Message:
        target = getattr(message, name)
        target.SetInParent()
        return target  # type: ignore[no-any-return]

    return navigate


def _first_item(name: str) -> Navigate:
    def navigate(message: Message) -> Message:
        items = getattr(message, name)
        return items[0] if len(items) else items.add()  # type: ignore[no-any-return]

    return navigate


def _scalar_writer(name: str) -> Any:
    return lambda message, value: setattr(message, name, value)


def _first_scalar_writer(name: str) -> Any:
    def write(message: Message, value: Any) -> None:
        items = getattr(message, name)
        if len(items):
            items[0] = value
        else:
            items.append(value)

    return write


def _map_key_writer(name: str, default: Any) -> Any:
    def write(message: Message, key: Any) -> None:
        entries = getattr(message, name)
        if default is None:
            entries[key].SetInParent()
        else:
            entries[key] = default

    return write


def _map_value_writer(name: str, key: Any) -> Any:
    return lambda message, value: getattr(message, name).__setitem__(key, value)
