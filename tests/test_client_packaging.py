"""The client installs on its own (no server dependencies), calls Alice, and
its shipped type information lets mypy check a caller's code."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CALLER = textwrap.dedent(
    """
    import importlib.util, json, os, sys
    from chad_client import SyncAliceClient, EnrichedContext

    server_only = ["sqlalchemy", "asyncpg", "alembic", "pgserver", "alice_server", "phonenumbers"]
    present = [name for name in server_only if importlib.util.find_spec(name) is not None]
    with SyncAliceClient(os.environ["ALICE_ADDRESS"], secret=os.environ["JWT_SECRET_KEY"]) as alice:
        tenant = alice.for_customer(int(os.environ["CUSTOMER_ID"]))
        stored = tenant.store_memory("555-867-5309", "fact", "greeting", {"value": "hi"})
        context: EnrichedContext = tenant.get_enriched_context("+15558675309")
    import chad_client
    print(json.dumps({
        "present": present,
        "module": chad_client.__file__,
        "created": stored.created,
        "customer_id": context.customer_id,
        "memories": [m.value for m in context.memories],
    }))
    """
)

GOOD = textwrap.dedent(
    """
    from chad_client import AliceClient, EnrichedContext, Turn

    async def start(alice: AliceClient, customer_id: int, caller: str) -> str:
        tenant = alice.for_customer(customer_id)
        context: EnrichedContext = await tenant.get_context_or_empty(caller)
        await tenant.process_call(caller, "CA-1", [Turn("caller", "hi")])
        return context.text
    """
)

BAD = textwrap.dedent(
    """
    from chad_client import AliceClient
    from chad_client.v1 import memory_service_pb2

    async def start(alice: AliceClient) -> int:
        context = await alice.for_customer(1).get_enriched_context(5551234567)
        memory_service_pb2.StoreMemoryRequest(user_id="x", ttl_days="forever")
        return context.text
    """
)


async def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(process.communicate(), 600)
    return process.returncode or 0, out.decode()


@pytest.mark.slow
async def test_fresh_venv_with_only_the_client(alice, peterson, tmp_path):
    venv = tmp_path / "venv"
    code, out = await _run(sys.executable, "-m", "venv", str(venv), cwd=tmp_path)
    assert code == 0, out
    python = str(venv / "bin" / "python")
    code, out = await _run(
        python, "-m", "pip", "install", "--quiet", str(ROOT / "chad_client"), "mypy", cwd=tmp_path
    )
    assert code == 0, out

    (tmp_path / "caller.py").write_text(CALLER)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "ALICE_ADDRESS": alice.address,
        "JWT_SECRET_KEY": peterson.secret,
        "CUSTOMER_ID": str(peterson.id),
    }
    code, out = await _run(python, "caller.py", cwd=tmp_path, env=env)
    assert code == 0, out
    result = json.loads(out.strip().splitlines()[-1])
    assert result["present"] == []  # none of the server's dependencies
    assert result["module"].startswith(str(venv))  # the installed wheel, not the checkout
    assert result["created"] is True
    assert result["customer_id"] == peterson.id
    assert result["memories"] == [{"value": "hi"}]

    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "bad.py").write_text(BAD)
    code, out = await _run(python, "-m", "mypy", "--strict", "good.py", cwd=tmp_path)
    assert code == 0, out
    code, out = await _run(python, "-m", "mypy", "--strict", "bad.py", cwd=tmp_path)
    assert code == 1, out
    assert (
        'Argument 1 to "get_enriched_context" of "TenantClient" has incompatible type "int"' in out
    )
    assert '"ttl_days"' in out  # the generated .pyi stubs are checked too
    assert 'Incompatible return value type (got "str", expected "int")' in out
