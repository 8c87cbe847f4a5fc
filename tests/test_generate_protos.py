"""scripts/generate_protos.py, run as CI runs it, on a copy of the tree: a method
without its scope or deadline option fails the generated-code check, and a new
RPC gets its scope, deadline, retry rule, a client method and a sync twin with no
hand edit, and the method works against a real gRPC server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "scripts" / "generate_protos.py"
MEMORY_PROTO = Path("proto/alice/memory/v1/memory_service.proto")
GET_MEMORY = (
    "  rpc GetMemory(GetMemoryRequest) returns (GetMemoryResponse) {\n"
    "    option idempotency_level = NO_SIDE_EFFECTS;\n"
    '    option (required_scope) = "memory:read";\n'
    "    option (default_deadline_seconds) = 5.0;\n"
    "  }\n"
)


def copy_of_the_tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "proto", root / "proto", ignore=ignore)
    shutil.copytree(ROOT / "chad_client", root / "chad_client", ignore=ignore)
    (root / "alice_server").mkdir()
    shutil.copy(ROOT / "alice_server" / "rpc_scopes.py", root / "alice_server")
    return root


def generator(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("option", "complaint"),
    [
        ('    option (required_scope) = "memory:read";\n', "GetMemory has no scope"),
        ("    option (default_deadline_seconds) = 5.0;\n", "GetMemory has no default deadline"),
    ],
)
def test_a_method_without_its_option_fails_the_generated_code_check(tmp_path, option, complaint):
    root = copy_of_the_tree(tmp_path)
    edit(root / MEMORY_PROTO, GET_MEMORY, GET_MEMORY.replace(option, ""))
    result = generator(root, "--check")
    assert result.returncode == 1
    assert f"memory_service.proto: MemoryService.{complaint}" in result.stderr
    # Writing refuses too, and leaves the committed code as it was.
    before = (root / "chad_client" / "rpcs.py").read_text()
    assert generator(root).returncode == 1
    assert (root / "chad_client" / "rpcs.py").read_text() == before


def test_the_committed_code_is_what_the_generator_writes(tmp_path):
    result = generator(copy_of_the_tree(tmp_path), "--check")
    assert result.returncode == 0, result.stdout + result.stderr


NEW_RPC = """
  // How many memories a caller has (a test's RPC).
  rpc CountMemories(CountMemoriesRequest) returns (CountMemoriesResponse) {
    option idempotency_level = NO_SIDE_EFFECTS;
    option (required_scope) = "memory:read";
    option (default_deadline_seconds) = 3.5;
  }
}
"""
NEW_MESSAGES = """
// Request of MemoryService.CountMemories.
message CountMemoriesRequest {
  // The caller.
  string user_id = 1;
  // Only these types.
  repeated string types = 2;
  // Stop counting here.
  optional int32 at_most = 3;
  // User or shared.
  Scope scope = 4;
  // Labels.
  map<string, string> labels = 5;
}

// Response of MemoryService.CountMemories.
message CountMemoriesResponse {
  // The count.
  int64 count = 1;
  // What the server saw.
  string echo = 2;
}
"""
# Runs with the generated copy first on sys.path: a real server answers the new
# RPC (UNAVAILABLE first: the client retries, as NO_SIDE_EFFECTS allows).
CLIENT_SCRIPT = r"""
import asyncio, inspect, sys
import grpc, jwt
import chad_client
from chad_client import DEADLINES, AliceClient, SyncAliceClient
from chad_client.client import TenantClient
from chad_client.rpcs import RPCS
from chad_client.sync import SyncTenantClient
from chad_client.v1 import memory_service_pb2 as mem, resources_pb2 as res

assert chad_client.__file__.startswith(sys.argv[1]), chad_client.__file__
SECRET = "a-test-secret-of-at-least-32-bytes!!"
seen = []

async def count(request, context):
    seen.append(request)
    if len(seen) == 1:
        await context.abort(grpc.StatusCode.UNAVAILABLE, "try again")
    token = dict(context.invocation_metadata())["authorization"].split()[1]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    echo = f"{claims['customer_id']}|{request.user_id}|{request.scope}|{dict(request.labels)}"
    return mem.CountMemoriesResponse(count=len(request.types) + request.at_most, echo=echo)

async def main():
    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(
        count,
        request_deserializer=mem.CountMemoriesRequest.FromString,
        response_serializer=mem.CountMemoriesResponse.SerializeToString,
    )
    service = "alice.memory.v1.MemoryService"
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler(service, {"CountMemories": handler})]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    arguments = dict(
        user_id="+15550001111", types=["a", "b"], at_most=3, scope=res.SCOPE_SHARED,
        labels={"k": "v"},
    )
    async with AliceClient(f"127.0.0.1:{port}", secret=SECRET) as client:
        response = await client.for_customer(7).count_memories(**arguments)
    assert (response.count, response.echo) == (5, "7|+15550001111|2|{'k': 'v'}"), response
    assert len(seen) == 2  # retried once

    def blocking():
        with SyncAliceClient(f"127.0.0.1:{port}", secret=SECRET) as client:
            return client.for_customer(7).count_memories(**arguments)

    assert (await asyncio.to_thread(blocking)).count == 5
    await server.stop(None)

asyncio.run(main())
assert DEADLINES["CountMemories"] == RPCS["CountMemories"].deadline == 3.5
assert RPCS["CountMemories"].retry and RPCS["CountMemories"].scope == "memory:read"
ours = inspect.signature(TenantClient.count_memories).parameters
theirs = inspect.signature(SyncTenantClient.count_memories).parameters
assert list(ours) == list(theirs)
assert list(ours) == ["self", "user_id", "types", "at_most", "scope", "labels", "timeout"]
print("new rpc ok")
"""


def test_a_new_rpc_gets_a_client_method_and_a_sync_twin_without_hand_edits(tmp_path):
    root = copy_of_the_tree(tmp_path)
    proto = root / MEMORY_PROTO
    edit(proto, "  }\n}\n", "  }\n" + NEW_RPC)  # the end of the service
    proto.write_text(proto.read_text() + NEW_MESSAGES)
    result = generator(root)
    assert result.returncode == 0, result.stderr
    assert "wrote chad_client/rpcs.py" in result.stdout
    scopes = (root / "alice_server" / "rpc_scopes.py").read_text()
    assert '"/alice.memory.v1.MemoryService/CountMemories": "memory:read"' in scopes

    script = tmp_path / "new_rpc.py"
    script.write_text(CLIENT_SCRIPT)
    run = subprocess.run(
        [sys.executable, str(script), str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "new rpc ok" in run.stdout
    # ... and the tree is consistent again: the check passes.
    assert generator(root, "--check").returncode == 0
