"""The code of chad_client/README.md runs as written against a real server."""

from __future__ import annotations

from pathlib import Path

from chad_client import AliceClient
from tests.support import readme_blocks

README = Path(__file__).resolve().parents[1] / "chad_client" / "README.md"
MAIN = Path(__file__).resolve().parents[1] / "README.md"


async def test_the_retrieval_snippet_runs_as_written(alice, peterson, caller_phone, capsys):
    async with AliceClient(alice.address, secret=peterson.secret) as client:
        tenant = client.for_customer(peterson.id)
        done = await readme_blocks.run_snippet(
            README, "retrieval", tenant=tenant, caller=caller_phone
        )
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
        done = await readme_blocks.run_snippet(
            MAIN, "call-start", tenant=tenant, caller=caller_phone
        )
    out = capsys.readouterr().out
    assert "Sarah" in out and "| voice: verse" in out
    assert done["rules"] == [TransferRule("billing", "accounts")]
    assert [h.memory.key for h in done["hits"]] == ["contact_time"]


async def test_the_raw_rpc_snippet_runs_as_written(alice, peterson, caller_phone, capsys):
    async with AliceClient(alice.address, secret=peterson.secret) as client:
        tenant = client.for_customer(peterson.id)
        await tenant.store_memory(caller_phone, "fact", "pet", {"value": "a cat"})
        done = await readme_blocks.run_snippet(
            README, "raw-rpc", tenant=tenant, caller=caller_phone
        )
    assert [m.key for m in done["response"].memories] == ["pet"]
    assert capsys.readouterr().out == "1 memories; more: False\n"
