"""Requests with one field poisoned, generated from the protobuf descriptors.

`sites(descriptor)` lists every place of a request type that can hold text or a
number PostgreSQL cannot store: each string field (repeated or not, at any
depth), each map key and value, each Struct / Value / ListValue, each
floating-point field. For each it gives the path the server must name in its
INVALID_ARGUMENT and a function that writes the poison into a message. A field
added to a proto is covered without editing the tests that use this.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from google.protobuf import descriptor as d
from google.protobuf import message_factory
from google.protobuf.message import Message

from alice_server.server import SERVICES

NUL_TEXT = "a\x00b"
NUL_KEY = "k\x00"
MAX_DEPTH = 4

Poison = Callable[[Message], None]


@dataclass(frozen=True)
class Site:
    path: str  # as the server names it: "settings.other['k']"
    rule: str  # "NUL" or "finite"
    poison: Poison


@dataclass(frozen=True)
class Method:
    path: str  # /package.Service/Method
    request: type[Message]
    streaming: bool


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


def sites(descriptor: d.Descriptor) -> list[Site]:
    return [Site(path.lstrip("."), rule, poison) for path, rule, poison in _sites(descriptor, 0)]


def poisoned(cls: type[Message], site: Site) -> Message:
    message = cls()
    site.poison(message)
    return message


def _is_map(field: d.FieldDescriptor) -> bool:
    return (
        field.type == d.FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry
    )


def _sites(descriptor: d.Descriptor, depth: int) -> Iterator[tuple[str, str, Poison]]:
    name = descriptor.full_name
    if name == "google.protobuf.Struct":
        yield from _struct_sites()
        return
    if name == "google.protobuf.Value":
        yield "", "NUL", lambda m: setattr(m, "string_value", NUL_TEXT)
        yield "", "finite", lambda m: setattr(m, "number_value", math.nan)
        return
    if name == "google.protobuf.ListValue":
        yield "[0]", "finite", _infinite_item
        return
    if depth > MAX_DEPTH:
        return
    for field in descriptor.fields:
        yield from _field_sites(field, depth)


def _field_sites(field: d.FieldDescriptor, depth: int) -> Iterator[tuple[str, str, Poison]]:
    name = field.name
    if _is_map(field):
        key, value = (
            field.message_type.fields_by_name["key"],
            field.message_type.fields_by_name["value"],
        )
        if key.type == d.FieldDescriptor.TYPE_STRING:
            if value.type == d.FieldDescriptor.TYPE_MESSAGE:
                yield (
                    f".{name}[{NUL_KEY!r}]",
                    "NUL",
                    lambda m: getattr(m, name)[NUL_KEY].SetInParent(),
                )
            else:
                default = value.default_value
                yield (
                    f".{name}[{NUL_KEY!r}]",
                    "NUL",
                    lambda m: getattr(m, name).__setitem__(NUL_KEY, default),
                )
        entry = "'k'" if key.type == d.FieldDescriptor.TYPE_STRING else "1"
        entry_key = "k" if key.type == d.FieldDescriptor.TYPE_STRING else 1
        if value.type == d.FieldDescriptor.TYPE_MESSAGE:
            for sub, rule, poison in _sites(value.message_type, depth + 1):
                yield f".{name}[{entry}]{sub}", rule, _into_map_message(name, entry_key, poison)
        else:
            for scalar, rule in _scalar_poisons(value):
                yield f".{name}[{entry}]", rule, _set_map(name, entry_key, scalar)
        return
    if field.type == d.FieldDescriptor.TYPE_MESSAGE:
        if field.is_repeated:
            for sub, rule, poison in _sites(field.message_type, depth + 1):
                yield f".{name}[0]{sub}", rule, _into_added(name, poison)
        else:
            for sub, rule, poison in _sites(field.message_type, depth + 1):
                yield f".{name}{sub}", rule, _into_field(name, poison)
        return
    for scalar, rule in _scalar_poisons(field):
        if field.is_repeated:
            yield f".{name}[0]", rule, _append(name, scalar)
        else:
            yield f".{name}", rule, _set(name, scalar)


def _scalar_poisons(field: d.FieldDescriptor) -> list[tuple[object, str]]:
    if field.type == d.FieldDescriptor.TYPE_STRING:
        return [(NUL_TEXT, "NUL")]
    if field.type in (d.FieldDescriptor.TYPE_DOUBLE, d.FieldDescriptor.TYPE_FLOAT):
        return [(math.nan, "finite"), (-math.inf, "finite")]
    return []


def _struct_sites() -> Iterator[tuple[str, str, Poison]]:
    yield f"[{NUL_KEY!r}]", "NUL", lambda m: m.update({NUL_KEY: 1})  # type: ignore[attr-defined]
    yield "['k']", "NUL", lambda m: m.update({"k": NUL_TEXT})  # type: ignore[attr-defined]
    yield "['k']", "finite", lambda m: m.update({"k": math.nan})  # type: ignore[attr-defined]
    yield "['k'][1]", "finite", lambda m: m.update({"k": [1, math.inf]})  # type: ignore[attr-defined]
    yield "['k']['j']", "NUL", lambda m: m.update({"k": {"j": NUL_TEXT}})  # type: ignore[attr-defined]


def _infinite_item(values: Message) -> None:
    values.values.add().number_value = math.inf  # type: ignore[attr-defined]


def _set(name: str, value: object) -> Poison:
    return lambda m: setattr(m, name, value)


def _append(name: str, value: object) -> Poison:
    return lambda m: getattr(m, name).append(value)


def _set_map(name: str, key: object, value: object) -> Poison:
    return lambda m: getattr(m, name).__setitem__(key, value)


def _into_field(name: str, poison: Poison) -> Poison:
    def apply(m: Message) -> None:
        target = getattr(m, name)
        target.SetInParent()
        poison(target)

    return apply


def _into_added(name: str, poison: Poison) -> Poison:
    return lambda m: poison(getattr(m, name).add())


def _into_map_message(name: str, key: object, poison: Poison) -> Poison:
    return lambda m: poison(getattr(m, name)[key])
