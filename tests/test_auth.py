"""The interceptor: every bad credential gets the right status and a message saying why."""

from __future__ import annotations

import time

import grpc
import jwt
import pytest

from alice_server.auth import (
    SCOPE_PLATFORM_ADMIN,
    SCOPE_PLATFORM_LOOKUP,
    SCOPE_READ,
    SCOPE_WRITE,
    TokenRejected,
    TokenVerifier,
)
from alice_server.rpc_scopes import METHOD_SCOPES, PLATFORM_METHOD_SCOPES
from alice_server.server import all_methods
from chad_client.v1 import context_service_pb2 as ctx
from chad_client.v1 import memory_service_pb2 as mem
from tests.helpers import status_of, struct
from tests.support.tenants import create_customer

REQUEST = ctx.GetEnrichedContextRequest(user_id="+15550000001")


def _bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def _claims(customer_id: object = 1, **extra: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "customer_id": customer_id,
        "scope": "memory:read memory:write",
        "iat": now,
        "exp": now + 600,
        **extra,
    }


async def test_missing_jwt_rejected(contexts):
    code, details = await status_of(contexts.GetEnrichedContext(REQUEST))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert "missing authorization" in details


async def test_invalid_jwt_rejected(contexts, peterson):
    cases = {
        "not-a-jwt": "malformed",
        jwt.encode(_claims(peterson.id), "another-secret-of-at-least-32-bytes!!"): "signature",
    }
    for token, reason in cases.items():
        code, details = await status_of(
            contexts.GetEnrichedContext(REQUEST, metadata=_bearer(token))
        )
        assert code == grpc.StatusCode.UNAUTHENTICATED, token
        assert reason in details
    for header in ("Basic dXNlcjpwYXNz", "Bearer", peterson.token()):
        code, details = await status_of(
            contexts.GetEnrichedContext(REQUEST, metadata=(("authorization", header),))
        )
        assert code == grpc.StatusCode.UNAUTHENTICATED
        assert "Bearer <JWT>" in details


async def test_expired_jwt_rejected(contexts, peterson):
    two_hours_ago = int(time.time()) - 7200
    token = jwt.encode(
        _claims(peterson.id, iat=two_hours_ago - 3600, exp=two_hours_ago), peterson.secret
    )
    code, details = await status_of(contexts.GetEnrichedContext(REQUEST, metadata=_bearer(token)))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in details


async def test_only_hs256_is_accepted(contexts, peterson):
    unsigned = jwt.encode(_claims(peterson.id), None, algorithm="none")
    hs512 = jwt.encode(_claims(peterson.id), peterson.secret + "x" * 40, algorithm="HS512")
    for token in (unsigned, hs512):
        code, details = await status_of(
            contexts.GetEnrichedContext(REQUEST, metadata=_bearer(token))
        )
        assert code == grpc.StatusCode.UNAUTHENTICATED
        assert "HS256" in details


@pytest.mark.parametrize("claim", ["exp", "iat"])
async def test_exp_and_iat_are_required(contexts, peterson, claim):
    claims = _claims(peterson.id)
    del claims[claim]
    token = jwt.encode(claims, peterson.secret)
    code, details = await status_of(contexts.GetEnrichedContext(REQUEST, metadata=_bearer(token)))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert claim in details


@pytest.mark.parametrize("customer_id", ["1", 1.0, True, 0, -3, None, [1], 2**63])
async def test_customer_id_must_be_a_positive_integer(contexts, peterson, customer_id):
    token = jwt.encode(_claims(customer_id), peterson.secret)
    code, details = await status_of(contexts.GetEnrichedContext(REQUEST, metadata=_bearer(token)))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert "customer_id" in details


async def test_missing_customer_id_claim(contexts, peterson):
    claims = _claims(peterson.id)
    del claims["customer_id"]
    code, details = await status_of(
        contexts.GetEnrichedContext(REQUEST, metadata=_bearer(jwt.encode(claims, peterson.secret)))
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert "customer_id" in details


async def test_scopes(memories, contexts, peterson):
    store = mem.StoreMemoryRequest(
        user_id="+15550000002", type="fact", key="k", value=struct(v="x")
    )
    read_only = peterson.metadata(scope="memory:read")
    code, details = await status_of(memories.StoreMemory(store, metadata=read_only))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert "memory:write" in details
    await contexts.GetEnrichedContext(REQUEST, metadata=read_only)

    write_only = peterson.metadata(scope="memory:write")
    await memories.StoreMemory(store, metadata=write_only)
    code, details = await status_of(contexts.GetEnrichedContext(REQUEST, metadata=write_only))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert "memory:read" in details

    # The plan's combined scope grants both.
    both = peterson.metadata(scope="memory:read:write")
    await memories.StoreMemory(store, metadata=both)
    await contexts.GetEnrichedContext(REQUEST, metadata=both)

    for metadata in (peterson.metadata(scope=""), peterson.metadata(scope="admin")):
        code, _ = await status_of(contexts.GetEnrichedContext(REQUEST, metadata=metadata))
        assert code == grpc.StatusCode.PERMISSION_DENIED


async def test_scope_claim_must_be_a_string(contexts, peterson):
    token = jwt.encode(_claims(peterson.id, scope=["memory:read"]), peterson.secret)
    code, _ = await status_of(contexts.GetEnrichedContext(REQUEST, metadata=_bearer(token)))
    assert code == grpc.StatusCode.UNAUTHENTICATED


async def test_unknown_customer_is_denied(contexts, peterson):
    token = jwt.encode(_claims(10**12), peterson.secret)
    code, details = await status_of(contexts.GetEnrichedContext(REQUEST, metadata=_bearer(token)))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert "does not exist" in details


async def test_suspended_customer_is_denied(contexts, database, secret):
    suspended = await create_customer(database.owner_url, "Suspended Agency", "suspended")
    token = jwt.encode(_claims(suspended), secret)
    code, details = await status_of(contexts.GetEnrichedContext(REQUEST, metadata=_bearer(token)))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert "suspended" in details


async def test_health_needs_no_token(channel):
    # (Reflection without a token is tested in tests/test_grpcurl.py.)
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    response = await health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service="alice.memory.v1.MemoryService")
    )
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_every_rpc_has_a_scope_from_its_proto_method():
    # The tables are generated from (required_scope); the generator refuses a
    # method without one (tests/test_generate_protos.py).
    assert all_methods() == set(METHOD_SCOPES) | set(PLATFORM_METHOD_SCOPES)
    # A method is for tenant tokens or for platform tokens, never both.
    assert not set(METHOD_SCOPES) & set(PLATFORM_METHOD_SCOPES)
    assert set(METHOD_SCOPES.values()) == {SCOPE_READ, SCOPE_WRITE, "privacy:admin"}
    assert set(PLATFORM_METHOD_SCOPES.values()) == {SCOPE_PLATFORM_ADMIN, SCOPE_PLATFORM_LOOKUP}


@pytest.mark.parametrize("exp", [True, False])
async def test_an_exp_that_is_not_a_number_is_invalid_not_expired(peterson, exp):
    """PyJWT reads `"exp": true` as 1 second after the epoch: long expired. It is
    no time at all: TOKEN_INVALID, so that a client does not mint and retry."""
    token = jwt.encode(_claims(peterson.id, exp=exp), peterson.secret)
    with pytest.raises(TokenRejected) as rejected:
        TokenVerifier(peterson.secret).verify(token)
    assert rejected.value.reason == "TOKEN_INVALID"
    assert "exp" in rejected.value.message
