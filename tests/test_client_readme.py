"""The code of chad_client/README.md runs as written against a real server."""

from __future__ import annotations

import importlib.util
import re
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from chad_client import AliceClient

README = Path(__file__).resolve().parents[1] / "chad_client" / "README.md"
MAIN = Path(__file__).resolve().parents[1] / "README.md"


def snippet(name: str, readme: Path = README) -> str:
    match = re.search(
        rf"<!-- snippet: {name}\b[^>]*-->\s*```python\n(.*?)```\s*<!-- /snippet -->",
        readme.read_text(),
        re.S,
    )
    assert match, f"no snippet {name!r} in {readme}"
    return match.group(1)


async def run_snippet(name: str, *, readme: Path = README, **names: Any) -> dict[str, Any]:
    """Run a snippet as the body of an async function (written to a module file
    and imported); returns its local names."""
    body = snippet(name, readme) + "\nreturn locals()\n"
    source = "async def _snippet(" + ", ".join(names) + "):\n" + textwrap.indent(body, "    ")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"readme_snippet_{name.replace('-', '_')}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    result: dict[str, Any] = await module._snippet(**names)
    return result


async def test_the_retrieval_snippet_runs_as_written(alice, peterson, caller_phone, capsys):
    async with AliceClient(alice.address, secret=peterson.secret) as client:
        tenant = client.for_customer(peterson.id)
        done = await run_snippet("retrieval", tenant=tenant, caller=caller_phone)
    # The paraphrase found the car; its history holds the earlier value.
    assert capsys.readouterr().out.startswith("car ")
    assert [e.previous_value for e in done["history"]] == [{"value": "2021 Tesla Model 3"}]
    assert done["context"].user_id == caller_phone


async def test_the_main_readmes_call_start_snippet_runs_as_written(
    alice, secret, smith, caller_phone, capsys
):
    from alice_server.auth import mint_platform_token
    from chad_client import CustomerChanges, TenantSettings, TransferRule

    async with AliceClient(alice.address, secret=secret) as client:
        admin = client.platform(token=mint_platform_token(secret))
        await admin.update_customer(smith.id, CustomerChanges(agent_name="Sarah"))
        tenant = client.for_customer(smith.id)
        await tenant.update_tenant_settings(
            TenantSettings(voice="verse", transfer_rules=[TransferRule("billing", "accounts")])
        )
        await tenant.store_memory(caller_phone, "preference", "contact_time", {"value": "mornings"})
        done = await run_snippet("call-start", tenant=tenant, caller=caller_phone, readme=MAIN)
    out = capsys.readouterr().out
    assert "Sarah" in out and "| voice: verse" in out
    assert done["rules"] == [TransferRule("billing", "accounts")]
    assert [h.memory.key for h in done["hits"]] == ["contact_time"]


async def test_the_raw_rpc_snippet_runs_as_written(alice, peterson, caller_phone, capsys):
    async with AliceClient(alice.address, secret=peterson.secret) as client:
        tenant = client.for_customer(peterson.id)
        await tenant.store_memory(caller_phone, "fact", "pet", {"value": "a cat"})
        done = await run_snippet("raw-rpc", tenant=tenant, caller=caller_phone)
    assert [m.key for m in done["response"].memories] == ["pet"]
    assert capsys.readouterr().out == "1 memories; more: False\n"
