"""Fuzzing the running server: generated requests for every RPC (valid and
invalid field values, Struct values of any shape and depth, out-of-range times),
raw bytes, and odd tokens. Every answer must be one of the documented statuses:
never UNKNOWN or INTERNAL.

CI runs ALICE_FUZZ_EXAMPLES (default 60) examples per test; for many more:

    export ALICE_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres
    ALICE_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import jwt
import pytest
from google.protobuf import descriptor as d
from google.protobuf import message_factory
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alice_server.server import SERVICES
from tests.support.processes import clean_env, installed_script

EXAMPLES = int(os.environ.get("ALICE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

# The statuses README.md documents; UNAVAILABLE needs the database to be down.
DOCUMENTED = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ABORTED,
}

# Every RPC of every service Alice serves: (path, request class, server-streaming).
METHODS = [
    (
        f"/{service.full_name}/{method.name}",
        message_factory.GetMessageClass(method.input_type),
        method.server_streaming,
    )
    for service in SERVICES
    for method in service.methods
]
STREAMING = {path for path, _, streams in METHODS if streams}

PHONES = ["+15550001234", "5550001234", "(555) 000-1234", "caller-7", ""]
text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
odd_text = st.one_of(
    st.sampled_from(PHONES),
    text,
    st.sampled_from(["fact", "preference", "thread_recap", "\\u0000", "a\x00b", "x" * 300]),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=200, max_size=3000),
)
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**60), 2**60),
    text,
)
json_value = st.recursive(
    json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(text, children, max_size=3)
    ),
    max_leaves=12,
)


def _deep(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"n": value}
    return value


struct_values = st.one_of(
    st.dictionaries(text, json_value, max_size=4),
    st.integers(1, 60).map(_deep),
)
INT_RANGES = {
    d.FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    d.FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    d.FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    d.FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
}


def _scalar(field: d.FieldDescriptor) -> st.SearchStrategy[Any]:
    if field.type == d.FieldDescriptor.TYPE_STRING:
        return odd_text
    if field.type == d.FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if field.type == d.FieldDescriptor.TYPE_ENUM:
        return st.integers(-3, 8)
    if field.type in (d.FieldDescriptor.TYPE_DOUBLE, d.FieldDescriptor.TYPE_FLOAT):
        return st.floats(width=32 if field.type == d.FieldDescriptor.TYPE_FLOAT else 64)
    if field.type == d.FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=64)
    low, high = INT_RANGES.get(field.type, (-(2**31), 2**31 - 1))
    return st.one_of(
        st.integers(low, high), st.integers(-5, 600).filter(lambda v: low <= v <= high)
    )


def _message(descriptor: d.Descriptor, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if _is_map(field):
            key_field, value_field = field.message_type.fields_by_name["key"], _map_value(field)
            values: st.SearchStrategy[Any]
            if value_field.type == d.FieldDescriptor.TYPE_MESSAGE:
                if depth >= 2 or value_field.message_type.full_name.startswith("google."):
                    continue
                values = _message(value_field.message_type, depth + 1)
            else:
                values = _scalar(value_field)
            fields[field.name] = st.dictionaries(_scalar(key_field), values, max_size=3)
            continue
        if field.type == d.FieldDescriptor.TYPE_MESSAGE:
            name = field.message_type.full_name
            if name == "google.protobuf.Struct":
                value: st.SearchStrategy[Any] = struct_values
            elif name == "google.protobuf.Timestamp":
                value = st.fixed_dictionaries(
                    {"seconds": st.integers(-(2**40), 2**40), "nanos": st.integers(-5, 2**31 - 1)}
                )
            elif depth < 2:
                value = _message(field.message_type, depth + 1)
            else:
                continue
        else:
            value = _scalar(field)
        if field.is_repeated:
            value = st.lists(value, max_size=4)
        fields[field.name] = value
    return st.fixed_dictionaries({}, optional=fields)


def _build(cls: type[Message], values: dict[str, Any]) -> Message:
    message = cls()
    _fill(message, values)
    return message


def _is_map(field: d.FieldDescriptor) -> bool:
    return (
        field.type == d.FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry
    )


def _map_value(field: d.FieldDescriptor) -> d.FieldDescriptor:
    return field.message_type.fields_by_name["value"]


def _fill(message: Message, values: dict[str, Any]) -> None:
    for name, value in values.items():
        field = message.DESCRIPTOR.fields_by_name[name]
        if _is_map(field):
            entries = getattr(message, name)
            for key, item in value.items():
                if _map_value(field).type == d.FieldDescriptor.TYPE_MESSAGE:
                    _fill(entries[key], item)
                else:
                    entries[key] = item
        elif field.type == d.FieldDescriptor.TYPE_MESSAGE:
            if field.is_repeated:
                for item in value:
                    _fill_one(getattr(message, name).add(), field, item)
            else:
                _fill_one(getattr(message, name), field, value)
        elif field.is_repeated:
            getattr(message, name).extend(value)
        else:
            setattr(message, name, value)


def _fill_one(target: Message, field: d.FieldDescriptor, value: Any) -> None:
    if field.message_type.full_name == "google.protobuf.Struct":
        target.update(value)  # type: ignore[attr-defined]
    elif field.message_type.full_name == "google.protobuf.Timestamp":
        target.seconds, target.nanos = value["seconds"], value["nanos"]  # type: ignore[attr-defined]
    else:
        _fill(target, value)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, bytes]:
    method, cls, _ = draw(st.sampled_from(METHODS))
    values = draw(_message(cls.DESCRIPTOR))
    return method, _build(cls, values).SerializeToString()


def _valid_token(secret: str, customer_id: int) -> str:
    now = int(time.time())
    claims = {"customer_id": customer_id, "scope": "memory:read:write", "iat": now}
    return jwt.encode(claims | {"exp": now + 3600}, secret, algorithm="HS256")


def _token_strategy(secret: str, customer_id: int) -> st.SearchStrategy[str | None]:
    now = int(time.time())
    claims = st.fixed_dictionaries(
        {},
        optional={
            "customer_id": st.one_of(st.just(customer_id), json_leaf),
            "scope": st.one_of(st.sampled_from(["memory:read", "memory:read:write"]), json_leaf),
            "iat": st.one_of(st.just(now), json_leaf),
            "exp": st.one_of(st.just(now + 600), json_leaf),
            "nbf": json_leaf,
        },
    )
    headers = st.fixed_dictionaries(
        {}, optional={"kid": json_leaf, "typ": json_leaf, "crit": st.lists(text, max_size=2)}
    )
    printable = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=300)

    def signed(pair: tuple[dict[str, Any], dict[str, Any]]) -> str:
        payload, header = pair
        try:
            return jwt.encode(payload, secret, algorithm="HS256", headers=header)
        except (jwt.PyJWTError, TypeError, ValueError):
            return jwt.encode(payload, secret, algorithm="HS256")

    valid = jwt.encode(
        {
            "customer_id": customer_id,
            "scope": "memory:read memory:write",
            "iat": now,
            "exp": now + 3600,
        },
        secret,
        algorithm="HS256",
    )
    return st.one_of(
        st.just(valid),
        st.just(None),
        printable,
        st.tuples(claims, headers).map(signed),
    )


def _call(channel: grpc.Channel, method: str, data: bytes, token: str | None) -> grpc.StatusCode:
    metadata = None if token is None else (("authorization", f"Bearer {token}"),)
    try:
        if method in STREAMING:
            stream = channel.unary_stream(
                method, request_serializer=None, response_deserializer=None
            )
            for _ in stream(data, metadata=metadata, timeout=20):
                pass
        else:
            call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
            call(data, metadata=metadata, timeout=20)
    except grpc.RpcError as exc:
        code: grpc.StatusCode = exc.code()  # type: ignore[attr-defined]
        assert code in DOCUMENTED, (method, code, exc.details())  # type: ignore[attr-defined]
        details = exc.details() or ""  # type: ignore[attr-defined]
        assert "Traceback" not in details and "Exception" not in details, details
        return code
    return grpc.StatusCode.OK


@pytest.fixture
def fuzz_target(database, secret, peterson) -> Iterator[tuple[grpc.Channel, str, int]]:
    """alice-server as a process of its own, and a blocking channel to it
    (hypothesis drives plain functions)."""
    env = clean_env(DATABASE_URL=database.app_url, JWT_SECRET_KEY=secret)
    with tempfile.TemporaryDirectory() as directory:
        log = Path(directory) / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [installed_script("alice-server"), "--listen", "127.0.0.1:0"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=out,
            )
        try:
            port = None
            for _ in range(600):
                match = re.search(r"Alice listening on [\d.]+:(\d+)", log.read_text())
                if match:
                    port = int(match.group(1))
                    break
                assert process.poll() is None, log.read_text()
                time.sleep(0.1)
            assert port is not None, log.read_text()
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                yield channel, secret, peterson.id
            assert process.poll() is None, "the server died:\n" + log.read_text()[-3000:]
            text = log.read_text()
            assert "Traceback" not in text, text[-3000:]
        finally:
            process.terminate()
            process.wait(30)


def test_generated_requests_for_every_rpc_get_documented_statuses(fuzz_target):
    channel, secret, customer_id = fuzz_target
    seen: set[grpc.StatusCode] = set()

    @FUZZ
    @given(requests(), _token_strategy(secret, customer_id))
    def check(request: tuple[str, bytes], token: str | None) -> None:
        seen.add(_call(channel, *request, token))

    check()
    assert grpc.StatusCode.UNAUTHENTICATED in seen


def test_raw_bytes_to_every_rpc_get_documented_statuses(fuzz_target):
    channel, secret, customer_id = fuzz_target

    @FUZZ
    @given(
        st.sampled_from([m for m, _, _ in METHODS]),
        st.binary(max_size=300),
        _token_strategy(secret, customer_id),
    )
    def check(method: str, data: bytes, token: str | None) -> None:
        _call(channel, method, data, token)

    check()


def test_valid_tokens_with_generated_requests_reach_the_handlers(fuzz_target):
    channel, secret, customer_id = fuzz_target
    token = _valid_token(secret, customer_id)
    seen: set[grpc.StatusCode] = set()

    @FUZZ
    @given(requests())
    def check(request: tuple[str, bytes]) -> None:
        seen.add(_call(channel, *request, token))

    check()
    assert seen & {grpc.StatusCode.OK, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT}
