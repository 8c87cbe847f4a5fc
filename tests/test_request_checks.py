"""One rule for every RPC (alice_server/request_checks.py): a NUL in any text
or map key, and a non-finite number in any Struct/Value or floating-point
field, is INVALID_ARGUMENT naming the field, never INTERNAL, and writes no
ERROR line.

The cases come from the descriptors (tests/support/poison.py): every string,
map, Struct and floating-point field of every request of every service, so a
field added to a proto is covered without editing this test.
"""

from __future__ import annotations

import struct

import grpc

from alice_server import request_checks
from alice_server.auth import mint_platform_token
from alice_server.rpc_scopes import PLATFORM_METHOD_SCOPES
from chad_client.v1 import tenant_service_pb2
from tests.support import poison
from tests.support.logs import captured, json_lines
from tests.support.valid_requests import valid_request

RULES = {
    "NUL": (request_checks.TEXT_NUL, request_checks.KEY_NUL),
    "finite": (request_checks.NON_FINITE,),
}
CASES = [
    (method, site)
    for method in poison.methods()
    for site in poison.sites(method.request.DESCRIPTOR)
]


def test_the_cases_cover_the_reported_fields():
    paths = {(m.path.rsplit("/", 1)[1], s.path, s.rule) for m, s in CASES}
    assert ("UpdateSettings", "settings.other['k']", "finite") in paths
    assert ("UpdateSettings", "settings.other['k']", "NUL") in paths
    assert ("UpdateSettings", "settings.transfer_rules.rules[0].when", "NUL") in paths
    assert ("UpdateCallerProfile", "preferences['k\\x00']", "NUL") in paths
    assert ("CreateCustomer", "agent_name", "NUL") in paths
    assert ("UpdateCustomer", "greeting_template", "NUL") in paths
    assert len({m.path for m, _ in CASES}) >= 20


def test_problem_names_the_path():
    request = tenant_service_pb2.UpdateSettingsRequest()
    request.settings.other["x"].string_value = "a\x00"
    assert request_checks.problem(request) == (
        "settings.other['x']: text must not contain NUL (\\u0000)"
    )
    request = tenant_service_pb2.UpdateSettingsRequest()
    request.settings.other["x"].number_value = float("inf")
    assert request_checks.problem(request) == (
        "settings.other['x']: numbers must be finite (no NaN or Infinity)"
    )
    assert request_checks.problem(tenant_service_pb2.UpdateSettingsRequest()) is None


async def test_every_poisoned_field_of_every_rpc_is_invalid_argument(alice, peterson, secret):
    tenant = peterson.metadata(scope="memory:read memory:write privacy:admin")
    platform = (("authorization", f"Bearer {mint_platform_token(secret)}"),)
    wrong: list[str] = []
    async with grpc.aio.insecure_channel(alice.address) as channel:
        with captured() as log:
            for method, site in CASES:
                platform_rpc = method.path in PLATFORM_METHOD_SCOPES
                metadata = platform if platform_rpc else tenant
                # On a valid request (customer_id fields name the tenant itself).
                base = valid_request(method.name, method.request, peterson.id, "+15550001234")
                request = poison.poisoned(method.request, site, base)
                code, details = await _call(channel, method, request, metadata)
                expected = [f"{site.path}: {rule}" for rule in RULES[site.rule]]
                if code != grpc.StatusCode.INVALID_ARGUMENT or details not in expected:
                    wrong.append(f"{method.path} {site.path} ({site.rule}): {code} {details!r}")
    assert not wrong, "\n".join(wrong)
    errors = [line for line in json_lines(log) if line.get("level") == "ERROR"]
    assert not errors, errors[:5]


async def _call(channel, method, request, metadata) -> tuple[grpc.StatusCode, str]:
    try:
        if method.streaming:
            call = channel.unary_stream(
                method.path,
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=None,
            )
            async for _ in call(request, metadata=metadata, timeout=20):
                pass
        else:
            call = channel.unary_unary(
                method.path,
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=None,
            )
            await call(request, metadata=metadata, timeout=20)
    except grpc.aio.AioRpcError as exc:
        return exc.code(), exc.details() or ""
    return grpc.StatusCode.OK, ""


def test_the_bytes_shortcut_finds_the_same_problems():
    """problem(request, data) skips the text when the bytes hold no zero byte
    (no NUL possible); every poisoned case is found all the same, and a NaN
    whose bytes hold no zero byte too."""
    for method, site in CASES:
        request = poison.poisoned(method.request, site)
        assert request_checks.problem(request, request.SerializeToString()) == (
            request_checks.problem(request)
        ), (method.path, site.path)
    request = tenant_service_pb2.UpdateSettingsRequest()
    request.settings.other["x"].number_value = struct.unpack("<d", b"\xff" * 7 + b"\x7f")[0]
    data = request.SerializeToString()
    assert b"\x00" not in data
    assert request_checks.problem(request, data) == (
        "settings.other['x']: numbers must be finite (no NaN or Infinity)"
    )
