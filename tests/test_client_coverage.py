"""chad_client covers the whole contract, as the generator wrote it from the proto:
every RPC of every service under proto/alice/memory/v1 has its `Rpc` (deadline,
retry rule and scope from its method options), a thin wrapper, and a public
method that calls it; every blocking twin takes exactly the parameters of its
async method. (The generated files are fresh: CI's `generate_protos.py --check`;
the generator itself: tests/test_generate_protos.py.)"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2

from chad_client import DEADLINES, AliceClient, SyncAliceClient
from chad_client.client import TenantClient
from chad_client.platform import PlatformClient
from chad_client.rpcs import RPCS, PlatformMethods, PlatformRpcs, TenantMethods, TenantRpcs
from chad_client.sync import SyncPlatformClient, SyncTenantClient
from chad_client.transport import Credentials, Rpc
from chad_client.v1 import options_pb2

PROTO_DIR = Path(__file__).resolve().parents[1] / "proto" / "alice" / "memory" / "v1"
SAFE_TO_REPEAT = (
    descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS,
    descriptor_pb2.MethodOptions.IDEMPOTENT,
)


def every_method():
    """The descriptor of every method of every service in every .proto file."""
    found = []
    for proto in sorted(PROTO_DIR.glob("*.proto")):
        module = importlib.import_module(f"chad_client.v1.{proto.stem}_pb2")
        for service in module.DESCRIPTOR.services_by_name.values():
            found.extend(service.methods)
    return found


def test_the_contract_has_the_seven_services():
    services = {method.containing_service.name for method in every_method()}
    assert services == {
        "MemoryService",
        "ContextService",
        "CallService",
        "TenantService",
        "PrivacyService",
        "FollowUpService",
        "ConsoleService",
    }


def test_the_generated_table_has_every_rpc_and_nothing_else():
    assert set(RPCS) == {method.name for method in every_method()}


@pytest.mark.parametrize("method", every_method(), ids=lambda m: m.name)
def test_each_rpc_is_declared_as_its_proto_method_says(method):
    # Read through the real extensions, not the generator's own decoding.
    options = method.GetOptions()
    rpc = RPCS[method.name]
    assert rpc.path == f"/{method.containing_service.full_name}/{method.name}"
    assert rpc.request.DESCRIPTOR is method.input_type
    assert rpc.response.DESCRIPTOR is method.output_type
    assert rpc.streaming == method.server_streaming
    assert rpc.scope == options.Extensions[options_pb2.required_scope]
    assert rpc.deadline == options.Extensions[options_pb2.default_deadline_seconds] > 0
    assert DEADLINES[method.name] == rpc.deadline
    assert rpc.retry == (options.idempotency_level in SAFE_TO_REPEAT and not rpc.streaming)


class Recorder:
    """Stands in for the Transport: records which Rpc a wrapper sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[Rpc[Any, Any], object, Credentials, float | None]] = []

    async def unary(self, rpc, request, credentials, **options):
        self.sent.append((rpc, request, credentials, options["timeout"]))
        return rpc.response()

    def stream(self, rpc, request, credentials, **options):
        self.sent.append((rpc, request, credentials, options["timeout"]))
        return iter(())


def wrapper_name(rpc: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", rpc).lower()


@pytest.mark.parametrize("name", sorted(RPCS))
async def test_every_rpc_has_a_wrapper_that_sends_it(name):
    rpc = RPCS[name]
    transport, credentials = Recorder(), Credentials(lambda: None)  # type: ignore[arg-type]
    wrappers = (PlatformRpcs if rpc.platform else TenantRpcs)(transport, credentials)  # type: ignore[arg-type]
    result = getattr(wrappers, wrapper_name(name))(rpc.request(), timeout=1.5)
    if not rpc.streaming:
        assert await result == rpc.response()
    assert transport.sent == [(rpc, rpc.request(), credentials, 1.5)]


@pytest.mark.parametrize("name", sorted(RPCS))
def test_every_rpc_has_a_public_method_that_calls_its_wrapper(name):
    rpc, wrapper = RPCS[name], wrapper_name(name)
    generated, client = (
        (PlatformMethods, PlatformClient) if rpc.platform else (TenantMethods, TenantClient)
    )
    if wrapper in vars(generated):
        assert getattr(client, wrapper) is vars(generated)[wrapper]
        return  # no hand-written method: the generated one is public
    callers = [
        n
        for n, f in vars(client).items()
        if callable(f) and not n.startswith("_") and f"self.rpc.{wrapper}(" in inspect.getsource(f)
    ]
    assert callers, f"no public method of {client.__name__} calls self.rpc.{wrapper}"


def _public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(getattr(cls, name))
        for name in dir(cls)
        if not name.startswith("_") and callable(getattr(cls, name))
    }


@pytest.mark.parametrize(
    ("async_class", "sync_class"),
    [
        (AliceClient, SyncAliceClient),
        (TenantClient, SyncTenantClient),
        (PlatformClient, SyncPlatformClient),
    ],
)
def test_sync_twins_match_the_async_methods_by_signature(async_class, sync_class):
    async_methods, sync_methods = _public(async_class), _public(sync_class)
    assert set(async_methods) == set(sync_methods)
    for name, signature in async_methods.items():
        expected = [(p.name, p.kind, p.default) for p in signature.parameters.values()]
        actual = [(p.name, p.kind, p.default) for p in sync_methods[name].parameters.values()]
        assert actual == expected, name
